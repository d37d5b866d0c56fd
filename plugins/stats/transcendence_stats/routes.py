"""`/api/stats/...`: the user dashboard, the game-session dashboard, the leaderboard.

Every series is an array of points (`[{"t": ..., "left": ..., "right": ...}, ...]`), ready
for a chart. Everything is read from the aggregates; no route scans `pong_match`.
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field
from quart import Blueprint
from quart_schema import validate_querystring, validate_response

from transcendence.accounts.models import User
from transcendence.auth import current_user
from transcendence.errors import APIError
from transcendence.openapi import error_responses
from transcendence_pong.api import Match
from transcendence_stats import dashboards, leaderboards

blueprint = Blueprint("stats", __name__)
MAX_ID = 2**31 - 1  # ids are 32-bit integers: a larger one names nobody (and PostgreSQL refuses it)


# --- shapes -------------------------------------------------------------------------------


class UserRef(BaseModel):
    id: int
    display_name: str


class Opponent(BaseModel):
    user_id: int | None = Field(description="the opponent's account, null for a name or AI")
    name: str


class Streak(BaseModel):
    result: Literal["win", "loss"] | None
    length: int


class Points(BaseModel):
    scored: int
    conceded: int
    difference: int
    scored_per_game: float | None
    conceded_per_game: float | None


class Rallies(BaseModel):
    count: int
    total_hits: int
    average_hits: float | None
    longest_hits: int = Field(description="the longest rally, in paddle hits")
    average_seconds: float | None


class ModeResult(BaseModel):
    mode: Literal["local", "remote", "ai", "tournament"]
    games: int
    wins: int
    losses: int
    win_rate: float | None
    points_for: int
    points_against: int


class RatingPoint(BaseModel):
    at: str
    rating: int
    match_id: str


class RatingSeries(BaseModel):
    current: int | None = Field(description="after the last remote game; null before any")
    best: int | None
    initial: int
    points: list[RatingPoint] = Field(description="oldest first, the last `rating_points`")


class OpponentRecord(Opponent):
    games: int
    wins: int
    losses: int
    win_rate: float | None


class MatchScore(BaseModel):
    scored: int
    conceded: int


class RecentMatch(BaseModel):
    match_id: str
    mode: str
    side: Literal["left", "right"]
    opponent: Opponent
    score: MatchScore
    result: Literal["win", "loss"]
    forfeit: bool
    ended_at: str | None


class UserDashboard(BaseModel):
    user: UserRef
    games: int
    wins: int
    losses: int
    win_rate: float | None = Field(description="wins / games, 0..1; null with no games")
    current_streak: Streak
    best_streak: int = Field(description="most wins in a row")
    worst_streak: int = Field(description="most losses in a row")
    points: Points
    rallies: Rallies
    play_seconds: float
    by_mode: list[ModeResult]
    rating: RatingSeries
    top_opponents: list[OpponentRecord]
    recent_matches: list[RecentMatch] = Field(description="the last 10, newest first")
    last_played_at: str | None


class DashboardQuery(BaseModel):
    rating_points: int = Field(100, ge=1, le=1000, description="how many rating points")


class Side(BaseModel):
    user_id: int | None
    name: str


class SideScore(BaseModel):
    left: int
    right: int


class MatchInfo(BaseModel):
    id: str
    mode: str
    left: Side
    right: Side
    score: SideScore
    winner: Literal["left", "right"] | None
    forfeit: bool
    started_at: str | None
    ended_at: str | None


class ScorePoint(BaseModel):
    rally: int
    t: float = Field(description="seconds of game time")
    left: int
    right: int


class RallyOut(BaseModel):
    rally: int
    start: float
    end: float
    seconds: float
    hits: int
    max_speed: float = Field(description="the ball's top speed in the rally, units per second")
    winner: Literal["left", "right"] | None


class MatchSummary(BaseModel):
    rallies: int
    total_hits: int
    longest_rally_hits: int
    average_rally_hits: float | None
    longest_rally_seconds: float
    max_speed: float


class MatchDashboard(BaseModel):
    match: MatchInfo
    duration_seconds: float = Field(description="game time (ticks / 60), pauses excluded")
    wall_seconds: float | None = Field(description="from start to end, pauses included")
    settings: dict[str, object]
    score_over_time: list[ScorePoint]
    rallies: list[RallyOut]
    hits: SideScore
    summary: MatchSummary


class HistoryQuery(BaseModel):
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, pattern=r"^\d{1,6}$", description="next_cursor of a page")


class HistoryPoints(BaseModel):
    scored: int
    conceded: int


class HistoryLine(BaseModel):
    match_id: str
    result: Literal["won", "lost", "played"] = Field(
        description="played: a game that counts for no win nor loss (one keyboard)"
    )
    forfeit: bool = Field(description="the loser left or did not come back")
    score: str = Field(description='"5-3": this player\'s points first')
    points: HistoryPoints
    opponent: str
    opponent_user_id: int | None = Field(description="null for a name or an AI")
    mode: str
    date: str | None
    ended_at: str | None


class MatchHistory(BaseModel):
    user: UserRef
    total: int = Field(description="every match of the history")
    items: list[HistoryLine] = Field(description="newest first")
    next_cursor: str | None


class LeaderboardQuery(BaseModel):
    period: Literal["all", "month", "week"] = "all"
    mode: Literal["remote", "ai", "tournament", "all"] = "remote"
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, pattern=r"^\d{1,6}$", description="next_cursor of a page")


class LeaderboardEntry(BaseModel):
    rank: int
    user: UserRef
    rating: int | None
    games: int
    wins: int
    losses: int
    win_rate: float | None


class Leaderboard(BaseModel):
    period: str
    mode: str
    ranked_by: Literal["rating", "wins"]
    since: str | None
    items: list[LeaderboardEntry]
    next_cursor: str | None


# --- routes -------------------------------------------------------------------------------


async def _user_or_404(user_id: int) -> User:
    """The player a dashboard or a history is about (the caller, read once, or another)."""
    me = await current_user()
    if not 0 < user_id <= MAX_ID:
        raise APIError(404, "not_found", "no such user")
    user = me if me.id == user_id else await User.get_or_none(id=user_id)
    if user is None:
        raise APIError(404, "not_found", "no such user")
    return user


@blueprint.get("/users/<id:user_id>")
@validate_querystring(DashboardQuery)
@validate_response(UserDashboard, 200)
async def user_dashboard(user_id: int, query_args: DashboardQuery):
    """A player's dashboard: results, streaks, rating over time, rallies, opponents."""
    user = await _user_or_404(user_id)
    return await dashboards.user_dashboard(user, query_args.rating_points)


