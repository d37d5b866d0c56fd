"""Keeping the aggregates: folding finished matches into the `stats_*` rows.

`record_matches` is the one write path: the `match_finished` hook calls it with one match,
the backfill and the benchmark with batches. Each (match, player) pair is applied once: its
`UserMatch` row is the marker, inserted in the same transaction as the totals it changes,
under a unique index, so a replayed hook (or two nodes racing) cannot count twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from transcendence_pong.api import Match, Rating
from transcendence_stats.models import Opponent, PlayerStats, RatingPoint, UserMatch
from transcendence_stats.outcomes import Outcome, outcomes_of

RatingKey = tuple[str, int]  # (match id, user id)


def apply_outcome(stats: PlayerStats, outcome: Outcome) -> None:
    """Fold one outcome into a player's totals (in memory)."""
    stats.games += 1
    stats.points_for += outcome.points_for
    stats.points_against += outcome.points_against
    if outcome.won:
        stats.wins += 1
        stats.current_streak = stats.current_streak + 1 if stats.current_streak > 0 else 1
        stats.best_streak = max(stats.best_streak, stats.current_streak)
    else:
        stats.losses += 1
        stats.current_streak = stats.current_streak - 1 if stats.current_streak < 0 else -1
        stats.worst_streak = max(stats.worst_streak, -stats.current_streak)
    stats.rallies += len(outcome.rallies)
    stats.rally_hits += sum(r.hits for r in outcome.rallies)
    stats.rally_ticks += sum(r.ticks for r in outcome.rallies)
    stats.longest_rally = max([stats.longest_rally, *(r.hits for r in outcome.rallies)])
    stats.play_ticks += outcome.ticks
    by_mode = dict(stats.by_mode or {})
    mode = dict(
        by_mode.get(outcome.mode)
        or {"games": 0, "wins": 0, "losses": 0, "points_for": 0, "points_against": 0}
    )
    mode["games"] += 1
    mode["wins" if outcome.won else "losses"] += 1
    mode["points_for"] += outcome.points_for
    mode["points_against"] += outcome.points_against
    by_mode[outcome.mode] = mode
    stats.by_mode = by_mode
    if stats.last_played_at is None or outcome.ended_at >= stats.last_played_at:
        stats.last_played_at = outcome.ended_at


STATS_FIELDS = [
    "games",
    "wins",
    "losses",
    "points_for",
    "points_against",
    "current_streak",
    "best_streak",
    "worst_streak",
    "rallies",
    "rally_hits",
    "rally_ticks",
    "longest_rally",
    "play_ticks",
    "by_mode",
    "rating",
    "best_rating",
    "last_played_at",
]


async def record_matches(
    matches: Iterable[Match],
    *,
    ratings: Mapping[RatingKey, int] | None = None,
    rating_points: bool = True,
) -> int:
    """Apply finished matches to the aggregates, each (match, player) exactly once.

    Matches are applied in the order they ended (streaks depend on it). `ratings` gives
    the rating after a remote game by `(str(match id), user id)`; without it the player's
    current pong rating is used, which is right when called as the match is reported
    (pong updates ratings just before `match_finished`). A match that carries its ratings
    (`record["ratings"]`, stored by pong with the result) uses those, always with a point
    on the rating chart. `rating_points=False` (catching up on old matches, whose ratings
    are lost) only refreshes the current rating and adds no
    point to the rating chart. Returns how many (match, player) pairs were new.
    """
    unique = {str(match.id): match for match in matches}.values()  # the same match twice: once
    outcomes = [
        outcome
        for match in sorted(unique, key=lambda m: m.ended_at or m.started_at)
        for outcome in outcomes_of(match)
    ]
    if not outcomes:
        return 0
    for attempt in range(3):
        try:
            async with in_transaction():
                return await _apply(outcomes, ratings, rating_points)
        except IntegrityError:
            # Another transaction inserted some of these markers (or a first stats row) in
            # the meantime; it has been rolled back here, and the retry skips what it did.
            if attempt == 2:
                raise
    return 0  # pragma: no cover


