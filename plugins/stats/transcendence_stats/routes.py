"""`/api/stats/...`: the user dashboard, the game-session dashboard, the leaderboard.

Every series is an array of points (`[{"t": ..., "left": ..., "right": ...}, ...]`), ready
for a chart. The dashboards and the leaderboard are read from the aggregates, one game at a
time (`?game=`, pong by default); a match's dashboard from its game's result (the game API).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from quart import Blueprint
from quart_schema import validate_querystring, validate_response

from transcendence.accounts.models import User
from transcendence.auth import current_user
from transcendence.core import current_core
from transcendence.errors import APIError
from transcendence.games import game_of
from transcendence.openapi import error_responses
from transcendence_stats import dashboards, leaderboards

blueprint = Blueprint("stats", __name__)
MAX_ID = 2**31 - 1  # ids are 32-bit integers: a larger one names nobody (and PostgreSQL refuses it)
GAME = Field(
    dashboards.DEFAULT_GAME,
    pattern=r"^[a-z][a-z0-9_]{0,31}$",
    description="the game (its module's name)",
)


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
    game: str
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
    game: str = GAME


class MatchQuery(BaseModel):
    game: str = GAME


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
    game: str
    match: MatchInfo
    duration_seconds: float = Field(description="seconds of play (the game's), pauses excluded")
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
    game: str = Field(description="the match's game (its module's name)")
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
    game: str = GAME
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
    game: str
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
    """A player's dashboard in one game (`game`, pong by default): results, streaks, rating
    over time, rallies, opponents."""
    user = await _user_or_404(user_id)
    return await dashboards.user_dashboard(user, query_args.rating_points, query_args.game)


@blueprint.get("/users/<id:user_id>/matches")
@validate_querystring(HistoryQuery)
@validate_response(MatchHistory, 200)
async def match_history(user_id: int, query_args: HistoryQuery):
    """Every match of a player's history (counted or not, of every game), newest first, a
    page at a time: what the profile's "See all matches" opens."""
    user = await _user_or_404(user_id)
    offset = int(query_args.cursor or 0)
    return await dashboards.match_history(user, query_args.limit, offset)


@blueprint.get("/matches/<match_id>")
@validate_querystring(MatchQuery)
@error_responses(409)
@validate_response(MatchDashboard, 200)
async def match_dashboard(match_id: str, query_args: MatchQuery):
    """A finished match of `game` (pong by default), read from the game: score over time,
    rallies, ball speed, hits, duration, settings (what the game reports of them). 409
    `game_unavailable` while the game's module is off."""
    await current_user()
    game = game_of(current_core(), query_args.game)
    result = await game.result(match_id) if len(match_id) <= 64 else None
    if result is None:
        raise APIError(404, "not_found", "no such match")
    if result.status != "finished":
        raise APIError(409, "not_finished", "this match is still being played")
    return dashboards.match_dashboard(result)


@blueprint.get("/leaderboard")
@validate_querystring(LeaderboardQuery)
@validate_response(Leaderboard, 200)
async def leaderboard(query_args: LeaderboardQuery):
    """Ranked players: by rating (mode=remote, the default: remote games), or by wins in
    the period in AI games (mode=ai), tournament games (mode=tournament) or every counted
    game (mode=all), of one game (`game`, pong by default). One-keyboard games count on no
    board."""
    await current_user()
    offset = int(query_args.cursor or 0)
    return await leaderboards.leaderboard(
        query_args.period, query_args.mode, query_args.limit, offset, query_args.game
    )
