"""Keeping the aggregates, and reading the dashboards from them. No HTTP here.

`record_matches` is the one write path: the `match_finished` hook calls it with one match,
the backfill and the benchmark with batches. Each (match, player) pair is applied once: its
`UserMatch` row is the marker, inserted in the same transaction as the totals it changes,
under a unique index, so a replayed hook (or two nodes racing) cannot count twice.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from transcendence.accounts.models import User
from transcendence_pong.api import TICK_RATE, Match, Rating, records
from transcendence_stats.models import Opponent, PlayerStats, RatingPoint, UserMatch

log = logging.getLogger("transcendence.stats")

MODES = ("local", "remote", "ai", "tournament")
INITIAL_RATING = 1000  # pong's starting Elo (`transcendence_pong.ratings.INITIAL_RATING`)
RECENT_MATCHES = 10
PROFILE_MATCHES = 10  # the latest matches a profile lists; the rest are a link away
TOP_OPPONENTS = 5
PERIODS = {"all": None, "month": timedelta(days=30), "week": timedelta(days=7)}
RatingKey = tuple[str, int]  # (match id, user id)


# --- what a match means for each of its players -------------------------------------------


@dataclass(frozen=True)
class Rally:
    hits: int
    ticks: int


@dataclass(frozen=True)
class Outcome:
    """One counted match as one registered player saw it."""

    match_id: uuid.UUID
    user_id: int
    mode: str
    side: str
    opponent_user_id: int | None
    opponent_name: str
    points_for: int
    points_against: int
    won: bool
    forfeit: bool
    ended_at: datetime
    ticks: int
    rallies: tuple[Rally, ...] = field(default_factory=tuple)
    rating_after: int | None = None  # stored with the match by pong (remote games)
    # What the match counts for (pong's one rule, records.py): `stats` False is history only.
    counts: records.Counts = records.HISTORY_ONLY

    @property
    def opponent_key(self) -> str:
        if self.opponent_user_id is not None:
            return f"u:{self.opponent_user_id}"
        return f"n:{self.opponent_name.casefold()}"[:48]


def counted_seats(match: Match) -> list[str]:
    """The seats whose account keeps this match (in its history at least): pong's record
    rule (`transcendence_pong.records`, docs/stats.md "What counts")."""
    return list(records.counts(match))


def _rallies(record: Any) -> tuple[Rally, ...]:
    rallies = record.get("rallies") if isinstance(record, dict) else None
    out = []
    for rally in rallies or ():
        try:
            end = rally.get("end")
            if end is None:
                continue
            out.append(Rally(int(rally.get("hits") or 0), max(0, int(end) - int(rally["start"]))))
        except (AttributeError, KeyError, TypeError, ValueError):
            continue
    return tuple(out)


def outcomes_of(match: Match) -> list[Outcome]:
    seats = records.counts(match)
    if not seats:
        return []
    record = match.record if isinstance(match.record, dict) else {}
    rallies = _rallies(record)
    ticks = int(record.get("ticks") or 0)
    ended_at = match.ended_at or match.started_at or datetime.now(UTC)
    ids = {"left": match.left_user_id, "right": match.right_user_id}  # type: ignore[attr-defined]
    names = {"left": match.left_name, "right": match.right_name}
    scores = {"left": match.left_score, "right": match.right_score}
    stored = record.get("ratings")
    ratings = stored if isinstance(stored, dict) else {}
    out = []
    for side in seats:
        other = "right" if side == "left" else "left"
        out.append(
            Outcome(
                match_id=match.id,
                user_id=ids[side],
                mode=match.mode,
                side=side,
                opponent_user_id=ids[other],
                opponent_name=names[other],
                points_for=scores[side],
                points_against=scores[other],
                won=match.winner == side,
                forfeit=bool(match.forfeit),
                ended_at=ended_at,
                ticks=ticks,
                rallies=rallies,
                rating_after=ratings[side] if isinstance(ratings.get(side), int) else None,
                counts=seats[side],
            )
        )
    return out


# --- applying outcomes --------------------------------------------------------------------


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


# --- reading ------------------------------------------------------------------------------


def win_rate(wins: int, games: int) -> float | None:
    return round(wins / games, 4) if games else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def display_names(user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = sorted({uid for uid in user_ids if uid is not None})
    if not ids:
        return {}
    return dict(await User.filter(id__in=ids).values_list("id", "display_name"))


async def profile_summary(user_id: int) -> dict[str, Any]:
    """What a profile shows: one row read."""
    row = await PlayerStats.get_or_none(user_id=user_id) or PlayerStats(user_id=user_id)
    return _results(row)


def _results(row: PlayerStats) -> dict[str, Any]:
    """Results and streaks, as the profile and the dashboard both show them."""
    return {
        "games": row.games,
        "wins": row.wins,
        "losses": row.losses,
        "win_rate": win_rate(row.wins, row.games),
        "current_streak": _streak(row.current_streak),
        "best_streak": row.best_streak,
        "worst_streak": row.worst_streak,
    }


def history_line(row: Mapping[str, Any]) -> dict[str, Any]:
    """One match of a player's history, as the profile and the full list show it."""
    return {
        "match_id": str(row["match_id"]),
        # A game that counts for no win nor loss (one keyboard, abandoned at 0-0).
        "result": ("won" if row["won"] else "lost") if row["counted"] else "played",
        # Said as such: a player who left while ahead still lost ("lost", 1-0, forfeit).
        "forfeit": bool(row["forfeit"]),
        "score": f"{row['points_for']}-{row['points_against']}",
        "points": {"scored": row["points_for"], "conceded": row["points_against"]},
        "opponent": row["account"] or row["opponent_name"],
        "opponent_user_id": row["opponent_user_id"],
        "mode": row["mode"],
        "date": row["ended_at"].date().isoformat() if row["ended_at"] else None,
        "ended_at": _iso(row["ended_at"]),
    }