async def _apply(
    outcomes: list[Outcome], ratings: Mapping[RatingKey, int] | None, rating_points: bool
) -> int:
    user_ids = sorted({o.user_id for o in outcomes})
    # Lock the players' rows first (always in user order, so two writers cannot deadlock):
    # every change to a player's aggregates happens under this lock.
    rows = await PlayerStats.filter(user_id__in=user_ids).order_by("user_id").select_for_update()
    missing = set(user_ids) - {r.user_id for r in rows}  # type: ignore[attr-defined]
    if missing:
        await PlayerStats.bulk_create([PlayerStats(user_id=uid) for uid in sorted(missing)])
        rows = (
            await PlayerStats.filter(user_id__in=user_ids).order_by("user_id").select_for_update()
        )
    stats = {r.user_id: r for r in rows}  # type: ignore[attr-defined]

    done = set(
        await UserMatch.filter(
            match_id__in=list({o.match_id for o in outcomes}), user_id__in=user_ids
        ).values_list("match_id", "user_id")
    )
    fresh = [o for o in outcomes if (_uuid(o.match_id), o.user_id) not in done]
    if not fresh:
        return 0
    await UserMatch.bulk_create(
        [
            UserMatch(
                user_id=o.user_id,
                match_id=o.match_id,
                mode=o.mode,
                side=o.side,
                opponent_user_id=o.opponent_user_id,
                opponent_name=o.opponent_name[:32],
                points_for=o.points_for,
                points_against=o.points_against,
                won=o.won,
                forfeit=o.forfeit,
                counted=o.counts.stats,
                ended_at=o.ended_at,
            )
            for o in fresh
        ],
        batch_size=1000,
    )

    current: dict[int, int] = {}
    if ratings is None and any(o.counts.rating and o.rating_after is None for o in fresh):
        remote_users = sorted({o.user_id for o in fresh if o.counts.rating})
        current = dict(
            await Rating.filter(user_id__in=remote_users).values_list("user_id", "rating")
        )
    points = []
    for outcome in fresh:
        row = stats[outcome.user_id]
        latest = row.last_played_at is None or outcome.ended_at >= row.last_played_at
        if not outcome.counts.stats:
            continue  # history only: its UserMatch row, nothing else
        apply_outcome(row, outcome)
        if not outcome.counts.rating:
            continue
        if outcome.rating_after is not None:
            rating: int | None = outcome.rating_after
        elif ratings is not None:
            rating = ratings.get((str(outcome.match_id), outcome.user_id))
        else:
            rating = current.get(outcome.user_id)
        if rating is None:
            continue
        # A rating of the time (stored, or given) of a match older than the player's last
        # one is history: it goes on the chart but is not the current rating.
        if latest or (outcome.rating_after is None and ratings is None):
            row.rating = rating
        row.best_rating = max(rating, row.best_rating or rating)
        if rating_points or outcome.rating_after is not None:
            points.append(
                RatingPoint(
                    user_id=outcome.user_id,
                    match_id=outcome.match_id,
                    rating=rating,
                    at=outcome.ended_at,
                )
            )
    for uid in sorted({o.user_id for o in fresh}):
        await stats[uid].save(update_fields=STATS_FIELDS)
    if points:
        await RatingPoint.bulk_create(points, batch_size=1000)
    await _update_opponents([o for o in fresh if o.counts.stats])
    return len(fresh)


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


async def _update_opponents(outcomes: list[Outcome]) -> None:
    if not outcomes:
        return
    keys = {(o.user_id, o.opponent_key) for o in outcomes}
    existing = await Opponent.filter(
        user_id__in=list({u for u, _ in keys}), key__in=list({k for _, k in keys})
    )
    rows = {(r.user_id, r.key): r for r in existing}  # type: ignore[attr-defined]
    new: dict[tuple[int, str], Opponent] = {}
    changed: dict[int, Opponent] = {}
    for o in outcomes:
        key = (o.user_id, o.opponent_key)
        row = rows.get(key) or new.get(key)
        if row is None:
            row = new[key] = Opponent(
                user_id=o.user_id,
                key=o.opponent_key,
                opponent_user_id=o.opponent_user_id,
                name=o.opponent_name[:32],
            )
        elif key in rows:
            changed[row.id] = row
        row.games += 1
        row.wins += int(o.won)
        row.name = o.opponent_name[:32]
        row.last_played_at = o.ended_at
    for row in changed.values():
        await row.save(update_fields=["games", "wins", "name", "last_played_at"])
    if new:
        await Opponent.bulk_create(list(new.values()), batch_size=1000)


async def record_match(match: Match) -> int:
    """The `match_finished` path: apply one match (a no-op when already applied)."""
    return await record_matches([match])


async def backfill(batch: int = 500, limit: int | None = None) -> int:
    """Apply every counted finished match that has no marker yet (matches that finished
    while the module was disabled, or whose hook failed). Returns the pairs applied."""
    applied = 0
    seen = 0
    counted = Match.filter(status="finished", winner__in=["left", "right"]).filter(
        Q(left_user_id__not_isnull=True) | Q(right_user_id__not_isnull=True)
    )
    counted = counted.exclude(
        Q(mode="tournament") & (Q(left_user_id__isnull=True) | Q(right_user_id__isnull=True))
    )
    while limit is None or seen < limit:
        todo = counted.exclude(id__in=Subquery(UserMatch.all().values("match_id")))
        rows = await todo.order_by("ended_at", "id").limit(batch)
        if not rows:
            break
        now = await record_matches(rows, rating_points=False)
        applied += now
        seen += len(rows)
        if len(rows) < batch or now == 0:
            break  # the rest would never get a marker (an account playing itself)
    return applied
