"""Reading the dashboards from the aggregates: a player's in one game (and the profile's
summary over every game), a player's match history (every game), and a finished match's
own dashboard (from its game's result). No HTTP here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from transcendence.accounts.models import User
from transcendence.games import MODES, MatchResult
from transcendence_stats.models import Opponent, PlayerStats, RatingPoint, UserMatch
from transcendence_stats.outcomes import SIDES, TICKS_PER_SECOND, tick_seconds

DEFAULT_GAME = "pong"  # the dashboards' game when the request names none
INITIAL_RATING = 1000  # a rating's start (pong's Elo: `transcendence_pong.ratings.INITIAL_RATING`)
RECENT_MATCHES = 10
PROFILE_MATCHES = 10  # the latest matches a profile lists; the rest are a link away
TOP_OPPONENTS = 5


def win_rate(wins: int, games: int) -> float | None:
    return round(wins / games, 4) if games else None


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def profile_summary(user_id: int) -> dict[str, Any]:
    """What a profile shows, over every game the player played (one indexed read): the
    totals added up, the longest runs of any game, and the current run of the game played
    last."""
    rows = await PlayerStats.filter(user_id=user_id).order_by("-last_played_at", "game")
    if len(rows) < 2:
        return _results(rows[0] if rows else PlayerStats(user_id=user_id))
    latest = max(rows, key=lambda r: r.last_played_at or datetime.min.replace(tzinfo=UTC))
    total = PlayerStats(
        user_id=user_id,
        games=sum(r.games for r in rows),
        wins=sum(r.wins for r in rows),
        losses=sum(r.losses for r in rows),
        current_streak=latest.current_streak,
        best_streak=max(r.best_streak for r in rows),
        worst_streak=max(r.worst_streak for r in rows),
    )
    return _results(total)


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
        "game": row["game"],
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
        "ended_at": iso(row["ended_at"]),
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
            "game",
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


async def user_dashboard(
    user: User, rating_points: int = 100, game: str = DEFAULT_GAME
) -> dict[str, Any]:
    """A player's dashboard in one game."""
    # Four indexed reads, each bounded by a LIMIT: none grows with the number of matches.
    reads = (
        PlayerStats.get_or_none(user_id=user.id, game=game),
        # Plain tuples: a chart's worth of points without a model instance for each.
        RatingPoint.filter(user_id=user.id, game=game)
        .order_by("-at", "-id")
        .limit(rating_points)
        .values_list("at", "rating", "match_id"),
        # An opponent with an account shows its current name: joined in, not looked up after.
        Opponent.filter(user_id=user.id, game=game)
        .order_by("-games", "-last_played_at", "id")
        .limit(TOP_OPPONENTS)
        .values("opponent_user_id", "name", "games", "wins", account="opponent_user__display_name"),
        UserMatch.filter(user_id=user.id, game=game, counted=True)
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
    row = found or PlayerStats(user_id=user.id, game=game)
    points = list(points)
    points.reverse()

    def opponent(user_id: int | None, name: str, account: str | None) -> dict[str, Any]:
        return {"user_id": user_id, "name": account or name}

    by_mode = row.by_mode or {}
    return {
        "user": {"id": user.id, "display_name": user.display_name},
        "game": game,
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
                round(row.rally_ticks / row.rallies / TICKS_PER_SECOND, 2) if row.rallies else None
            ),
        },
        "play_seconds": round(row.play_ticks / TICKS_PER_SECOND, 1),
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
                {"at": iso(at), "rating": rating, "match_id": str(match_id)}
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
                "ended_at": iso(m["ended_at"]),
            }
            for m in recent
        ],
        "last_played_at": iso(row.last_played_at),
    }


def match_dashboard(result: MatchResult) -> dict[str, Any]:
    """The game-session dashboard of a finished match, from its game's result alone: the
    rallies, hits and game time where the game reports them (`details`, docs/stats.md)."""
    details = result.details if isinstance(result.details, Mapping) else {}
    tick = tick_seconds(details, result.duration)
    left = right = 0
    score = [{"rally": 0, "t": 0.0, "left": 0, "right": 0}]
    rallies = []
    for index, rally in enumerate(details.get("rallies") or (), start=1):
        start, end = int(rally.get("start") or 0), rally.get("end")
        end = int(end) if end is not None else start
        winner = rally.get("winner")
        if winner == "left":
            left += 1
        elif winner == "right":
            right += 1
        score.append({"rally": index, "t": round(end * tick, 2), "left": left, "right": right})
        rallies.append(
            {
                "rally": index,
                "start": round(start * tick, 2),
                "end": round(end * tick, 2),
                "seconds": round((end - start) * tick, 2),
                "hits": int(rally.get("hits") or 0),
                "max_speed": float(rally.get("max_speed") or 0.0),
                "winner": winner,
            }
        )
    hits = details.get("hits") or {}
    wall = (
        round((result.ended_at - result.started_at).total_seconds(), 1)
        if result.ended_at and result.started_at
        else None
    )
    seats = [{"user_id": p.user_id, "name": p.name} for p in result.players]
    return {
        "game": result.game,
        "match": {
            "id": result.id,
            "mode": result.mode,
            "left": seats[0],
            "right": seats[1],
            "score": {"left": result.players[0].score, "right": result.players[1].score},
            "winner": SIDES[result.winner] if result.winner is not None else None,
            "forfeit": result.forfeit,
            "started_at": iso(result.started_at),
            "ended_at": iso(result.ended_at),
        },
        "duration_seconds": round(result.duration or 0.0, 2),
        "wall_seconds": wall,
        "settings": dict(result.options or {}),
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
