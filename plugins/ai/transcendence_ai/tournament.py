"""Headless games between bots and a scripted perfect tracker, faster than real time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from transcendence_ai.bot import LEVELS, Bot
from transcendence_pong.api import Engine, FastClock, Key, Options, Room, Seat, Side


class PerfectTracker:
    """Reads the true ball position every tick and keeps the paddle centred on it.

    The reference opponent: no human can do this, and the rules forbid the AI from it.
    """

    def __init__(self, side: Side):
        self.side = side

    def tick(self, room: Room) -> None:
        paddle = room.engine.paddles[self.side]
        ball_y = room.engine.ball.y
        down, up = ball_y > paddle.y + 4, ball_y < paddle.y - 4
        room.input(self.side, Key.DOWN, down)
        room.input(self.side, Key.UP, up)


def make_player(name: str, side: Side, seed: int) -> Any:
    return PerfectTracker(side) if name == "tracker" else Bot(side, name, seed=seed)


async def play(
    left: str,
    right: str,
    seed: int,
    options: Options | None = None,
    on_tick: Callable[[Room], None] | None = None,
    view: Callable[[Room, Side], Any] | None = None,
) -> tuple[Side, Room, Any, Any]:
    """One game, first to 5 unless `options` say otherwise; the winner, the room and the
    two players. Each player's `tick` gets the room, or `view(room, side)` when given (what
    the tests hand a bot to watch what it reads)."""
    options = options or Options(score_limit=5)
    players = {
        Side.LEFT: make_player(left, Side.LEFT, seed * 2 + 1),
        Side.RIGHT: make_player(right, Side.RIGHT, seed * 2 + 2),
    }

    async def publish(kind: str, state: dict[str, Any]) -> None:
        return None

    seen: dict[Side, Any] = {}

    def drive(room: Room) -> None:
        for side, player in players.items():
            if side not in seen:
                seen[side] = view(room, side) if view else room
            player.tick(seen[side])
        if on_tick:
            on_tick(room)

    room = Room(
        f"bench-{seed}",
        Engine(options, seed=seed),
        [Seat(Side.LEFT, None, remote=False), Seat(Side.RIGHT, None, remote=False)],
        publish=publish,
        clock=FastClock(),
        on_tick=drive,
    )
    room.input = _uncapped(room)  # type: ignore[method-assign]
    await room.run()
    assert room.engine.winner is not None
    return room.engine.winner, room, players[Side.LEFT], players[Side.RIGHT]


def _uncapped(room: Room):
    """Bench players press at most a few keys a second, but the tracker may re-send every
    tick; the room's anti-flood cap is for remote clients, not for this harness."""
    original = room.input

    def send(side: Side, key: Key, pressed: bool, seq: int = 0) -> bool:
        room.seats[side].recent_inputs.clear()
        return original(side, key, pressed, seq)

    return send


NAMES = (*LEVELS, "tracker")


async def wins(a: str, b: str, games: int, seed: int = 0) -> int:
    """How many of `games` games `a` wins against `b`: seeds `seed`, `seed + 1`, ..., sides
    alternated. Seeded, so deterministic; and the same games whichever player is named
    first (the one earlier in `NAMES` is on the left in the first game), so
    `wins(a, b) + wins(b, a) == games` and a test's sample is the bench's, cut short."""
    first, second = (a, b) if NAMES.index(a) <= NAMES.index(b) else (b, a)
    won = 0
    for i in range(games):
        left, right = (first, second) if i % 2 == 0 else (second, first)
        winner, *_ = await play(left, right, seed + i)
        won += (winner is Side.LEFT) == (left == a)
    return won


async def win_rates(
    games: int = 40, seed: int = 0, names: tuple[str, ...] = NAMES
) -> dict[tuple[str, str], float]:
    """Win rate of the row player against the column player (`games` games per pair, see
    `wins`). Each pair plays once, so a cell and its mirror image add up to 100 %."""
    rates: dict[tuple[str, str], float] = {}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            rate = await wins(a, b, games, seed) / games
            rates[(a, b)], rates[(b, a)] = rate, 1 - rate
    return rates
