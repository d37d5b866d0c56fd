"""Finding opponents: a rating-based queue shared by every node, and direct invitations.

The queue is per game settings: two players meet only when they asked for the same
(normalised) options. Pairing happens when a player joins, and again every few seconds
for those already waiting (`pair_waiting`, run by each node: hooks.py), as their rating
windows widen.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from transcendence.accounts.blocking import is_blocked
from transcendence.accounts.models import User
from transcendence_pong.engine import Options
from transcendence_pong.errors import GameError
from transcendence_pong.models import Invite, QueueEntry
from transcendence_pong.options import parse_options
from transcendence_pong.ratings import rating_of

# The rating gap accepted at first, and how fast it widens while a player waits.
INITIAL_WINDOW = 100
WIDEN_PER_SECOND = 20
CLASSIC = Options().as_dict()  # every option at its default, in the engine's types


def window(waited_seconds: float) -> float:
    return INITIAL_WINDOW + WIDEN_PER_SECOND * max(0.0, waited_seconds)


def in_range(gap: int, waited: float, other_waited: float = 0.0) -> bool:
    """Two players may meet when their rating gap is within the window of the one who has
    waited longer (a newcomer accepts whoever the waiting player accepts)."""
    return gap <= window(max(waited, other_waited))


def normalise(options: dict[str, Any] | None) -> dict[str, Any]:
    """Every option, through the engine's checks and with its defaults, in the engine's
    types (a `ball_speed` of 360 and of 360.0 are the same game). GameError
    `invalid_options` for options no game could be played with."""
    found = parse_options(options).as_dict()
    for name, default in CLASSIC.items():
        value = found[name]
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            found[name] = float(value)
    return found


def options_key(options: dict[str, Any] | None) -> str:
    """A short stable key of the game settings: equal for equal normalised options, whatever
    their order or which defaults were spelled out. The queue pairs only equal keys."""
    canonical = json.dumps(normalise(options), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


async def join_queue(
    user: User, options: dict[str, Any], *, now: datetime | None = None
) -> QueueEntry | None:
    """Pair the user with the closest waiting player in range who asked for the same game
    settings, or queue them.

    Returns the opponent's (removed) entry when a pair is made, None when now waiting.
    The row lock makes two nodes unable to take the same waiting player.
    """
    settings = normalise(options)
    key = options_key(settings)
    rating = await rating_of(user.id)
    now = now or datetime.now(UTC)
    async with in_transaction():
        waiting = (
            await QueueEntry.filter(options_key=key)
            .exclude(user_id=user.id)
            .select_for_update()
            .order_by("joined_at", "id")
        )
        best: QueueEntry | None = None
        for entry in waiting:
            gap = abs(entry.rating - rating)
            if not in_range(gap, (now - entry.joined_at).total_seconds()):
                continue
            if best is not None and gap >= abs(best.rating - rating):
                continue
            if await is_blocked(user.id, entry.user_id):  # type: ignore[attr-defined]
                continue
            best = entry
        if best is not None:
            await best.delete()
            await QueueEntry.filter(user_id=user.id).delete()
            return best
        await QueueEntry.update_or_create(
            user_id=user.id, defaults={"rating": rating, "options": settings, "options_key": key}
        )
    return None


async def pair_waiting(*, now: datetime | None = None) -> list[tuple[QueueEntry, QueueEntry]]:
    """Pair the waiting players whose windows have widened enough: the longest waiting
    first, each with the closest rating in range among those who asked for the same
    settings. The pairs, longest waiting first in each; their entries are removed.

    Rows another node has locked (its own pass, or a player joining there) are skipped, so
    two nodes never take the same player, and a pass never waits for another.
    """
    now = now or datetime.now(UTC)
    pairs: list[tuple[QueueEntry, QueueEntry]] = []
    async with in_transaction():
        waiting = (
            await QueueEntry.all().select_for_update(skip_locked=True).order_by("joined_at", "id")
        )
        waited = {entry.id: (now - entry.joined_at).total_seconds() for entry in waiting}
        taken: set[int] = set()
        for index, entry in enumerate(waiting):
            if entry.id in taken:
                continue
            best: QueueEntry | None = None
            for other in waiting[index + 1 :]:
                if other.id in taken or other.options_key != entry.options_key:
                    continue
                gap = abs(other.rating - entry.rating)
                if not in_range(gap, waited[entry.id], waited[other.id]):
                    continue
                if best is not None and gap >= abs(best.rating - entry.rating):
                    continue
                if await is_blocked(entry.user_id, other.user_id):  # type: ignore[attr-defined]
                    continue
                best = other
            if best is not None:
                taken.update((entry.id, best.id))
                pairs.append((entry, best))
        if taken:
            await QueueEntry.filter(id__in=taken).delete()
    return pairs


async def leave_queue(user_id: int) -> bool:
    return await QueueEntry.filter(user_id=user_id).delete() > 0


async def create_invite(sender: User, recipient_id: int, options: dict[str, Any]) -> Invite:
    if recipient_id == sender.id:
        raise GameError(400, "invalid_invite", "you cannot invite yourself")
    recipient = await User.get_or_none(id=recipient_id, anonymised=False)
    if recipient is None:
        raise GameError(404, "not_found", "no such player")
    if await is_blocked(sender.id, recipient_id):
        raise GameError(403, "blocked", "you cannot invite this player")
    return await Invite.create(sender=sender, recipient=recipient, options=options)


async def answer_invite(user: User, invite_id: int, accept: bool) -> Invite:
    async with in_transaction():
        invite = await Invite.filter(id=invite_id, recipient_id=user.id).select_for_update().first()
        if invite is None:
            raise GameError(404, "not_found", "no such invitation")
        if invite.status != "pending":
            raise GameError(409, "conflict", f"this invitation was already {invite.status}")
        invite.status = "accepted" if accept else "declined"
        await invite.save(update_fields=["status"])
    return invite
