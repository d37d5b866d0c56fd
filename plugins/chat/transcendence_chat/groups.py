"""Groups: created with chosen users and/or all my friends; the owner adds and removes
members (leaving is `conversations.leave`)."""

from __future__ import annotations

import unicodedata
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from transcendence.accounts.blocking import blocked_ids
from transcendence.accounts.models import Friendship, User
from transcendence.errors import APIError
from transcendence.pagination import DB_INT
from transcendence_chat.config import chat_config
from transcendence_chat.conversations import (
    OWNER,
    invalid,
    leave,
    member_ids,
    members_event,
    membership,
    now,
    one_chat,
    take_out,
)
from transcendence_chat.models import GROUP, Conversation, Member
from transcendence_chat.roster import forget


def check_title(value: str) -> str:
    value = " ".join(value.split())
    if not 1 <= len(value) <= 64:
        raise ValueError("1 to 64 characters")
    if any(unicodedata.category(ch) in {"Cc", "Cs", "Cf"} for ch in value):
        raise ValueError("no control or invisible characters")
    return value


async def friend_ids(user_id: int) -> set[int]:
    rows = await Friendship.filter(
        Q(requester_id=user_id) | Q(addressee_id=user_id), status="accepted"
    ).values_list("requester_id", "addressee_id")
    return {other for pair in rows for other in pair if other != user_id}


async def _addable(app: Any, me: User, ids: set[int], already: int) -> list[int]:
    """Check people to put in a group: they exist, nobody blocks anybody, it fits."""
    ids.discard(me.id)
    if not ids:
        raise invalid("user_ids", "choose at least one other user")
    limit = chat_config(app).max_group_members
    if already + len(ids) > limit:
        raise APIError(
            409,
            "too_many_members",
            f"a group has at most {limit} members",
            {"max_members": limit},
        )
    found = set(
        await User.filter(id__in=sorted(ids), anonymised=False).values_list("id", flat=True)  # type: ignore[arg-type]
    )
    if ids - found:
        raise APIError(
            404, "not_found", "no such user", {"field": "user_ids", "user_ids": sorted(ids - found)}
        )
    refused = ids & await blocked_ids(me.id)
    if refused:
        raise APIError(
            403,
            "blocked",
            "you cannot add these users",
            {"field": "user_ids", "user_ids": sorted(refused)},
        )
    return sorted(ids)


async def create_group(
    app: Any, me: User, title: str, user_ids: list[int], all_friends: bool
) -> dict[str, Any]:
    wanted = {u for u in user_ids if 1 <= u <= DB_INT}
    if len(wanted) != len(set(user_ids)):
        raise APIError(404, "not_found", "no such user", {"field": "user_ids"})
    if all_friends:
        wanted |= await friend_ids(me.id)
    ids = await _addable(app, me, wanted, 1)
    async with in_transaction():
        conv = await Conversation.create(
            kind=GROUP,
            title=title,
            owner_id=me.id,
            member_count=len(ids) + 1,
            last_activity_at=now(),
        )
        await Member.create(conversation=conv, user_id=me.id, role=OWNER)
        await Member.bulk_create([Member(conversation=conv, user_id=uid) for uid in ids])
    await members_event(app, conv, "created", [me.id, *ids], me.id)
    return await one_chat(app, me.id, conv.id)


async def _owned_group(me: User, chat_id: int) -> Member:
    row = await membership(chat_id, me.id)
    conv = row.conversation
    if conv.kind != GROUP:
        raise APIError(400, "not_a_group", "only groups have members added or removed")
    if row.role != OWNER and conv.owner_id is None:  # type: ignore[attr-defined]
        # The owner's account was deleted: the longest-standing member takes over.
        heir = await Member.filter(conversation_id=chat_id).order_by("joined_at", "id").first()
        if heir is not None and heir.id == row.id:
            row.role = OWNER
            await row.save(update_fields=["role"])
            await Conversation.filter(id=chat_id, owner_id=None).update(owner_id=me.id)
            conv.owner_id = me.id  # type: ignore[attr-defined]
    if row.role != OWNER:
        raise APIError(403, "forbidden", "only the group's owner adds or removes members")
    return row


async def add_members(app: Any, me: User, chat_id: int, user_ids: list[int]) -> dict[str, Any]:
    row = await _owned_group(me, chat_id)
    conv = row.conversation
    present = set(await member_ids(chat_id))
    wanted = {u for u in user_ids if 1 <= u <= DB_INT} - present
    if not wanted:
        return await one_chat(app, me.id, chat_id)  # everyone is in already
    ids = await _addable(app, me, wanted, len(present))
    async with in_transaction():
        fresh = await Conversation.filter(id=chat_id).select_for_update().first()
        assert fresh is not None
        since = fresh.last_message_id or 0
        await Member.bulk_create(
            [
                Member(conversation_id=chat_id, user_id=uid, since_id=since, last_read_id=since)
                for uid in ids
            ],
            ignore_conflicts=True,
        )
        count = await Member.filter(conversation_id=chat_id).count()
        await Conversation.filter(id=chat_id).update(member_count=count)
    conv.member_count = count
    await forget(app, chat_id)
    await members_event(app, conv, "added", ids, me.id)
    return await one_chat(app, me.id, chat_id)


async def remove_member(app: Any, me: User, chat_id: int, user_id: int) -> None:
    if user_id == me.id:
        await leave(app, me, chat_id)
        return
    row = await _owned_group(me, chat_id)
    if not 1 <= user_id <= DB_INT:
        raise APIError(404, "not_found", "not a member of this group")
    try:
        conv = await take_out(row.conversation, user_id)
    except APIError:
        raise APIError(404, "not_found", "not a member of this group") from None
    await forget(app, chat_id)
    if conv is not None:
        await members_event(app, conv, "removed", [user_id], me.id, extra_recipients=[user_id])
