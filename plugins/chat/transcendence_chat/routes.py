"""The chat's REST routes: the fixed compatibility contract under `/api` and the module's
own routes under `/api/chat`. Every route needs a token; a chat I am not in is a 404.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, current_app
from quart_schema import document_response, validate_querystring, validate_request

from transcendence.auth import current_user
from transcendence.openapi import error_responses, other_response
from transcendence.pagination import PageQuery
from transcendence_chat import channels as channel_rules  # `channels` is a route below
from transcendence_chat import conversations, groups, invites, messages
from transcendence_chat.schemas import (
    AddMembersIn,
    AnswerIn,
    AnswerOut,
    ChannelIn,
    ChannelPage,
    ChannelsQuery,
    ChatOut,
    ChatPage,
    CreateGroupIn,
    CreatePrivateIn,
    InviteIn,
    InviteOut,
    JoinIn,
    MarkReadIn,
    MemberPage,
    MessageOut,
    MessagePage,
    MessagesQuery,
    ReadOut,
    SendIn,
    UnreadOut,
)

# `/api/chats/...` and `/api/messages/...`: paths and bodies other clients rely on.
compat = Blueprint("chat_compat", __name__)
# `/api/chat/...`: everything else the module offers.
blueprint = Blueprint("chat", __name__)


def _app() -> Any:
    return current_app._get_current_object()  # type: ignore[attr-defined]


# --- the compatibility contract -----------------------------------------------------------


@compat.get("/chats/")
@validate_querystring(PageQuery)
@document_response(ChatPage, 200)
async def list_chats(query_args: PageQuery):
    """My conversations, the most recently active first: members, last message, unread."""
    user = await current_user()
    return await conversations.list_chats(_app(), user.id, query_args.cursor, query_args.limit)


@compat.post("/chats/create_private/")
@error_responses(403)
@document_response(ChatOut, 200)
@validate_request(CreatePrivateIn)
@document_response(ChatOut, 201)
async def create_private(data: CreatePrivateIn):
    """The direct chat with someone: 201 when created now, 200 when it existed."""
    user = await current_user()
    chat, created = await conversations.open_direct(_app(), user, data.user_id)
    return chat, 201 if created else 200


@compat.post("/chats/create_group/")
@error_responses(403, 409)
@validate_request(CreateGroupIn)
@document_response(ChatOut, 201)
async def create_group(data: CreateGroupIn):
    """A group of chosen users (and/or all my friends); I own it."""
    user = await current_user()
    chat = await groups.create_group(_app(), user, data.title, data.user_ids, data.all_friends)
    return chat, 201


@compat.get("/messages/")
@validate_querystring(MessagesQuery)
@document_response(MessagePage, 200)
async def list_messages(query_args: MessagesQuery):
    """A chat's messages, newest first; `next` is the cursor of the older page."""
    user = await current_user()
    return await messages.history(user.id, query_args.chat_id, query_args.cursor, query_args.limit)


@compat.post("/messages/")
@error_responses(403, 409, 429)
@document_response(MessageOut, 200)
@validate_request(SendIn)
@document_response(MessageOut, 201)
async def send_message(data: SendIn):
    """Post a message: 201 with it stored; 200 with the stored one for a repeated client_id."""
    user = await current_user()
    message, stored = await messages.send_message(
        _app(), user.id, data.chat, data.text, data.client_id
    )
    return message, 201 if stored else 200


@compat.post("/messages/mark_chat_as_read/")
@validate_request(MarkReadIn)
@document_response(ReadOut, 200)
async def mark_chat_as_read(data: MarkReadIn):
    """Everything in the chat (or up to `message_id`) is read; members hear `chat.read`."""
    user = await current_user()
    return await messages.mark_read(_app(), user.id, data.chat_id, data.message_id)


# --- the module's own routes --------------------------------------------------------------


@blueprint.get("/chats/<id:chat_id>")
@document_response(ChatOut, 200)
async def read_chat(chat_id: int):
    """One of my conversations, as listed."""
    user = await current_user()
    return await conversations.one_chat(_app(), user.id, chat_id)


@blueprint.get("/unread")
@document_response(UnreadOut, 200)
async def unread():
    """Unread counts: the total and each chat's (only chats with something unread)."""
    user = await current_user()
    return await conversations.unread_summary(user.id)


@blueprint.get("/chats/<id:chat_id>/members")
@validate_querystring(PageQuery)
@document_response(MemberPage, 200)
async def members(chat_id: int, query_args: PageQuery):
    """Everyone in a chat, in the order they joined."""
    user = await current_user()
    return await conversations.list_members(user.id, chat_id, query_args.cursor, query_args.limit)


@blueprint.post("/chats/<id:chat_id>/members")
@error_responses(403, 409)
@validate_request(AddMembersIn)
@document_response(ChatOut, 200)
async def add_members(chat_id: int, data: AddMembersIn):
    """The group's owner adds people (they see messages from now on)."""
    user = await current_user()
    return await groups.add_members(_app(), user, chat_id, data.user_ids)


@blueprint.delete("/chats/<id:chat_id>/members/<id:user_id>")
@error_responses(400, 403)
@other_response(204, "Done; no body")
async def remove_member(chat_id: int, user_id: int):
    """The group's owner removes someone (removing myself is leaving)."""
    user = await current_user()
    await groups.remove_member(_app(), user, chat_id, user_id)
    return "", 204


@blueprint.post("/chats/<id:chat_id>/leave")
@error_responses(400)
@other_response(204, "Done; no body")
async def leave(chat_id: int):
    """Leave a group or a channel (an owner hands the group to the longest-standing member)."""
    user = await current_user()
    await conversations.leave(_app(), user, chat_id)
    return "", 204


@blueprint.post("/chats/<id:chat_id>/invite")
@error_responses(403, 409)
@validate_request(InviteIn)
@document_response(InviteOut, 201)
async def invite(chat_id: int, data: InviteIn):
    """Invite the other person of a direct chat to a game (`game`, default pong); 409
    `game_unavailable` when no enabled module provides it."""
    user = await current_user()
    return await invites.invite(_app(), user, chat_id, data.options, data.game), 201


@blueprint.post("/chats/<id:chat_id>/invites/<id:invite_id>/answer")
@error_responses(403, 409)
@validate_request(AnswerIn)
@document_response(AnswerOut, 200)
async def answer(chat_id: int, invite_id: int, data: AnswerIn):
    """The invited player accepts (the game starts for both) or declines."""
    user = await current_user()
    return await invites.answer_invite(_app(), user, chat_id, invite_id, data.accept, data.game)


@blueprint.get("/channels/")
@validate_querystring(ChannelsQuery)
@document_response(ChannelPage, 200)
async def channels(query_args: ChannelsQuery):
    """Public channels by name (`q` filters), with whether I am in each."""
    user = await current_user()
    return await channel_rules.list_channels(
        user, query_args.q, query_args.cursor, query_args.limit
    )


@blueprint.post("/channels/")
@error_responses(409)
@validate_request(ChannelIn)
@document_response(ChatOut, 201)
async def create_channel(data: ChannelIn):
    """A public channel; 409 `name_taken` when the name (any case) exists."""
    user = await current_user()
    return await channel_rules.create_channel(_app(), user, data.name, data.title), 201


@blueprint.post("/channels/join")
@document_response(ChatOut, 201)
@validate_request(JoinIn)
@document_response(ChatOut, 200)
async def join_channel(data: JoinIn):
    """Join a channel by name: 201 when joined now, 200 when already in."""
    user = await current_user()
    chat, joined = await channel_rules.join_channel(_app(), user, data.name)
    return chat, 201 if joined else 200
