"""Finding opponents: a rating-based queue shared by every node, and direct invitations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from transcendence.accounts.blocking import is_blocked
from transcendence.accounts.models import User
from transcendence_pong.models import Invite, Match, QueueEntry, Rating
from transcendence_pong.service import GameError

# The rating gap accepted at first, and how fast it widens while a player waits.
INITIAL_WINDOW = 100
WIDEN_PER_SECOND = 20
K_FACTOR = 32


async def rating_of(user_id: int) -> int:
    row = await Rating.get_or_none(user_id=user_id)
    return row.rating if row else 1000


def window(waited_seconds: float) -> float:
    return INITIAL_WINDOW + WIDEN_PER_SECOND * waited_seconds


async def join_queue(user: User, options: dict[str, Any]) -> QueueEntry | None:
    """Pair the user with the closest waiting player in range, or queue them.

    Returns the opponent's (removed) entry when a pair is made, None when now waiting.
    The row lock makes two nodes unable to take the same waiting player.
    """
    rating = await rating_of(user.id)
    now = datetime.now(UTC)
    async with in_transaction():
        waiting = (
            await QueueEntry.exclude(user_id=user.id).select_for_update().order_by("joined_at")
        )
        best: QueueEntry | None = None
        for entry in waiting:
            waited = (now - entry.joined_at).total_seconds()
            if abs(entry.rating - rating) > max(window(waited), INITIAL_WINDOW):
                continue
            if await is_blocked(user.id, entry.user_id):  # type: ignore[attr-defined]
                continue
            if best is None or abs(entry.rating - rating) < abs(best.rating - rating):
                best = entry
        if best is not None:
            await best.delete()
            await QueueEntry.filter(user_id=user.id).delete()
            return best
        await QueueEntry.update_or_create(
            user_id=user.id, defaults={"rating": rating, "options": options}
        )
    return None


async def leave_queue(user_id: int) -> bool:
    return await QueueEntry.filter(user_id=user_id).delete() > 0


async def create_invite(sender: User, recipient_id: int, options: dict[str, Any]) -> Invite:
    if recipient_id == sender.id:
        raise GameError("invalid_invite", "you cannot invite yourself")
    recipient = await User.get_or_none(id=recipient_id, anonymised=False)
    if recipient is None:
        raise GameError("not_found", "no such player")
    if await is_blocked(sender.id, recipient_id):
        raise GameError("blocked", "you cannot invite this player")
    return await Invite.create(sender=sender, recipient=recipient, options=options)


async def answer_invite(user: User, invite_id: int, accept: bool) -> Invite:
    async with in_transaction():
        invite = await Invite.filter(id=invite_id, recipient_id=user.id).select_for_update().first()
        if invite is None:
            raise GameError("not_found", "no such invitation")
        if invite.status != "pending":
            raise GameError("conflict", f"this invitation was already {invite.status}")
        invite.status = "accepted" if accept else "declined"
        await invite.save(update_fields=["status"])
    return invite


async def update_ratings(match: Match) -> None:
    """Elo after a remote match between two registered players, in a transaction of its own.

    A match recorded by the game loop (`service.record_finished`) already had its ratings
    moved in the transaction that wrote it: for that one this is a no-op, so a caller that
    still calls it after the record never applies a result twice.
    """
    if getattr(match, RATED, False):
        return
    async with in_transaction() as connection:  # both ratings move together, or neither
        await store_ratings(match, await apply_ratings(match, connection), connection)
    setattr(match, RATED, True)


RATED = "_ratings_applied"  # set on a Match whose ratings were moved (in this process)


async def store_ratings(match: Match, after: dict[str, int] | None, connection: Any) -> None:
    """Keep the ratings after the match in its record (`record["ratings"]`), so that whoever
    reads the match later (the stats' rating chart) knows them whatever happened since."""
    if after is not None:
        match.record = {**(match.record or {}), "ratings": after}
        await match.save(update_fields=["record"], using_db=connection)


async def apply_ratings(match: Match, connection: Any) -> dict[str, int] | None:
    """Move both players' ratings for a remote match, on `connection` (the caller's
    transaction: the record of the match and its ratings commit together, or neither).
    The ratings after it, by side; None for a match that is not rated."""
    if match.mode != "remote" or not (match.left_user_id and match.right_user_id):  # type: ignore[attr-defined]
        return None
    rows: dict[int, Rating] = {}
    # Locked (in id order, so two matches ending at once cannot deadlock): two matches of
    # the same player ending together do not lose an update.
    for user_id in sorted((match.left_user_id, match.right_user_id)):  # type: ignore[attr-defined]
        await Rating.get_or_create(user_id=user_id, using_db=connection)
        query = Rating.filter(user_id=user_id).select_for_update().using_db(connection)
        rows[user_id] = await query.get()
    left, right = rows[match.left_user_id], rows[match.right_user_id]  # type: ignore[attr-defined]
    expected_left = 1 / (1 + 10 ** ((right.rating - left.rating) / 400))
    score_left = 1.0 if match.winner == "left" else 0.0
    delta = round(K_FACTOR * (score_left - expected_left))
    left.rating, right.rating = left.rating + delta, right.rating - delta
    left.games += 1
    right.games += 1
    await left.save(using_db=connection)
    await right.save(using_db=connection)
    return {"left": left.rating, "right": right.rating}
