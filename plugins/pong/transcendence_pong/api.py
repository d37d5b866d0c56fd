"""pong's public API: what a module that requires pong may import (ai, tournament, stats).

Everything else in `transcendence_pong` is pong's own; `make lint` refuses another
module's import of it (import-linter, pyproject.toml). A module that does not require pong
uses hooks instead (chat declares `chat_game_invite`, which pong implements).

- the game's rules: `Engine`, `Options`, `Side`, `Key` and the field's constants, `Room` and
  `Seat` (a bot plays a room through `room.input`), `FastClock` (headless games);
- the records: `Match`, `Rating` and `records` (which seat a match counts for);
- starting and ending games: `facade(app)` (the running module: `.games.create(...)`,
  `.games.send(...)`, `.invite(...)`), `parse_options`, `record(room)` (store a headless
  game), `OptionsIn` (the options' request schema), `GameError`.
"""

from __future__ import annotations

from transcendence_pong import records
from transcendence_pong.clock import FastClock
from transcendence_pong.engine import (
    BALL_RADIUS,
    DT,
    HEIGHT,
    PADDLE_INSET,
    PADDLE_SPEED,
    PADDLE_WIDTH,
    TICK_RATE,
    WIDTH,
    Engine,
    Key,
    Options,
    Side,
)
from transcendence_pong.errors import GameError
from transcendence_pong.facade import Pong
from transcendence_pong.models import Match, Rating
from transcendence_pong.options import parse_options
from transcendence_pong.recording import record
from transcendence_pong.room import Room, Seat
from transcendence_pong.schemas import OptionsIn
from transcendence_pong.state import facade

__all__ = [
    "BALL_RADIUS",
    "DT",
    "HEIGHT",
    "PADDLE_INSET",
    "PADDLE_SPEED",
    "PADDLE_WIDTH",
    "TICK_RATE",
    "WIDTH",
    "Engine",
    "FastClock",
    "GameError",
    "Key",
    "Match",
    "Options",
    "OptionsIn",
    "Pong",
    "Rating",
    "Room",
    "Seat",
    "Side",
    "facade",
    "parse_options",
    "record",
    "records",
]
