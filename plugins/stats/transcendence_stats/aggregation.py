"""Keeping the aggregates: folding finished matches into the `stats_*` rows.

`record_matches` is the one write path: the `match_finished` hook calls it with one match's
result (any game's `MatchResult`), the backfill and the benchmark with batches. Each
(match, player) pair is applied once: its `UserMatch` row is the marker, inserted in the
same transaction as the totals it changes, under a unique index, so a replayed hook (or
two nodes racing) cannot count twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from transcendence.games import HookSource, MatchResult, games_of
from transcendence_stats.models import Opponent, PlayerStats, RatingPoint, UserMatch
from transcendence_stats.outcomes import Outcome, outcomes_of

EPOCH = datetime.min.replace(tzinfo=UTC)


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


async def record_matches(results: Iterable[MatchResult]) -> int:
    """Apply finished matches to the aggregates, each (match, player) exactly once.

    Matches are applied in the order they ended (streaks depend on it). A rated match
    carries each player's rating after it (`result.ratings`, stored by the game with the
    result): it goes on the player's rating chart, and becomes the current rating when it
    is the player's latest match. A match without it (pong's older records) moves no
    rating. Returns how many (match, player) pairs were new.
    """
    # The same match twice (one batch, or the hook and the catch-up): counted once.
    unique = {(result.game, result.id): result for result in results}.values()
    outcomes = [
        outcome
        for result in sorted(unique, key=lambda r: r.ended_at or r.started_at or EPOCH)
        for outcome in outcomes_of(result)
    ]
    if not outcomes:
        return 0
    for attempt in range(3):
        try:
            async with in_transaction():
                return await _apply(outcomes)
        except IntegrityError:
            # Another transaction inserted some of these markers (or a first stats row) in
            # the meantime; it has been rolled back here, and the retry skips what it did.
            if attempt == 2:
                raise
    return 0  # pragma: no cover


async def _apply(outcomes: list[Outcome]) -> int:
    user_ids = sorted({o.user_id for o in outcomes})
    # Lock the players' rows first (always in (user, game) order, so two writers cannot
    # deadlock): every change to a player's aggregates happens under this lock.
    locked = PlayerStats.filter(user_id__in=user_ids).order_by("user_id", "game")
    rows = await locked.select_for_update()
    have = {(r.user_id, r.game) for r in rows}  # type: ignore[attr-defined]
    missing = sorted({(o.user_id, o.game) for o in outcomes} - have)
    if missing:
        await PlayerStats.bulk_create([PlayerStats(user_id=u, game=g) for u, g in missing])
        rows = await locked.select_for_update()
    stats = {(r.user_id, r.game): r for r in rows}  # type: ignore[attr-defined]

    done = set(
        await UserMatch.filter(
            match_id__in=list({o.match_id for o in outcomes}), user_id__in=user_ids
        ).values_list("game", "match_id", "user_id")
    )
    fresh = [o for o in outcomes if (o.game, o.match_id, o.user_id) not in done]
    if not fresh:
        return 0
    await UserMatch.bulk_create(
        [
            UserMatch(
                user_id=o.user_id,
                game=o.game,
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

    points = []
    for outcome in fresh:
        row = stats[(outcome.user_id, outcome.game)]
        latest = row.last_played_at is None or outcome.ended_at >= row.last_played_at
        if not outcome.counts.stats:
            continue  # history only: its UserMatch row, nothing else
        apply_outcome(row, outcome)
        rating = outcome.rating_after
        if not outcome.counts.rating or rating is None:
            continue
        # The rating after a match older than the player's last one is history: it goes
        # on the chart but is not the current rating.
        if latest:
            row.rating = rating
        row.best_rating = max(rating, row.best_rating or rating)
        points.append(
            RatingPoint(
                user_id=outcome.user_id,
                game=outcome.game,
                match_id=outcome.match_id,
                rating=rating,
                at=outcome.ended_at,
            )
        )
    for key in sorted({(o.user_id, o.game) for o in fresh}):
        await stats[key].save(update_fields=STATS_FIELDS)
    if points:
        await RatingPoint.bulk_create(points, batch_size=1000)
    await _update_opponents([o for o in fresh if o.counts.stats])
    return len(fresh)


async def _update_opponents(outcomes: list[Outcome]) -> None:
    if not outcomes:
        return
    keys = {(o.user_id, o.game, o.opponent_key) for o in outcomes}
    existing = await Opponent.filter(
        user_id__in=list({u for u, _, _ in keys}), key__in=list({k for _, _, k in keys})
    )
    rows = {(r.user_id, r.game, r.key): r for r in existing}  # type: ignore[attr-defined]
    new: dict[tuple[int, str, str], Opponent] = {}
    changed: dict[int, Opponent] = {}
    for o in outcomes:
        key = (o.user_id, o.game, o.opponent_key)
        row = rows.get(key) or new.get(key)
        if row is None:
            row = new[key] = Opponent(
                user_id=o.user_id,
                game=o.game,
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


async def record_match(result: MatchResult) -> int:
    """The `match_finished` path: apply one match (a no-op when already applied)."""
    return await record_matches([result])


async def backfill(hooks: HookSource, batch: int = 500) -> int:
    """Apply every finished match of every enabled game that has no marker yet (matches
    that finished while the module was disabled, or whose hook failed), read through the
    game API (`Game.finished`, in the order they ended). Returns the pairs applied."""
    applied = 0
    for game in games_of(hooks).values():
        after: MatchResult | None = None
        while True:
            results = await game.finished(after=after, limit=batch)
            if not results:
                break
            after = results[-1]
            marked = set(
                await UserMatch.filter(
                    game=game.name, match_id__in=[r.id for r in results]
                ).values_list("match_id", flat=True)
            )
            # Markers go in with all of a match's players at once: one means all.
            applied += await record_matches(r for r in results if r.id not in marked)
            if len(results) < batch:
                break
    return applied