async def profile_history(
    user_id: int, limit: int = PROFILE_MATCHES, offset: int = 0
) -> list[dict[str, Any]]:
    """A page of a player's matches, newest first (one bounded, indexed read)."""
    rows = await (
        UserMatch.filter(user_id=user_id)
        .order_by("-ended_at", "-id")
        .offset(offset)
        .limit(limit)
        .values(
            "match_id",
            "won",
            "counted",
            "forfeit",
            "points_for",
            "points_against",
            "opponent_user_id",
            "opponent_name",
            "mode",
            "ended_at",
            account="opponent_user__display_name",
        )
    )
    return [history_line(row) for row in rows]


async def history_count(user_id: int) -> int:
    """How many matches a player's history holds (the profile's "10 of 16")."""
    return await UserMatch.filter(user_id=user_id).count()


async def match_history(user: User, limit: int = 20, offset: int = 0) -> dict[str, Any]:
    """Every match of a player, a page at a time (`GET /api/stats/users/<id>/matches`)."""
    items = await profile_history(user.id, limit + 1, offset)
    return {
        "user": {"id": user.id, "display_name": user.display_name},
        "total": await history_count(user.id),
        "items": items[:limit],
        "next_cursor": str(offset + limit) if len(items) > limit else None,
    }


def _streak(value: int) -> dict[str, Any]:
    if value == 0:
        return {"result": None, "length": 0}
    return {"result": "win" if value > 0 else "loss", "length": abs(value)}


