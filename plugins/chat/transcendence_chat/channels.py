"""Public channels: created by name, joined by name, listed (leaving is
`conversations.leave`)."""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from transcendence.accounts.models import User
from transcendence.errors import APIError
from transcendence.pagination import decode_cursor, page
from transcendence_chat.conversations import OWNER, members_event, now, one_chat
from transcendence_chat.models import CHANNEL, Conversation, Member
from transcendence_chat.roster import forget


def channel_key(name: str) -> str:
    return name.casefold()


async def create_channel(app: Any, me: User, name: str, title: str | None) -> dict[str, Any]:
    try:
        async with in_transaction():
            conv = await Conversation.create(
                kind=CHANNEL,
                name=name,
                name_key=channel_key(name),
                title=title or f"#{name}",
                owner_id=me.id,
                member_count=1,
                last_activity_at=now(),
            )
            await Member.create(conversation=conv, user_id=me.id, role=OWNER)
    except IntegrityError:
        raise APIError(
            409, "name_taken", f"a channel named {name!r} exists: join it", {"field": "name"}
        ) from None
    return await one_chat(app, me.id, conv.id)


async def join_channel(app: Any, me: User, name: str) -> tuple[dict[str, Any], bool]:
    conv = await Conversation.get_or_none(name_key=channel_key(name), kind=CHANNEL)
    if conv is None:
        raise APIError(404, "not_found", f"no channel named {name!r}", {"field": "name"})
    joined = False
    if not await Member.exists(conversation_id=conv.id, user_id=me.id):
        try:
            async with in_transaction():
                await Member.create(conversation=conv, user_id=me.id)
                count = await Member.filter(conversation_id=conv.id).count()
                await Conversation.filter(id=conv.id).update(member_count=count)
            joined = True
        except IntegrityError:
            pass  # joined twice at once: the other one counted it
    if joined:
        await forget(app, conv.id)
        await conv.refresh_from_db(fields=["member_count", "owner_id"])
        await members_event(app, conv, "joined", [me.id], me.id)
    return await one_chat(app, me.id, conv.id), joined


async def list_channels(me: User, q: str | None, cursor: str | None, limit: int):
    """Public channels by name, with whether I am in each."""
    query = Conversation.filter(kind=CHANNEL).order_by("name_key")
    if q:
        query = query.filter(name_key__contains=channel_key(q))
    after = decode_cursor(cursor, str)
    if after is not None:
        query = query.filter(name_key__gt=after)
    rows, next_cursor = page(await query.limit(limit + 1), limit, lambda c: c.name_key)
    mine_query = Member.filter(user_id=me.id, conversation_id__in=[c.id for c in rows])
    mine = set(await mine_query.values_list("conversation_id", flat=True))
    items = [
        {
            "id": c.id,
            "name": c.name,
            "title": c.title,
            "member_count": c.member_count,
            "joined": c.id in mine,
            "created_at": c.created_at.isoformat(),
        }
        for c in rows
    ]
    return {"items": items, "next": next_cursor}
