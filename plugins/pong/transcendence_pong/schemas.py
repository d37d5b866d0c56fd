"""The request and response models of pong's REST routes and realtime types. A leaf of
pong's layers: the engine's option definition below it, nothing above.

`OptionsIn` is derived from the engine's definition (`engine.LIMITS`, `THEMES`, the
defaults of `Options`): one source for the server, the schema and the browser (which reads
it from `GET /api/pong/options`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from transcendence.ids import DbId
from transcendence_pong.engine import LIMITS, THEMES, Options

CLASSIC = Options()


def _number(name: str) -> Any:
    """A number option's field: its default and range from the engine."""
    limit = LIMITS[name]
    return Field(getattr(CLASSIC, name), ge=limit.low, le=limit.high)


class OptionsIn(BaseModel):
    """A game's options; an option left out is the classic game's (the engine's default)."""

    ball_speed: float = _number("ball_speed")
    ball_speed_max: float = _number("ball_speed_max")
    acceleration: float = _number("acceleration")
    paddle_height: float = _number("paddle_height")
    score_limit: int = _number("score_limit")
    powerups: bool = CLASSIC.powerups
    theme: str = Field(CLASSIC.theme, json_schema_extra={"enum": list(THEMES)})

    @field_validator("theme")
    @classmethod
    def _known_theme(cls, value: str) -> str:
        if value not in THEMES:
            raise ValueError(f"theme must be one of {', '.join(THEMES)}")
        return value


class OptionsOut(BaseModel):
    """`GET /api/pong/options`: what the browser's option forms offer (engine.py)."""

    defaults: dict[str, Any]
    limits: dict[str, dict[str, float]] = Field(description="each number option: min, max, step")
    themes: list[str]
    presets: dict[str, dict[str, Any]] = Field(description='named option sets ("classic")')


class CreateIn(BaseModel):
    mode: Literal["local", "ai"]
    options: OptionsIn = Field(default_factory=OptionsIn)
    level: Literal["easy", "normal", "hard"] = "normal"
    opponent_name: str = Field("Player 2", min_length=1, max_length=32)


class GameOut(BaseModel):
    game_id: str
    side: Literal["left", "right"] | None
    mode: str
    keyboard: bool = False  # both paddles from this keyboard (local games, local tournaments)


class GameCreated(BaseModel):
    game_id: str
    side: Literal["left", "right"]
    mode: str


class GameRef(BaseModel):
    game_id: str = Field(min_length=1, max_length=64)


class PauseIn(BaseModel):
    game_id: str = Field(min_length=1, max_length=64)
    paused: bool


class KeyIn(BaseModel):
    """A key event (`POST /api/pong/games/<id>/input`: the game is in the path)."""

    key: Literal["up", "down", "power"]
    pressed: bool
    seq: int = Field(0, ge=0)
    side: Literal["left", "right"] | None = Field(None, description="local games only")


class InputIn(KeyIn):
    """`pong.input`: a key event of a game."""

    game_id: str = Field(min_length=1, max_length=64)


class QueueIn(BaseModel):
    options: OptionsIn = Field(default_factory=OptionsIn)


class QueueOut(BaseModel):
    status: Literal["waiting", "matched"]
    game_id: str | None = None


class InviteIn(BaseModel):
    user_id: DbId
    options: OptionsIn = Field(default_factory=OptionsIn)


class InviteOut(BaseModel):
    invite_id: int


class InviteAnswer(BaseModel):
    invite_id: DbId
    accept: bool


class RematchOut(BaseModel):
    status: Literal["started", "offered"]
    game_id: str | None = Field(None, description="the new game (local and AI: `started`)")
    invite_id: int | None = Field(None, description="the offer to the opponent (remote)")


class Ok(BaseModel):
    ok: bool = True


class LiveFrame(BaseModel):
    event: Literal["started", "ended"]
    game: dict[str, Any] = Field(description="the game, as GET /api/pong/games lists it")


class MatchOut(BaseModel):
    id: str
    mode: str
    status: str
    left: dict[str, Any]
    right: dict[str, Any]
    score: dict[str, int]
    winner: str | None
    forfeit: bool
    options: dict[str, Any]
    started_at: str
    ended_at: str | None
    live: dict[str, Any] | None = None


class HistoryQuery(BaseModel):
    user_id: DbId | None = None
    limit: int = Field(20, ge=1, le=100)


class HistoryOut(BaseModel):
    items: list[MatchOut]


class LiveQuery(BaseModel):
    limit: int = Field(20, ge=1, le=100)


class LiveOut(BaseModel):
    items: list[MatchOut]
