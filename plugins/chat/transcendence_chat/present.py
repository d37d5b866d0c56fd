"""How conversations and messages are shown: the JSON bodies of REST replies and pushes.

Every function that shows several rows fetches what it needs for all of them at once, so
a page costs the same few queries whatever its length.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Count

from transcendence.accounts.models import User
from transcendence.accounts.profiles import summaries
from transcendence_chat.models import CHANNEL, DIRECT, SYSTEM, Conversation, Member, Message

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NOTICES_TITLE = "Notices"


def micros(moment: datetime) -> int:
    """A datetime as whole microseconds since the epoch (exact, unlike float timestamps)."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def from_micros(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def message_out(row: Message, sender: dict[str, Any] | None) -> dict[str, Any]:
    chat_id: int = row.conversation_id  # type: ignore[attr-defined]
    return {
        "id": row.id,
        "chat": chat_id,  # the field name of `POST /api/messages/`
        "chat_id": chat_id,
        "kind": row.kind,
        "text": row.text,
        "data": row.data,
        "sender": sender,
        "sender_id": row.sender_id,  # type: ignore[attr-defined]
        "client_id": row.client_id,
        "created_at": row.created_at.isoformat(),
    }


async def people(user_ids: set[int]) -> dict[int, dict[str, Any]]:
    """Short profiles (id, names, avatar) of these users, by id."""
    if not user_ids:
        return {}
    users = await User.filter(id__in=sorted(user_ids))
    return {entry["id"]: entry for entry in await summaries(users)}


async def messages_out(rows: list[Message], known: dict[int, dict[str, Any]] | None = None):
    """Messages with their senders' short profiles (fetched once for the whole list)."""
    known = dict(known or {})
    missing = {r.sender_id for r in rows if r.sender_id} - set(known)  # type: ignore[attr-defined]
    known.update(await people(missing))
    return [message_out(r, known.get(r.sender_id)) for r in rows]  # type: ignore[attr-defined]


async def unread_counts(viewer_id: int, rows: list[Member], blocked: set[int]) -> dict[int, int]:
    """Messages after each read marker that the viewer may see and did not write, for all
    these memberships (conversation loaded) in one grouped query."""
    pending = [
        Q(conversation_id=row.conversation.id, id__gt=max(row.last_read_id, row.since_id))
        for row in rows
        if (row.conversation.last_message_id or 0) > max(row.last_read_id, row.since_id)
    ]
    if not pending:
        return {}
    counted = (
        await Message.filter(Q(*pending, join_type="OR"))
        .filter(sender_id__not_in=sorted(blocked | {viewer_id}))
        .annotate(count=Count("id"))
        .group_by("conversation_id")
        .values_list("conversation_id", "count")
    )
    return {int(chat_id): int(count) for chat_id, count in counted}  # type: ignore[misc]


def title_of(conv: Conversation, viewer_id: int, others: list[dict[str, Any]]) -> str:
    if conv.kind == DIRECT:
        return others[0]["display_name"] if others else "(deleted account)"
    if conv.kind == SYSTEM:
        return NOTICES_TITLE
    return conv.title


async def chats_out(
    viewer_id: int, rows: list[Member], blocked: set[int], *, max_members: int = 100
) -> list[dict[str, Any]]:
    """The viewer's conversations (their `Member` rows, conversation loaded), as listed."""
    convs = [row.conversation for row in rows]
    listed = [c.id for c in convs if c.kind != CHANNEL and c.member_count <= max_members]
    members: dict[int, list[Member]] = defaultdict(list)
    if listed:
        for member in await Member.filter(conversation_id__in=listed).order_by("id"):
            members[member.conversation_id].append(member)  # type: ignore[attr-defined]

    # Last messages: the stored one, unless it is hidden from the viewer (blocked sender,
    # or sent before they joined), then the latest one they may see.
    by_id = {
        m.id: m
        for m in await Message.filter(
            id__in=[c.last_message_id for c in convs if c.last_message_id]
        )
    }
    last: dict[int, Message] = {}
    for row, conv in zip(rows, convs, strict=True):
        found = by_id.get(conv.last_message_id or 0)
        if found is None:
            continue
        if found.id <= row.since_id or found.sender_id in blocked:  # type: ignore[attr-defined]
            found = (
                await Message.filter(conversation_id=conv.id, id__gt=row.since_id)
                .filter(sender_id__not_in=sorted(blocked))
                .order_by("-id")
                .first()
            )
        if found is not None:
            last[conv.id] = found

    unread = await unread_counts(viewer_id, rows, blocked)
    user_ids = {m.user_id for ms in members.values() for m in ms}  # type: ignore[attr-defined]
    user_ids |= {m.sender_id for m in last.values() if m.sender_id}  # type: ignore[attr-defined]
    known = await people(user_ids)
    last_out = dict(zip(last, await messages_out(list(last.values()), known), strict=True))

    result = []
    for row, conv in zip(rows, convs, strict=True):
        entries = [
            {
                **known[m.user_id],  # type: ignore[attr-defined]
                "role": m.role,
                # Read markers (the browser's "seen"), never across a block.
                "last_read_id": None if m.user_id in blocked else m.last_read_id,  # type: ignore[attr-defined]
            }
            for m in members.get(conv.id, [])
            if m.user_id in known  # type: ignore[attr-defined]
        ]
        others = [e for e in entries if e["id"] != viewer_id]
        result.append(
            {
                "id": conv.id,
                "kind": conv.kind,
                "title": title_of(conv, viewer_id, others),
                "name": conv.name,
                "owner_id": conv.owner_id,  # type: ignore[attr-defined]
                "role": row.role,
                "members": entries,
                # Counted where the members are listed (an account deletion removes its
                # rows without touching the stored count).
                "member_count": len(members[conv.id]) if conv.id in members else conv.member_count,
                "last_message": last_out.get(conv.id),
                "unread_count": unread.get(conv.id, 0),
                "last_read_id": row.last_read_id,
                "created_at": conv.created_at.isoformat(),
                "updated_at": conv.last_activity_at.isoformat(),
            }
        )
    return result


async def chat_out(viewer_id: int, row: Member, blocked: set[int], **kwargs: Any):
    return (await chats_out(viewer_id, [row], blocked, **kwargs))[0]
