"""What every kind of chat shares, no HTTP: membership, reading the list of chats and their
members, delivering frames, opening a direct chat, leaving.

The chat's rules are split by job: this module, `groups`, `channels`, `messages` and
`invites`. Everything raises `APIError` (the core's error, which the socket turns into an
error frame too), so REST routes and realtime handlers share one behaviour.

Blocking (`transcendence.accounts.blocking`) is symmetric here, as in the rest of the
platform: between two users where either blocks the other, no message of one is delivered
to or shown to the other, in any kind of conversation; a direct chat between them refuses
new messages and cannot be opened.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from transcendence.accounts.blocking import blocked_ids
from transcendence.accounts.models import User
from transcendence.accounts.social import other_user
from transcendence.bus import BusUnavailable
from transcendence.errors import APIError
from transcendence.hub import get_hub
from transcendence.pagination import DB_INT, decode_cursor, page
from transcendence_chat.config import chat_config
from transcendence_chat.models import CHANNEL, DIRECT, GROUP, Conversation, Member
from transcendence_chat.present import (
    chat_out,
    chats_out,
    from_micros,
    micros,
    people,
    unread_counts,
)
from transcendence_chat.roster import forget

OWNER = "owner"

log = logging.getLogger("transcendence.chat")


def now() -> datetime:
    return datetime.now(UTC)


def not_found() -> APIError:
    return APIError(404, "not_found", "no such chat")


def invalid(field: str, message: str) -> APIError:
    return APIError(
        400,
        "validation_error",
        message,
        [{"loc": [field], "msg": message, "type": "value_error"}],
    )


# --- delivery -----------------------------------------------------------------------------


async def deliver(app: Any, user_ids: Iterable[int], type_: str, data: Any) -> None:
    """Push a frame to every tab of these users, on every node (encoded once).

    What is pushed was stored first; if the bus is down the users read it over REST (their
    sockets get `resync` when it is back), so a failure here is logged, not raised.
    """
    ids = sorted(set(user_ids))
    if not ids:
        return
    try:
        await get_hub(app).deliver.to_users(ids, type_, data)
    except BusUnavailable as exc:
        log.warning("%s stored but not pushed live to %d users: %s", type_, len(ids), exc)


async def member_ids(chat_id: int) -> list[int]:
    return list(
        await Member.filter(conversation_id=chat_id).values_list("user_id", flat=True)  # type: ignore[arg-type]
    )


async def members_event(
    app: Any,
    conv: Conversation,
    action: str,
    user_ids: list[int],
    by: int | None,
    extra_recipients: Iterable[int] = (),
) -> None:
    """`chat.members`: who joined, was added, left or was removed (clients re-read the chat)."""
    recipients = set(await member_ids(conv.id)) | set(extra_recipients)
    await deliver(
        app,
        recipients,
        "chat.members",
        {
            "chat_id": conv.id,
            "kind": conv.kind,
            "action": action,
            "user_ids": sorted(user_ids),
            "by": by,
            "owner_id": conv.owner_id,  # type: ignore[attr-defined]
            "member_count": conv.member_count,
        },
    )


# --- reading ------------------------------------------------------------------------------


async def membership(chat_id: int, user_id: int) -> Member:
    """The user's membership of a chat (conversation loaded); 404 for everyone else."""
    if not 1 <= chat_id <= DB_INT:
        raise not_found()
    row = (
        await Member.filter(conversation_id=chat_id, user_id=user_id)
        .select_related("conversation")
        .first()
    )
    if row is None:
        raise not_found()
    return row


async def one_chat(app: Any, user_id: int, chat_id: int) -> dict[str, Any]:
    row = await membership(chat_id, user_id)
    return await chat_out(
        user_id,
        row,
        await blocked_ids(user_id),
        max_members=chat_config(app).max_listed_members,
    )


def _activity_cursor(cursor: str | None) -> tuple[int, int] | None:
    value = decode_cursor(cursor, list)
    if value is None:
        return None
    if (
        len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        or not 0 <= value[0] < 2**62
        or not 0 < value[1] <= DB_INT
    ):
        raise APIError(400, "invalid_cursor", "this cursor is not valid; start again")
    return value[0], value[1]


