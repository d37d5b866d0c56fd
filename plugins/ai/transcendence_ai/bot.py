"""A Pong bot held to a human's limits.

- It looks at the game once per second (`observe`), never in between.
- From that one look it predicts where the ball will cross its paddle line, folding the
  path over the walls, and, when the ball is going away, where it will come back after the
  opponent's return; it then plans a second of key presses and releases.
- It acts only through key events on the room's input path, like a player, so its paddle
  moves at exactly a human's speed.
- Its level is made of human limits — reaction time, aim error, hesitation — never of a
  slower paddle or a peek at the future.

No A*: the plan is arithmetic on one snapshot (a straight line folded by the walls).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from transcendence_pong.api import (
    BALL_RADIUS,
    HEIGHT,
    PADDLE_INSET,
    PADDLE_SPEED,
    PADDLE_WIDTH,
    TICK_RATE,
    WIDTH,
    Key,
    Side,
)

LOOK_EVERY = TICK_RATE  # one look per second of game time


@dataclass(frozen=True)
class Level:
    name: str
    reaction: float  # seconds between a look and the first key press
    aim_error: float  # standard deviation of the aim, in field units
    hesitation: float  # chance, per look, of not moving this second
    anticipation: bool  # whether it moves towards the expected return while the ball is away
    aim: float = 0.0  # how far off-centre it meets the ball (fraction of half a paddle)
    uses_power: bool = True


LEVELS = {
    "easy": Level("easy", reaction=0.45, aim_error=55.0, hesitation=0.25, anticipation=False),
    "normal": Level(
        "normal", reaction=0.25, aim_error=25.0, hesitation=0.08, anticipation=True, aim=0.3
    ),
    "hard": Level(
        "hard", reaction=0.12, aim_error=10.0, hesitation=0.0, anticipation=True, aim=0.7
    ),
}


def fold(y: float) -> float:
    """Where a ball centre at unfolded height `y` really is, after bouncing off the walls."""
    low, high = BALL_RADIUS, HEIGHT - BALL_RADIUS
    span = high - low
    y = (y - low) % (2 * span)
    return low + (y if y <= span else 2 * span - y)


def paddle_plane(side: Side) -> float:
    face = PADDLE_INSET + PADDLE_WIDTH if side is Side.LEFT else WIDTH - PADDLE_INSET - PADDLE_WIDTH
    return face + (BALL_RADIUS if side is Side.LEFT else -BALL_RADIUS)


def predict_crossing(x: float, y: float, vx: float, vy: float, side: Side) -> tuple[float, float]:
    """(y, seconds) at which a ball moving in a straight line reaches `side`'s paddle plane."""
    plane = paddle_plane(side)
    seconds = (plane - x) / vx
    return fold(y + vy * seconds), seconds


@dataclass
class Plan:
    actions: list[tuple[int, Key, bool]] = field(default_factory=list)  # (tick, key, pressed)


class Bot:
    """Fills one seat of a room. Call `tick(room)` every tick (the room's `on_tick`)."""

    def __init__(self, side: Side, level: str | Level = "normal", *, seed: int = 0):
        self.side = side
        self.level = LEVELS[level] if isinstance(level, str) else level
        self.rng = random.Random(seed)
        self.observations = 0
        self.inputs_sent = 0
        self.plan = Plan()
        self.seq = 0
        self._pressed: set[Key] = set()
        self._ticks = 0  # its own count of ticks: a clock, not a look at the game

    # --- the room calls this every tick -------------------------------------------------

    def tick(self, room: Any) -> None:
        tick = self._ticks
        self._ticks += 1
        if tick % LOOK_EVERY == 0:
            self.observe(room.state(), tick)
        while self.plan.actions and self.plan.actions[0][0] <= tick:
            _, key, pressed = self.plan.actions.pop(0)
            self._send(room, key, pressed)

    def _send(self, room: Any, key: Key, pressed: bool) -> None:
        if pressed == (key in self._pressed) and key is not Key.POWER:
            return
        self.seq += 1
        if room.input(self.side, key, pressed, self.seq):
            self.inputs_sent += 1
            if key is not Key.POWER:
                (self._pressed.add if pressed else self._pressed.discard)(key)

    # --- one look, one plan ------------------------------------------------------------

    def observe(self, state: dict[str, Any], now_tick: int) -> None:
        """Read one snapshot and plan the next second of key events."""
        self.observations += 1
        level = self.level
        me = state["paddles"][self.side.value]
        ball = state["ball"]
        target = self._target(ball, state)
        if target is None:
            target = HEIGHT / 2
        target += self.rng.gauss(0.0, level.aim_error)
        start = now_tick + max(1, round(level.reaction * TICK_RATE))
        actions: list[tuple[int, Key, bool]] = [
            (now_tick + 1, Key.UP, False),
            (now_tick + 1, Key.DOWN, False),
        ]
        if self.rng.random() >= level.hesitation:
            distance = target - me["y"]
            if abs(distance) > 6:
                key = Key.DOWN if distance > 0 else Key.UP
                # Dead reckoning: the paddle covers PADDLE_SPEED per second, no faster.
                hold = max(1, round(abs(distance) / PADDLE_SPEED * TICK_RATE))
                hold = min(hold, LOOK_EVERY - (start - now_tick))
                actions += [(start, key, True), (start + hold, key, False)]
        if level.uses_power and me.get("power"):
            toward_me = (ball["vx"] < 0) == (self.side is Side.LEFT)
            # Grow to save a ball coming at us; shrink the opponent when the ball goes to them.
            if (me["power"] == "grow") == toward_me:
                actions.append((start, Key.POWER, True))
        self.plan = Plan(sorted(actions, key=lambda a: a[0]))

    def _target(self, ball: dict[str, float], state: dict[str, Any]) -> float | None:
        if state["phase"] != "playing" or ball["vx"] == 0:
            return None
        toward_me = (ball["vx"] < 0) == (self.side is Side.LEFT)
        if toward_me:
            y, _ = predict_crossing(ball["x"], ball["y"], ball["vx"], ball["vy"], self.side)
            # Aim: meet the ball off-centre so it leaves steeply, away from the opponent
            # (meeting it below the paddle's centre sends it up, and the reverse).
            half = state["paddles"][self.side.value]["height"] / 2
            opponent = state["paddles"][self.side.other.value]["y"]
            away = 1 if opponent > HEIGHT / 2 else -1
            return y + away * self.level.aim * half
        if not self.level.anticipation:
            return HEIGHT / 2
        # Away: where it meets the opponent, then mirrored back (their return angle is
        # unknown; the same angle reversed is the best single guess, hedged to the centre).
        other = self.side.other
        y, _ = predict_crossing(ball["x"], ball["y"], ball["vx"], ball["vy"], other)
        back, _ = predict_crossing(paddle_plane(other), y, -ball["vx"], ball["vy"], self.side)
        return (back + HEIGHT / 2) / 2
