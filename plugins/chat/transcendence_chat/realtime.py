"""Realtime types of the chat module (`chat.*`), over the hub's socket at `/ws`.

Client to server: `chat.send`, `chat.read`, `chat.typing`, `chat.invite`, `chat.answer`.
Server to client: `chat.message`, `chat.message_updated`, `chat.members`, and `chat.read` /
`chat.typing` pushed with the same types as the requests.
"""

from __future__ import annotations

from typing import Any

from transcendence.accounts.models import User
from transcendence.errors import APIError
from transcendence_chat import invites, messages
from transcendence_chat.schemas import (
    AnswerFrame,
    AnswerOut,
    ChatRef,
    InviteFrame,
    InviteOut,
    MembersChanged,
    MessageOut,
    ReadFrame,
    ReadOut,
    SendFrame,
)


async def _user(user_id: int) -> User:
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise APIError(401, "token_revoked", "this account is gone")
    return user


def register(hub: Any) -> None:
    @hub.handler("chat.send", SendFrame, reply=MessageOut)
    async def send(conn, data: SendFrame):
        """Post a message; the reply is the stored message (the stored one again for a
        repeated client_id). Every tab of every member then gets `chat.message`."""
        message, _stored = await messages.send_message(
            conn.app, conn.user_id, data.chat_id, data.text, data.client_id
        )
        return message

    @hub.handler("chat.read", ReadFrame, reply=ReadOut)
    async def read(conn, data: ReadFrame):
        """Mark a chat read (up to `message_id`, default everything). Members' tabs get
        `chat.read` {chat_id, user_id, last_read_id} (a read receipt) when the marker moves."""
        return await messages.mark_read(conn.app, conn.user_id, data.chat_id, data.message_id)

    @hub.handler("chat.typing", ChatRef)
    async def typing(conn, data: ChatRef):
        """I am typing: the other members' tabs get `chat.typing` {chat_id, user_id}."""
        await messages.typing(conn.app, conn.user_id, data.chat_id)

    @hub.handler("chat.invite", InviteFrame, reply=InviteOut)
    async def invite(conn, data: InviteFrame):
        """Invite the other person of a direct chat to a game (`game`, default pong;
        `game_unavailable` when no enabled module provides it)."""
        user = await _user(conn.user_id)
        return await invites.invite(conn.app, user, data.chat_id, data.options, data.game)

    @hub.handler("chat.answer", AnswerFrame, reply=AnswerOut)
    async def answer(conn, data: AnswerFrame):
        """Accept or decline a game invitation of a direct chat."""
        return await invites.answer_invite(
            conn.app,
            await _user(conn.user_id),
            data.chat_id,
            data.invite_id,
            data.accept,
            data.game,
        )

    hub.event("chat.message", MessageOut, "A new message in one of my chats.")
    hub.event(
        "chat.message_updated",
        MessageOut,
        "A message changed (a game invitation was accepted or declined).",
    )
    hub.event(
        "chat.members",
        MembersChanged,
        "A chat was created, or someone joined, was added, left or was removed.",
    )