async def user_dashboard(user: User, rating_points: int = 100) -> dict[str, Any]:
    # Four indexed reads, each bounded by a LIMIT: none grows with the number of matches.
    reads = (
        PlayerStats.get_or_none(user_id=user.id),
        # Plain tuples: a chart's worth of points without a model instance for each.
        RatingPoint.filter(user_id=user.id)
        .order_by("-at", "-id")
        .limit(rating_points)
        .values_list("at", "rating", "match_id"),
        # An opponent with an account shows its current name: joined in, not looked up after.
        Opponent.filter(user_id=user.id)
        .order_by("-games", "-last_played_at", "id")
        .limit(TOP_OPPONENTS)
        .values("opponent_user_id", "name", "games", "wins", account="opponent_user__display_name"),
        UserMatch.filter(user_id=user.id, counted=True)
        .order_by("-ended_at", "-id")
        .limit(RECENT_MATCHES)
        .values(
            "match_id",
            "mode",
            "side",
            "opponent_user_id",
            "opponent_name",
            "points_for",
            "points_against",
            "won",
            "forfeit",
            "ended_at",
            account="opponent_user__display_name",
        ),
    )
    results: list[Any]
    if PlayerStats._meta.db.capabilities.dialect == "sqlite":
        # One connection: overlapping the reads only adds scheduling (measured slower).
        results = [await read for read in reads]
    else:
        # A pool: the reads run side by side (measured on PostgreSQL under CPU contention:
        # p50 -25 %, p99 lower). Each is its own snapshot, fine for a dashboard.
        results = list(await asyncio.gather(*reads))
    found, points, opponents, recent = results
    row = found or PlayerStats(user_id=user.id)
    points = list(points)
    points.reverse()

    def opponent(user_id: int | None, name: str, account: str | None) -> dict[str, Any]:
        return {"user_id": user_id, "name": account or name}

    by_mode = row.by_mode or {}
    return {
        "user": {"id": user.id, "display_name": user.display_name},
        **_results(row),
        "points": {
            "scored": row.points_for,
            "conceded": row.points_against,
            "difference": row.points_for - row.points_against,
            "scored_per_game": round(row.points_for / row.games, 2) if row.games else None,
            "conceded_per_game": round(row.points_against / row.games, 2) if row.games else None,
        },
        "rallies": {
            "count": row.rallies,
            "total_hits": row.rally_hits,
            "average_hits": round(row.rally_hits / row.rallies, 2) if row.rallies else None,
            "longest_hits": row.longest_rally,
            "average_seconds": (
                round(row.rally_ticks / row.rallies / TICK_RATE, 2) if row.rallies else None
            ),
        },
        "play_seconds": round(row.play_ticks / TICK_RATE, 1),
        "by_mode": [
            {
                "mode": mode,
                "games": by_mode.get(mode, {}).get("games", 0),
                "wins": by_mode.get(mode, {}).get("wins", 0),
                "losses": by_mode.get(mode, {}).get("losses", 0),
                "win_rate": win_rate(
                    by_mode.get(mode, {}).get("wins", 0), by_mode.get(mode, {}).get("games", 0)
                ),
                "points_for": by_mode.get(mode, {}).get("points_for", 0),
                "points_against": by_mode.get(mode, {}).get("points_against", 0),
            }
            for mode in MODES
        ],
        "rating": {
            "current": row.rating,
            "best": row.best_rating,
            "initial": INITIAL_RATING,
            "points": [
                {"at": _iso(at), "rating": rating, "match_id": str(match_id)}
                for at, rating, match_id in points
            ],
        },
        "top_opponents": [
            {
                **opponent(o["opponent_user_id"], o["name"], o["account"]),
                "games": o["games"],
                "wins": o["wins"],
                "losses": o["games"] - o["wins"],
                "win_rate": win_rate(o["wins"], o["games"]),
            }
            for o in opponents
        ],
        "recent_matches": [
            {
                "match_id": str(m["match_id"]),
                "mode": m["mode"],
                "side": m["side"],
                "opponent": opponent(m["opponent_user_id"], m["opponent_name"], m["account"]),
                "score": {"scored": m["points_for"], "conceded": m["points_against"]},
                "result": "win" if m["won"] else "loss",
                "forfeit": bool(m["forfeit"]),
                "ended_at": _iso(m["ended_at"]),
            }
            for m in recent
        ],
        "last_played_at": _iso(row.last_played_at),
    }


def match_dashboard(match: Match) -> dict[str, Any]:
    """The game-session dashboard of a finished match, from its record alone."""
    record = match.record if isinstance(match.record, dict) else {}
    left = right = 0
    score = [{"rally": 0, "t": 0.0, "left": 0, "right": 0}]
    rallies = []
    for index, rally in enumerate(record.get("rallies") or (), start=1):
        start, end = int(rally.get("start") or 0), rally.get("end")
        end = int(end) if end is not None else start
        winner = rally.get("winner")
        if winner == "left":
            left += 1
        elif winner == "right":
            right += 1
        score.append({"rally": index, "t": round(end / TICK_RATE, 2), "left": left, "right": right})
        rallies.append(
            {
                "rally": index,
                "start": round(start / TICK_RATE, 2),
                "end": round(end / TICK_RATE, 2),
                "seconds": round((end - start) / TICK_RATE, 2),
                "hits": int(rally.get("hits") or 0),
                "max_speed": float(rally.get("max_speed") or 0.0),
                "winner": winner,
            }
        )
    hits = record.get("hits") or {}
    wall = (
        round((match.ended_at - match.started_at).total_seconds(), 1)
        if match.ended_at and match.started_at
        else None
    )
    return {
        "match": {
            "id": str(match.id),
            "mode": match.mode,
            "left": {"user_id": match.left_user_id, "name": match.left_name},  # type: ignore[attr-defined]
            "right": {"user_id": match.right_user_id, "name": match.right_name},  # type: ignore[attr-defined]
            "score": {"left": match.left_score, "right": match.right_score},
            "winner": match.winner,
            "forfeit": match.forfeit,
            "started_at": _iso(match.started_at),
            "ended_at": _iso(match.ended_at),
        },
        "duration_seconds": round(int(record.get("ticks") or 0) / TICK_RATE, 2),
        "wall_seconds": wall,
        "settings": dict(match.options or record.get("options") or {}),
        "score_over_time": score,
        "rallies": rallies,
        "hits": {"left": int(hits.get("left") or 0), "right": int(hits.get("right") or 0)},
        "summary": {
            "rallies": len(rallies),
            "total_hits": sum(r["hits"] for r in rallies),
            "longest_rally_hits": max((r["hits"] for r in rallies), default=0),
            "average_rally_hits": (
                round(sum(r["hits"] for r in rallies) / len(rallies), 2) if rallies else None
            ),
            "longest_rally_seconds": max((r["seconds"] for r in rallies), default=0.0),
            "max_speed": max((r["max_speed"] for r in rallies), default=0.0),
        },
    }


