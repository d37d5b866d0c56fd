"""The leaderboard of one game: players ranked by rating or by wins, over a period. No HTTP
here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count

from transcendence.accounts.models import User
from transcendence_stats.dashboards import DEFAULT_GAME, iso, win_rate
from transcendence_stats.models import PlayerStats, UserMatch

PERIODS = {"all": None, "month": timedelta(days=30), "week": timedelta(days=7)}


def period_start(period: str, now: datetime | None = None) -> datetime | None:
    span = PERIODS[period]
    return None if span is None else (now or datetime.now(UTC)) - span


# The boards: the main one ranks remote games by rating; the AI and tournament boards
# (beside it) rank wins in those modes; "all" ranks wins in every counted game.
BOARDS = ("remote", "ai", "tournament", "all")


async def display_names(user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = sorted({uid for uid in user_ids if uid is not None})
    if not ids:
        return {}
    return dict(await User.filter(id__in=ids).values_list("id", "display_name"))


async def leaderboard(
    period: str = "all",
    mode: str = "remote",
    limit: int = 20,
    offset: int = 0,
    game: str = DEFAULT_GAME,
) -> dict[str, Any]:
    """Ranked players of `game`; see docs/stats.md, "Leaderboard", for the exact rules."""
    since = period_start(period)
    if mode == "remote":
        items, more = await _by_rating(game, since, limit, offset)
    else:
        only = None if mode == "all" else mode
        items, more = await _by_wins(game, since, limit, offset, only)
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
        "game": game,
        "period": period,
        "mode": mode,
        "ranked_by": "rating" if mode == "remote" else "wins",
        "since": iso(since),
        "items": ranked,
        "next_cursor": str(offset + limit) if more else None,
    }


async def _by_rating(
    game: str, since: datetime | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], bool]:
    query = PlayerStats.filter(game=game, rating__not_isnull=True, user__anonymised=False)
    if since is not None:
        active = (
            UserMatch.filter(game=game, mode="remote", counted=True, ended_at__gte=since)
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
                game=game,
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
    game: str, since: datetime | None, limit: int, offset: int, mode: str | None = None
) -> tuple[list[dict[str, Any]], bool]:
    if since is None and mode is None:
        rows = (
            await PlayerStats.filter(game=game, games__gt=0, user__anonymised=False)
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
                game=game,
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
            await PlayerStats.filter(
                game=game, user_id__in=[g["user_id"] for g in grouped]
            ).values_list("user_id", "rating")
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
