"""Request and response shapes of `/api/me/`, `/api/users/`, friends, blocks and admin routes."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from quart_schema.pydantic import File

from transcendence.accounts.schemas import email_rule
from transcendence.pagination import DB_INT, PageQuery
from transcendence.validation import rule_error

LANGUAGES = ("en", "fr", "ru")
# Invisible and control characters would let one name pass for another.
_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}


def _printable(value: str) -> str:
    # PostgreSQL refuses NUL in text, and no search or address needs control characters.
    if any(unicodedata.category(ch) in {"Cc", "Cs"} for ch in value):
        raise rule_error("control_characters", "no control characters")
    return value


def _optional_printable(value: str | None) -> str | None:
    return None if value is None else _printable(value)


def display_name_rule(value: str) -> str:
    value = " ".join(value.split())
    if not 1 <= len(value) <= 32:
        raise rule_error("length", "{min} to {max} characters", min=1, max=32)
    if any(unicodedata.category(ch) in _FORBIDDEN_CATEGORIES for ch in value):
        raise rule_error("control_characters", "no control or invisible characters")
    if value.casefold().startswith("deleted-"):
        raise rule_error(
            "reserved",
            "names starting with '{prefix}' are reserved for removed accounts",
            prefix="deleted-",
        )
    return value


class ProfileEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=254)
    language: Literal["en", "fr", "ru"] | None = None
    theme: Literal["standard", "high-contrast"] | None = None
    text_size: Literal["normal", "large", "larger"] | None = None

    @field_validator("display_name")
    @classmethod
    def _display_name(cls, value: str | None) -> str | None:
        return None if value is None else display_name_rule(value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else email_rule(_printable(value))


class PasswordChange(BaseModel):
    old_password: str | None = Field(
        None, max_length=1024, description="required when the account has a password"
    )
    new_password: str = Field(max_length=1024)
    code: str | None = Field(
        None, max_length=32, description="2FA or recovery code, for accounts without a password"
    )


class Reauth(BaseModel):
    password: str | None = Field(
        None, max_length=1024, description="required when the account has a password"
    )
    code: str | None = Field(
        None, max_length=32, description="2FA or recovery code, for accounts without a password"
    )


class UserRef(BaseModel):
    user_id: int = Field(ge=1, le=DB_INT)


class RoleIn(BaseModel):
    role: Literal["player", "admin"]


class SearchQuery(PageQuery):
    q: str | None = Field(None, max_length=32, description="prefix of a username or display name")

    _q = field_validator("q")(_optional_printable)


class AdminUsersQuery(PageQuery):
    q: str | None = Field(None, max_length=254, description="prefix of username, name or email")

    _q = field_validator("q")(_optional_printable)


class AvatarUpload(BaseModel):
    avatar: File = Field(description="JPEG, PNG, WebP or GIF (first frame), at most 2 MB")


# --- responses (documentation) -----------------------------------------------------------


class Presence(BaseModel):
    online: bool
    status: str = Field(description="online, in_game or offline")
    last_seen: datetime | None


class UserSummary(BaseModel):
    id: int
    username: str
    display_name: str
    avatar_url: str


class FriendOut(UserSummary, Presence):
    since: datetime


class MeOut(Presence):
    id: int
    username: str
    display_name: str
    email: str
    avatar_url: str
    role: str
    language: str
    theme: str
    text_size: str
    totp_enabled: bool
    has_password: bool
    created_at: datetime
    extras: dict[str, Any] | None = Field(
        None, description="every enabled module's profile fields; only with `include=extras`"
    )


class MeQuery(BaseModel):
    include: Literal["extras"] | None = Field(
        None, description="`extras`: add the modules' profile fields (`extras`)"
    )


class Relationship(BaseModel):
    friend: Literal["none", "outgoing", "incoming", "friends"]
    friend_request_id: int | None
    blocked: bool = Field(description="I block them")
    blocked_by: bool = Field(description="they block me")


class ProfileOut(UserSummary, Presence):
    created_at: datetime
    extras: dict[str, Any]
    relationship: Relationship | None = Field(None, description="absent on my own profile")


class UserPage(BaseModel):
    items: list[UserSummary]
    next: str | None


class FriendRequestOut(BaseModel):
    id: int
    status: Literal["pending", "accepted"]
    user: UserSummary
    created_at: datetime


class PendingOut(BaseModel):
    id: int
    user: UserSummary
    created_at: datetime


class FriendsOut(BaseModel):
    friends: list[FriendOut]
    incoming: list[PendingOut]
    outgoing: list[PendingOut]


class BlockOut(BaseModel):
    user: UserSummary
    created_at: datetime


class BlockPage(BaseModel):
    items: list[BlockOut]
    next: str | None


class AvatarOut(BaseModel):
    avatar_url: str
    etag: str


class PasswordChangedOut(BaseModel):
    message: str
    sessions_ended: int


class AnonymisedOut(BaseModel):
    anonymised: bool
    username: str


class AdminUserOut(BaseModel):
    id: int
    username: str
    display_name: str
    email: str
    role: str
    totp_enabled: bool
    anonymised: bool
    created_at: datetime
    last_seen_at: datetime | None


class AdminUserPage(BaseModel):
    items: list[AdminUserOut]
    next: str | None


class ExportOut(BaseModel):
    format: str
    exported_at: datetime
    profile: dict[str, Any]
    avatar: dict[str, Any] | None
    two_factor: dict[str, Any]
    sessions: list[dict[str, Any]]
    friendships: list[dict[str, Any]]
    blocks: list[dict[str, Any]]
    notifications: list[dict[str, Any]]
    failed_logins: list[dict[str, Any]]
    extras: dict[str, Any]