@blueprint.get("/users/<id:user_id>/matches")
@validate_querystring(HistoryQuery)
@validate_response(MatchHistory, 200)
async def match_history(user_id: int, query_args: HistoryQuery):
    """Every match of a player's history (counted or not), newest first, a page at a time:
    what the profile's "See all matches" opens."""
    user = await _user_or_404(user_id)
    offset = int(query_args.cursor or 0)
    return await dashboards.match_history(user, query_args.limit, offset)


@blueprint.get("/matches/<match_id>")
@error_responses(409)
@validate_response(MatchDashboard, 200)
async def match_dashboard(match_id: str):
    """A finished match: score over time, rallies, ball speed, hits, duration, settings."""
    await current_user()
    try:
        key = uuid.UUID(match_id)
    except ValueError:
        raise APIError(404, "not_found", "no such match") from None
    match = await Match.get_or_none(id=key)
    if match is None:
        raise APIError(404, "not_found", "no such match")
    if match.status != "finished":
        raise APIError(409, "not_finished", "this match is still being played")
    return dashboards.match_dashboard(match)


@blueprint.get("/leaderboard")
@validate_querystring(LeaderboardQuery)
@validate_response(Leaderboard, 200)
async def leaderboard(query_args: LeaderboardQuery):
    """Ranked players: by rating (mode=remote, the default: remote games), or by wins in
    the period in AI games (mode=ai), tournament games (mode=tournament) or every counted
    game (mode=all). One-keyboard games count on no board."""
    await current_user()
    offset = int(query_args.cursor or 0)
    return await leaderboards.leaderboard(
        query_args.period, query_args.mode, query_args.limit, offset
    )