# --- the leaderboard ----------------------------------------------------------------------


def period_start(period: str, now: datetime | None = None) -> datetime | None:
    span = PERIODS[period]
    return None if span is None else (now or datetime.now(UTC)) - span


# The boards: the main one ranks remote games by rating; the AI and tournament boards
# (beside it) rank wins in those modes; "all" ranks wins in every counted game.
BOARDS = ("remote", "ai", "tournament", "all")


async def leaderboard(
    period: str = "all", mode: str = "remote", limit: int = 20, offset: int = 0
) -> dict[str, Any]:
    """Ranked players; see docs/stats.md, "Leaderboard", for the exact rules."""
    since = period_start(period)
    if mode == "remote":
        items, more = await _by_rating(since, limit, offset)
    else:
        items, more = await _by_wins(since, limit, offset, None if mode == "all" else mode)
    names = await display_names(item["user_id"] for item in items)
    ranked = [
        {
            "rank": offset + i + 1,
            "user": {"id": item["user_id"], "display_name": names.get(item["user_id"], "")},
            "rating": item["rating"],
            "games": item["games"],
            "wins": item["wins"],
            "losses": item["games"] - item["wins"],
            "win_rate": win_rate(item["wins"], item["games"]),
        }
        for i, item in enumerate(items)
    ]
    return {
        "period": period,
        "mode": mode,
        "ranked_by": "rating" if mode == "remote" else "wins",
        "since": _iso(since),
        "items": ranked,
        "next_cursor": str(offset + limit) if more else None,
    }


async def _by_rating(
    since: datetime | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], bool]:
    query = PlayerStats.filter(rating__not_isnull=True, user__anonymised=False)
    if since is not None:
        active = (
            UserMatch.filter(mode="remote", counted=True, ended_at__gte=since)
            .distinct()
            .values("user_id")
        )
        query = query.filter(user_id__in=Subquery(active))
    rows = await query.order_by("-rating", "-wins", "user_id").offset(offset).limit(limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    if since is None:
        counts = {
            r.user_id: (  # type: ignore[attr-defined]
                (r.by_mode or {}).get("remote", {}).get("games", 0),
                (r.by_mode or {}).get("remote", {}).get("wins", 0),
            )
            for r in rows
        }
    else:
        grouped = (
            await UserMatch.filter(
                mode="remote",
                counted=True,
                ended_at__gte=since,
                user_id__in=[r.user_id for r in rows],  # type: ignore[attr-defined]
            )
            .annotate(games=Count("id"), wins=Count("id", _filter=Q(won=True)))
            .group_by("user_id")
            .values("user_id", "games", "wins")
        )
        counts = {g["user_id"]: (g["games"], g["wins"]) for g in grouped}
    items = [
        {
            "user_id": r.user_id,  # type: ignore[attr-defined]
            "rating": r.rating,
            "games": counts.get(r.user_id, (0, 0))[0],  # type: ignore[attr-defined]
            "wins": counts.get(r.user_id, (0, 0))[1],  # type: ignore[attr-defined]
        }
        for r in rows
    ]
    return items, more


async def _by_wins(
    since: datetime | None, limit: int, offset: int, mode: str | None = None
) -> tuple[list[dict[str, Any]], bool]:
    if since is None and mode is None:
        rows = (
            await PlayerStats.filter(games__gt=0, user__anonymised=False)
            .order_by("-wins", "games", "user_id")
            .offset(offset)
            .limit(limit + 1)
        )
        items = [
            {"user_id": r.user_id, "rating": r.rating, "games": r.games, "wins": r.wins}  # type: ignore[attr-defined]
            for r in rows
        ]
    else:
        grouped = (
            await UserMatch.filter(
                counted=True,
                user__anonymised=False,
                **({} if since is None else {"ended_at__gte": since}),
                **({} if mode is None else {"mode": mode}),
            )
            .annotate(games=Count("id"), wins=Count("id", _filter=Q(won=True)))
            .group_by("user_id")
            .order_by("-wins", "games", "user_id")
            .offset(offset)
            .limit(limit + 1)
            .values("user_id", "games", "wins")
        )
        ratings = dict(
            await PlayerStats.filter(user_id__in=[g["user_id"] for g in grouped]).values_list(
                "user_id", "rating"
            )
        )
        items = [
            {
                "user_id": g["user_id"],
                "rating": ratings.get(g["user_id"]),
                "games": g["games"],
                "wins": g["wins"],
            }
            for g in grouped
        ]
    return items[:limit], len(items) > limit
