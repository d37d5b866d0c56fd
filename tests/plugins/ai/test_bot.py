"""The AI's rules, as evaluators check them, on games played faster than real time."""

from __future__ import annotations

from typing import Any

import pytest

from transcendence_ai.bot import LEVELS, Bot, fold, predict_crossing
from transcendence_ai.tournament import play
from transcendence_pong.engine import (
    BALL_RADIUS,
    DT,
    HEIGHT,
    PADDLE_SPEED,
    TICK_RATE,
    Key,
    Options,
    Side,
)
from transcendence_pong.room import Room


class Watched:
    """What the bot gets in place of the room: every look at the game is counted (with the
    game tick it happened at), key events pass through to the room's real input path, and
    anything else that would reveal the game (`.engine`, `.seats`, ...) fails the test."""

    def __init__(self, room: Room, side: Side):
        self._room = room
        self._side = side
        self.looks: list[int] = []  # the game's tick at each look
        self.inputs: list[tuple[Key, bool]] = []  # accepted key events, in order

    def state(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.looks.append(self._room.engine.tick)
        return self._room.state(*args, **kwargs)

    def input(self, side: Side, key: Key, pressed: bool, seq: int = 0) -> bool:
        assert side is self._side, "the bot pressed a key for the other player"
        accepted = self._room.input(side, key, pressed, seq)
        if accepted:
            self.inputs.append((key, pressed))
        return accepted

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the bot read room.{name}: it may only look through state()")


async def watched_game(level: str, opponent: str, seed: int, **kwargs: Any):
    """A game with `level` on the left, handed a `Watched` room; the engine's own
    press/release calls for the left paddle are recorded too."""
    watched: dict[str, Watched] = {}
    engine_keys: list[tuple[Key, bool]] = []

    def view(room: Room, side: Side) -> Any:
        if side is not Side.LEFT:
            return room
        engine = room.engine
        press, release = engine.press, engine.release

        def spy_press(s: Side, key: Key) -> None:
            if s is Side.LEFT:
                engine_keys.append((key, True))
            press(s, key)

        def spy_release(s: Side, key: Key) -> None:
            if s is Side.LEFT:
                engine_keys.append((key, False))
            release(s, key)

        engine.press, engine.release = spy_press, spy_release  # type: ignore[method-assign]
        watched["left"] = Watched(room, side)
        return watched["left"]

    _winner, room, bot, _other = await play(level, opponent, seed, view=view, **kwargs)
    return room, bot, watched["left"], engine_keys


@pytest.mark.parametrize("level", list(LEVELS))
@pytest.mark.parametrize("opponent", ["normal", "tracker"])
async def test_the_bot_looks_once_per_second_of_game(level, opponent):
    room, _bot, watched, _ = await watched_game(level, opponent, seed=3)
    seconds = room.engine.tick / TICK_RATE  # the game's length, measured by the game
    assert seconds > 10
    assert abs(len(watched.looks) - seconds) <= 1
    # ... and a look is exactly one second of game after the one before.
    gaps = {b - a for a, b in zip(watched.looks, watched.looks[1:], strict=False)}
    assert gaps == {TICK_RATE}


async def test_every_action_goes_through_the_input_path_as_press_and_release():
    moves: list[float] = []
    last: list[float] = []

    def paddle_speed(room: Room) -> None:
        y = room.engine.paddles[Side.LEFT].y
        if last:
            moves.append(abs(y - last[0]))
        last[:] = [y]

    _room, _bot, watched, engine_keys = await watched_game(
        "hard", "tracker", seed=5, options=Options(powerups=True), on_tick=paddle_speed
    )
    assert len(watched.inputs) > 10
    # Every key the engine applied to the bot's paddle came through the input path, in order.
    assert engine_keys == watched.inputs
    keys = [(key, pressed) for key, pressed in watched.inputs if key is not Key.POWER]
    assert {pressed for _, pressed in keys} == {True, False}
    assert (Key.POWER, True) in watched.inputs  # power-ups are used by a key press too
    # Never faster than a human's paddle: the one speed the engine gives every player.
    assert max(moves) == pytest.approx(PADDLE_SPEED * DT)
    assert all(move <= PADDLE_SPEED * DT + 1e-9 for move in moves)


async def test_levels_can_win_and_can_lose():
    results = {}
    for seed in range(6):
        left, right = ("hard", "easy") if seed % 2 == 0 else ("easy", "hard")
        winner, *_ = await play(left, right, seed)
        results[seed] = (winner is Side.LEFT) == (left == "hard")
    assert sum(results.values()) >= 5  # hard beats easy
    winner, *_ = await play("hard", "tracker", seed=1)
    assert winner is Side.RIGHT  # hard loses to a machine that sees every tick
    # (and wins some: test_tournament.py)


async def test_the_bot_uses_power_ups_when_the_match_has_them():
    used = []

    def watch(room):
        for event in room.engine.events:
            if event.kind in {"powerup_grow", "powerup_shrink"}:
                used.append(event.side)

    await play("hard", "hard", seed=2, options=Options(powerups=True, score_limit=7), on_tick=watch)
    assert used, "neither bot used a power-up"


def test_prediction_folds_the_path_over_the_walls():
    assert fold(BALL_RADIUS - 10) == pytest.approx(BALL_RADIUS + 10)
    assert fold(HEIGHT - BALL_RADIUS + 10) == pytest.approx(HEIGHT - BALL_RADIUS - 10)
    # From the centre, aimed at the right paddle with one bounce off the bottom wall.
    y, seconds = predict_crossing(400, 300, 400, 400, Side.RIGHT)
    assert seconds > 0
    assert BALL_RADIUS <= y <= HEIGHT - BALL_RADIUS


def test_levels_are_human_limits_not_a_slower_paddle():
    bot_fields = {
        "reaction",
        "aim_error",
        "hesitation",
        "anticipation",
        "aim",
        "uses_power",
        "name",
    }
    for level in LEVELS.values():
        assert set(vars(level)) == bot_fields
    assert Bot(Side.LEFT, "easy").level.reaction > Bot(Side.LEFT, "hard").level.reaction
