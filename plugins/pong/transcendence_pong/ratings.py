"""Elo ratings of remote games between two accounts: K = 32, 1000 to start. Moved in the
transaction that records the match (recording.py), so a result is rated once, or not at all.
A leaf of pong's layers: it reads the record rule (records.py) and the models, nothing above.
"""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from transcendence_pong import records
from transcendence_pong.models import Match, Rating

K_FACTOR = 32
INITIAL_RATING = 1000


async def rating_of(user_id: int) -> int:
    row = await Rating.get_or_none(user_id=user_id)
    return row.rating if row else INITIAL_RATING


async def update_ratings(match: Match) -> None:
    """Elo after a remote match between two registered players, in a transaction of its own.

    A match recorded by the game loop (`recording.record_finished`) already had its ratings
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
    seats = records.counts(match)
    if len(seats) != 2 or not all(found.rating for found in seats.values()):
        return None  # the record rule (records.py): only remote games between two accounts
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
