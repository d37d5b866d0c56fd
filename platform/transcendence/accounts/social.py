"""Friends and blocks: the rules, no HTTP.

A `Friendship` row is a request from `requester` to `addressee` (status "pending") or a
friendship (status "accepted"). There is at most one row per pair whatever its direction:
asking someone who already asked you accepts their request instead of adding a second row.

The other person is notified (`friend.request`, `friend.accepted`) with ids only, so a
notification never holds a name that anonymising would have to chase.
"""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from transcendence.accounts.blocking import is_blocked
from transcendence.accounts.models import Block, Friendship, User
from transcendence.accounts.presence import block_changed
from transcendence.accounts.profiles import summaries, summary
from transcendence.errors import APIError
from transcendence.hub import notify
from transcendence.pagination import decode_cursor, page

PENDING = "pending"
ACCEPTED = "accepted"


def _pair(a_id: int, b_id: int) -> Q:
    return Q(requester_id=a_id, addressee_id=b_id) | Q(requester_id=b_id, addressee_id=a_id)


async def other_user(me: User, user_id: int) -> User:
    """Someone else who exists and is not anonymised; 400 for myself, 404 otherwise."""
    if user_id == me.id:
        raise APIError(400, "self", "that is you", {"field": "user_id"})
    user = await User.get_or_none(id=user_id, anonymised=False)
    if user is None:
        raise APIError(404, "not_found", "no such user")
    return user


def _other_of(row: Friendship, me: User) -> User:
    requester: User = row.requester  # type: ignore[assignment]
    addressee: User = row.addressee  # type: ignore[assignment]
    return addressee if requester.id == me.id else requester


async def _entry(row: Friendship, other: User) -> dict[str, Any]:
    return {
        "id": row.id,
        "status": row.status,
        "user": await summary(other),
        "created_at": row.created_at.isoformat(),
    }


# --- friends ------------------------------------------------------------------------------


async def friends_of(me: User) -> dict[str, list[dict[str, Any]]]:
    """My friends (with presence) and the requests waiting on either side, in four queries."""
    rows = (
        await Friendship.filter(Q(requester_id=me.id) | Q(addressee_id=me.id))
        .select_related("requester", "addressee")
        .order_by("-created_at", "-id")
    )
    accepted = [r for r in rows if r.status == ACCEPTED]
    pending = [r for r in rows if r.status == PENDING]
    friends = await summaries([_other_of(r, me) for r in accepted], seen_by=me)
    others = await summaries([_other_of(r, me) for r in pending])
    result: dict[str, list[dict[str, Any]]] = {"friends": [], "incoming": [], "outgoing": []}
    for row, user in zip(accepted, friends, strict=True):
        result["friends"].append({**user, "since": row.created_at.isoformat()})
    for row, user in zip(pending, others, strict=True):
        side = "outgoing" if row.requester.id == me.id else "incoming"  # type: ignore[attr-defined]
        result[side].append({"id": row.id, "user": user, "created_at": row.created_at.isoformat()})
    return result


async def request_friend(me: User, user_id: int) -> tuple[dict[str, Any], bool]:
    """Ask someone to be friends; returns the request and whether it is new.

    When they had already asked me, their request is accepted instead.
    """
    other = await other_user(me, user_id)
    if await is_blocked(me.id, other.id):
        raise APIError(403, "blocked", "one of you blocks the other")
    row = await Friendship.filter(_pair(me.id, other.id)).first()
    if row is not None:
        if row.status == ACCEPTED:
            raise APIError(409, "conflict", "you are already friends", {"field": "user_id"})
        if row.requester_id == me.id:  # type: ignore[attr-defined]
            raise APIError(409, "conflict", "you already asked them", {"field": "user_id"})
        row.status = ACCEPTED
        await row.save(update_fields=["status"])
        await notify(other.id, "friend.accepted", {"by": me.id, "request_id": row.id})
        return await _entry(row, other), False
    try:
        row = await Friendship.create(requester=me, addressee=other)
    except IntegrityError:
        # The same request sent twice at once: the unique index kept one.
        raise APIError(409, "conflict", "you already asked them", {"field": "user_id"}) from None
    await notify(other.id, "friend.request", {"from": me.id, "request_id": row.id})
    return await _entry(row, other), True


async def _pending_for(me: User, request_id: int, *, addressed_to_me: bool) -> Friendship:
    side = Q(addressee_id=me.id) if addressed_to_me else _either(me)
    row = (
        await Friendship.filter(side, id=request_id, status=PENDING)
        .select_related("requester", "addressee")
        .first()
    )
    if row is None:
        raise APIError(404, "not_found", "no such friend request")
    return row


def _either(me: User) -> Q:
    return Q(requester_id=me.id) | Q(addressee_id=me.id)


async def accept(me: User, request_id: int) -> dict[str, Any]:
    """Accept a request someone sent me."""
    row = await _pending_for(me, request_id, addressed_to_me=True)
    row.status = ACCEPTED
    await row.save(update_fields=["status"])
    other = _other_of(row, me)
    await notify(other.id, "friend.accepted", {"by": me.id, "request_id": row.id})
    return await _entry(row, other)


async def decline(me: User, request_id: int) -> None:
    """Decline a request sent to me, or withdraw one I sent."""
    row = await _pending_for(me, request_id, addressed_to_me=False)
    await row.delete()


async def unfriend(me: User, user_id: int) -> None:
    """End a friendship (or a pending request either way) with someone."""
    deleted = await Friendship.filter(_pair(me.id, user_id)).delete()
    if not deleted:
        raise APIError(404, "not_found", "you are not friends and no request is pending")


# --- blocks -------------------------------------------------------------------------------


async def block(me: User, user_id: int) -> tuple[dict[str, Any], bool]:
    """Block someone (ending any friendship or request with them: unblocking does not bring it
    back); idempotent. Each then reads as offline to the other, on every channel at once."""
    other = await other_user(me, user_id)
    try:
        async with in_transaction():
            await Friendship.filter(_pair(me.id, other.id)).delete()
            row = await Block.get_or_none(blocker_id=me.id, blocked_id=other.id)
            created = row is None
            if row is None:
                row = await Block.create(blocker=me, blocked=other)
    except IntegrityError:
        # The same block sent twice at once: the other one committed it.
        row, created = await Block.get(blocker_id=me.id, blocked_id=other.id), False
    if created:
        await block_changed(me.id, other.id)
    return {"user": await summary(other), "created_at": row.created_at.isoformat()}, created


async def unblock(me: User, user_id: int) -> None:
    if not await Block.filter(blocker_id=me.id, blocked_id=user_id).delete():
        raise APIError(404, "not_found", "you do not block this user")
    await block_changed(me.id, user_id)


async def blocks_of(me: User, cursor: str | None, limit: int) -> dict[str, Any]:
    """The people I block, newest first, a page at a time."""
    query = Block.filter(blocker_id=me.id).select_related("blocked").order_by("-id")
    after = decode_cursor(cursor, int)
    if after is not None:
        query = query.filter(id__lt=after)
    rows, next_cursor = page(await query.limit(limit + 1), limit, lambda r: r.id)
    users = await summaries([r.blocked for r in rows])
    return {
        "items": [
            {"user": user, "created_at": row.created_at.isoformat()}
            for row, user in zip(rows, users, strict=True)
        ],
        "next": next_cursor,
    }
