"""Request and response shapes of the chat's REST routes and realtime types."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, Field, field_validator

from transcendence.pagination import DB_INT, PageQuery
from transcendence_chat.config import MAX_TEXT
from transcendence_chat.groups import check_title
from transcendence_chat.invites import DEFAULT_GAME
from transcendence_chat.messages import check_text

ChatId = Annotated[int, Field(ge=1, le=DB_INT, description="a conversation's id")]
GameName = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_]{0,31}$",
        description="the game's name (the module that provides it); 409 `game_unavailable` "
        "when no enabled module does",
    ),
]
CHANNEL_NAME = r"^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$"


def _client_id(value: str | None) -> str | None:
    if value is not None and not value.isprintable():
        raise ValueError("printable characters only")
    return value


def _user_ids(value: list[int]) -> list[int]:
    if any(not 1 <= v <= DB_INT for v in value):
        raise ValueError("user ids are positive integers")
    return value


# --- requests -----------------------------------------------------------------------------


class CreatePrivateIn(BaseModel):
    user_id: int = Field(ge=1, le=DB_INT, description="the other person")


class CreateGroupIn(BaseModel):
    title: str = Field(max_length=200)
    user_ids: list[int] = Field(default_factory=list, max_length=200)
    all_friends: bool = Field(False, description="add every friend of mine as well")

    _title = field_validator("title")(check_title)
    _ids = field_validator("user_ids")(_user_ids)


class MessagesQuery(PageQuery):
    chat_id: ChatId


class SendIn(BaseModel):
    chat: int = Field(
        ge=1,
        le=DB_INT,
        validation_alias=AliasChoices("chat", "chat_id"),
        description="the conversation's id (`chat_id` is accepted too)",
    )
    text: str = Field(description=f"1 to {MAX_TEXT} characters")
    client_id: str | None = Field(
        None, min_length=1, max_length=64, description="the same one twice is stored once"
    )

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        return check_text(value, MAX_TEXT)

    _cid = field_validator("client_id")(_client_id)


class MarkReadIn(BaseModel):
    chat_id: ChatId
    message_id: int | None = Field(
        None, ge=0, le=DB_INT, description="read up to this message (default: everything)"
    )


class AddMembersIn(BaseModel):
    user_ids: list[int] = Field(min_length=1, max_length=200)

    _ids = field_validator("user_ids")(_user_ids)


class ChannelIn(BaseModel):
    name: str = Field(pattern=CHANNEL_NAME, description="2 to 32 letters, digits, _ or -")
    title: str | None = Field(None, max_length=200)

    @field_validator("title")
    @classmethod
    def _title(cls, value: str | None) -> str | None:
        return None if value is None else check_title(value)


class JoinIn(BaseModel):
    name: str = Field(pattern=CHANNEL_NAME)


class ChannelsQuery(PageQuery):
    q: str | None = Field(None, max_length=32, description="part of a channel's name")

    @field_validator("q")
    @classmethod
    def _q(cls, value: str | None) -> str | None:
        if value is not None and not value.isprintable():
            raise ValueError("printable characters only")
        return value


class InviteIn(BaseModel):
    game: GameName = DEFAULT_GAME
    options: dict[str, Any] = Field(
        default_factory=dict, description="the game's options (pong: ball speed, score limit...)"
    )


class AnswerIn(BaseModel):
    game: GameName = DEFAULT_GAME
    accept: bool


# --- realtime -----------------------------------------------------------------------------


class SendFrame(BaseModel):
    chat_id: ChatId
    text: str = Field(description=f"1 to {MAX_TEXT} characters")
    client_id: str | None = Field(None, min_length=1, max_length=64)

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        return check_text(value, MAX_TEXT)

    _cid = field_validator("client_id")(_client_id)


class ChatRef(BaseModel):
    chat_id: ChatId


class ReadFrame(BaseModel):
    chat_id: ChatId
    message_id: int | None = Field(None, ge=0, le=DB_INT)


class InviteFrame(BaseModel):
    chat_id: ChatId
    game: GameName = DEFAULT_GAME
    options: dict[str, Any] = Field(default_factory=dict)


class AnswerFrame(BaseModel):
    chat_id: ChatId
    game: GameName = DEFAULT_GAME
    invite_id: int = Field(ge=1, le=DB_INT)
    accept: bool


# --- responses (documentation: OpenAPI and the realtime schema) ---------------------------


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    avatar_url: str


class MemberOut(UserOut):
    role: Literal["owner", "member"]
    # In a chat's `members`: how far they have read (null across a block).
    last_read_id: int | None = None


class MessageOut(BaseModel):
    id: int
    chat: int
    chat_id: int
    kind: Literal["text", "invite", "notice"]
    text: str
    data: dict[str, Any]
    sender: UserOut | None
    sender_id: int | None
    client_id: str | None
    created_at: str


class ChatOut(BaseModel):
    id: int
    kind: Literal["direct", "group", "channel", "system"]
    title: str
    name: str | None
    owner_id: int | None
    role: Literal["owner", "member"]
    members: list[MemberOut]
    member_count: int
    last_message: MessageOut | None
    unread_count: int
    last_read_id: int
    created_at: str
    updated_at: str


class ChatPage(BaseModel):
    items: list[ChatOut]
    next: str | None


class MessagePage(BaseModel):
    items: list[MessageOut]
    next: str | None
    chat_id: int
    last_read_id: int


class ReadOut(BaseModel):
    chat_id: int
    user_id: int
    last_read_id: int
    unread_count: int


class MembersChanged(BaseModel):
    chat_id: int
    kind: str
    action: Literal["created", "added", "removed", "joined", "left"]
    user_ids: list[int]
    by: int | None
    owner_id: int | None
    member_count: int


class InviteOut(BaseModel):
    invite_id: int
    message: MessageOut


class AnswerOut(BaseModel):
    status: Literal["accepted", "declined"]
    game_id: str | None
    message: MessageOut


class UnreadOut(BaseModel):
    total: int
    chats: dict[str, int]


class ChannelOut(BaseModel):
    id: int
    name: str
    title: str
    member_count: int
    joined: bool
    created_at: str


class ChannelPage(BaseModel):
    items: list[ChannelOut]
    next: str | None


class MemberEntry(MemberOut):
    joined_at: str


class MemberPage(BaseModel):
    items: list[MemberEntry]
    next: str | None