async def list_chats(app: Any, user_id: int, cursor: str | None, limit: int) -> dict[str, Any]:
    """My conversations, the most recently active first."""
    query = (
        Member.filter(user_id=user_id)
        .select_related("conversation")
        .order_by("-conversation__last_activity_at", "-conversation__id")
    )
    after = _activity_cursor(cursor)
    if after is not None:
        moment = from_micros(after[0])
        query = query.filter(
            Q(conversation__last_activity_at__lt=moment)
            | Q(conversation__last_activity_at=moment, conversation__id__lt=after[1])
        )
    rows, next_cursor = page(
        await query.limit(limit + 1),
        limit,
        lambda m: [micros(m.conversation.last_activity_at), m.conversation.id],
    )
    items = await chats_out(
        user_id, rows, await blocked_ids(user_id), max_members=chat_config(app).max_listed_members
    )
    return {"items": items, "next": next_cursor}


async def unread_summary(user_id: int) -> dict[str, Any]:
    rows = await Member.filter(user_id=user_id).select_related("conversation")
    counts = await unread_counts(user_id, rows, await blocked_ids(user_id))
    chats = {str(chat_id): count for chat_id, count in sorted(counts.items()) if count}
    return {"total": sum(chats.values()), "chats": chats}


async def list_members(user_id: int, chat_id: int, cursor: str | None, limit: int):
    await membership(chat_id, user_id)
    query = Member.filter(conversation_id=chat_id).order_by("id")
    after = decode_cursor(cursor, int)
    if after is not None:
        query = query.filter(id__gt=after)
    rows, next_cursor = page(await query.limit(limit + 1), limit, lambda m: m.id)
    known = await people({m.user_id for m in rows})  # type: ignore[attr-defined]
    items = [
        {**known[m.user_id], "role": m.role, "joined_at": m.joined_at.isoformat()}  # type: ignore[attr-defined]
        for m in rows
        if m.user_id in known  # type: ignore[attr-defined]
    ]
    return {"items": items, "next": next_cursor}


# --- direct chats -------------------------------------------------------------------------


def _direct_key(a: int, b: int) -> str:
    return f"d:{min(a, b)}:{max(a, b)}"


async def open_direct(app: Any, me: User, user_id: int) -> tuple[dict[str, Any], bool]:
    """The direct chat with someone, created on first use; (chat, created)."""
    if not 1 <= user_id <= DB_INT:
        raise APIError(404, "not_found", "no such user")
    other = await other_user(me, user_id)
    if other.id in await blocked_ids(me.id):
        raise APIError(403, "blocked", "you cannot chat with this user")
    key = _direct_key(me.id, other.id)
    created = False
    conv = await Conversation.get_or_none(unique_key=key)
    if conv is None:
        try:
            async with in_transaction():
                conv = await Conversation.create(
                    kind=DIRECT, unique_key=key, member_count=2, last_activity_at=now()
                )
                await Member.create(conversation=conv, user_id=me.id)
                await Member.create(conversation=conv, user_id=other.id)
            created = True
        except IntegrityError:
            conv = await Conversation.get(unique_key=key)  # opened by both at once
    if created:
        await members_event(app, conv, "created", [me.id, other.id], me.id)
    return await one_chat(app, me.id, conv.id), created


# --- leaving (groups and channels) --------------------------------------------------------


async def take_out(conv: Conversation, user_id: int) -> Conversation | None:
    """Take someone out; hand ownership on; delete an emptied conversation. Returns the
    conversation as it now is, or None when it was deleted."""
    async with in_transaction():
        locked = await Conversation.filter(id=conv.id).select_for_update().first()
        if locked is None:
            return None
        gone = await Member.filter(conversation_id=conv.id, user_id=user_id).first()
        if gone is None:
            raise not_found()
        await gone.delete()
        left = await Member.filter(conversation_id=conv.id).order_by("joined_at", "id")
        if not left:
            await locked.delete()
            return None
        locked.member_count = len(left)
        if gone.role == OWNER:
            heir = left[0]
            heir.role = OWNER
            await heir.save(update_fields=["role"])
            locked.owner_id = heir.user_id  # type: ignore[attr-defined]
        await locked.save(update_fields=["member_count", "owner_id"])
        return locked


async def leave(app: Any, me: User, chat_id: int) -> None:
    row = await membership(chat_id, me.id)
    conv = row.conversation
    if conv.kind not in (GROUP, CHANNEL):
        raise APIError(400, "cannot_leave", f"a {conv.kind} chat cannot be left")
    after = await take_out(conv, me.id)
    await forget(app, chat_id)
    if after is not None:
        await members_event(app, after, "left", [me.id], me.id, extra_recipients=[me.id])
    else:
        await deliver(
            app,
            [me.id],
            "chat.members",
            {
                "chat_id": chat_id,
                "kind": conv.kind,
                "action": "left",
                "user_ids": [me.id],
                "by": me.id,
                "owner_id": None,
                "member_count": 0,
            },
        )
