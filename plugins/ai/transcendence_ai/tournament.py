"""Headless games between bots and a scripted perfect tracker, faster than real time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from transcendence_ai.bot import LEVELS, Bot
from transcendence_pong.clock import FastClock
from transcendence_pong.engine import Engine, Key, Options, Side
from transcendence_pong.room import Room, Seat


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
) -> tuple[Side, Room, Any, Any]:
    options = options or Options(score_limit=5)
    players = {
        Side.LEFT: make_player(left, Side.LEFT, seed * 2 + 1),
        Side.RIGHT: make_player(right, Side.RIGHT, seed * 2 + 2),
    }

    async def publish(kind: str, state: dict[str, Any]) -> None:
        return None

    def drive(room: Room) -> None:
        for player in players.values():
            player.tick(room)
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


async def win_rates(games: int = 20) -> dict[tuple[str, str], float]:
    """Win rate of the row player against the column player, sides alternated."""
    names = [*LEVELS, "tracker"]
    rates: dict[tuple[str, str], float] = {}
    for a in names:
        for b in names:
            if a == b:
                continue
            wins = 0
            for seed in range(games):
                left, right = (a, b) if seed % 2 == 0 else (b, a)
                winner, *_ = await play(left, right, seed)
                wins += (winner is Side.LEFT) == (left == a)
            rates[(a, b)] = wins / games
    return rates


def main() -> None:
    import sys

    games = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    rates = asyncio.run(win_rates(games))
    names = [*LEVELS, "tracker"]
    print(f"win rate of row vs column, {games} games each, first to 5")
    print("          " + "".join(f"{n:>9}" for n in names))
    for a in names:
        cells = "".join(f"{'-':>9}" if a == b else f"{rates[(a, b)]:>9.0%}" for b in names)
        print(f"{a:>9} {cells}")


if __name__ == "__main__":
    main()
