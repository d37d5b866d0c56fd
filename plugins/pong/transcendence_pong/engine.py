"""The Pong engine: pure, deterministic, a fixed 60 Hz timestep, no I/O and no clock.

The game loop (a room) calls `step()` once per tick; everything else — networking, time,
persistence — lives outside. Given the same options, seed and inputs at the same ticks, two
engines produce the same game. Clients only ever send key presses and releases: the engine
owns every position.

Coordinates: the field is `WIDTH` by `HEIGHT` units, origin top-left, y down. The left paddle
defends x = 0, the right paddle x = WIDTH.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

TICK_RATE = 60
DT = 1.0 / TICK_RATE
WIDTH = 800.0
HEIGHT = 600.0
PADDLE_WIDTH = 12.0
PADDLE_INSET = 24.0  # distance from the goal line to the paddle's back
BALL_RADIUS = 8.0
# One speed for every paddle, human or AI: about 1.2 s from top to bottom.
PADDLE_SPEED = 420.0
MAX_BOUNCE_ANGLE = math.radians(60)
SERVE_DELAY_TICKS = TICK_RATE  # a second between a point and the next serve
# Anti-stall: past this many ticks a rally is in sudden death. Each hit then shrinks both
# paddles, and a paddle shrunk below a tenth of its size no longer stops the ball, so every
# rally ends in bounded time whatever the players do (two idle paddles could otherwise
# return a level ball forever).
SUDDEN_DEATH_TICKS = 30 * TICK_RATE
SUDDEN_DEATH_SHRINK = 0.85
VANISHED = 0.1
POWERUP_EVERY_TICKS = 8 * TICK_RATE
POWERUP_RADIUS = 18.0
POWERUP_EFFECT_TICKS = 8 * TICK_RATE


class Side(StrEnum):
    LEFT = "left"
    RIGHT = "right"

    @property
    def other(self) -> Side:
        return Side.RIGHT if self is Side.LEFT else Side.LEFT


class Key(StrEnum):
    UP = "up"
    DOWN = "down"
    POWER = "power"


class Phase(StrEnum):
    SERVING = "serving"
    PLAYING = "playing"
    FINISHED = "finished"


class PowerKind(StrEnum):
    GROW = "grow"  # the user's paddle grows for a while
    SHRINK = "shrink"  # the opponent's paddle shrinks for a while


@dataclass(frozen=True)
class Limit:
    """A number option's accepted range, and the step of the browser's field for it."""

    low: float
    high: float
    step: float


# What players may choose: the one definition of the options offered (`parse_options` checks
# requests against it with `Options.check_offered`, the request schema is derived from it,
# `GET /api/pong/options` serves it to the browser). The engine itself runs any serve speed
# up to `ball_speed_max` (`__post_init__`): benches and tests drive it faster.
LIMITS: dict[str, Limit] = {
    "ball_speed": Limit(100, 2000, 10),  # units per second at a serve
    "ball_speed_max": Limit(100, 5000, 10),
    "acceleration": Limit(1.0, 1.5, 0.01),  # speed factor per paddle hit
    "paddle_height": Limit(20, HEIGHT, 5),
    "score_limit": Limit(1, 21, 1),
}
THEMES = ("classic", "neon", "forest", "retro")


@dataclass(frozen=True)
class Options:
    """What players can customise; "classic" is the default of every field."""

    ball_speed: float = 360.0  # units per second at a serve
    ball_speed_max: float = 1100.0
    acceleration: float = 1.06  # speed factor per paddle hit
    paddle_height: float = 100.0
    score_limit: int = 5
    powerups: bool = False
    theme: str = "classic"

    def __post_init__(self) -> None:
        if not 100 <= self.ball_speed <= self.ball_speed_max <= 5000:
            raise ValueError("ball speeds must satisfy 100 <= ball_speed <= ball_speed_max <= 5000")
        if not 1.0 <= self.acceleration <= 1.5:
            raise ValueError("acceleration must be between 1.0 and 1.5")
        if not 20 <= self.paddle_height <= HEIGHT:
            raise ValueError(f"paddle_height must be between 20 and {HEIGHT:g}")
        if not 1 <= self.score_limit <= 21:
            raise ValueError("score_limit must be between 1 and 21")

    def check_offered(self) -> None:
        """ValueError unless every option is one players may choose (LIMITS, THEMES)."""
        for name, limit in LIMITS.items():
            if not limit.low <= getattr(self, name) <= limit.high:
                raise ValueError(f"{name} must be between {limit.low:g} and {limit.high:g}")
        if self.theme not in THEMES:
            raise ValueError(f"theme must be one of {', '.join(THEMES)}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "ball_speed": self.ball_speed,
            "ball_speed_max": self.ball_speed_max,
            "acceleration": self.acceleration,
            "paddle_height": self.paddle_height,
            "score_limit": self.score_limit,
            "powerups": self.powerups,
            "theme": self.theme,
        }


# Named sets of options, one click away in the browser: "classic" is every default.
PRESETS: dict[str, Options] = {"classic": Options()}


def options_definition() -> dict[str, Any]:
    """The options as the browser offers them (`GET /api/pong/options`): the defaults, each
    number's range and step, the themes and the presets."""
    return {
        "defaults": Options().as_dict(),
        "limits": {
            name: {"min": limit.low, "max": limit.high, "step": limit.step}
            for name, limit in LIMITS.items()
        },
        "themes": list(THEMES),
        "presets": {name: preset.as_dict() for name, preset in PRESETS.items()},
    }


@dataclass
class Paddle:
    side: Side
    y: float  # centre
    base_height: float
    up: bool = False
    down: bool = False
    grow_until: int = -1
    shrink_until: int = -1
    stall_factor: float = 1.0
    power: PowerKind | None = None  # held, waiting for the POWER key
    hits: int = 0

    def height(self, tick: int) -> float:
        if self.stall_factor < VANISHED:
            return 0.0
        factor = self.stall_factor
        if tick < self.grow_until:
            factor *= 1.5
        if tick < self.shrink_until:
            factor *= 0.6
        return min(HEIGHT, self.base_height * factor)

    @property
    def face_x(self) -> float:
        """The x of the surface the ball bounces on."""
        if self.side is Side.LEFT:
            return PADDLE_INSET + PADDLE_WIDTH
        return WIDTH - PADDLE_INSET - PADDLE_WIDTH

    @property
    def direction(self) -> int:
        return int(self.down) - int(self.up)


@dataclass
class Ball:
    x: float
    y: float
    vx: float
    vy: float

    @property
    def speed(self) -> float:
        return math.hypot(self.vx, self.vy)


@dataclass
class PowerUp:
    kind: PowerKind
    x: float
    y: float


@dataclass
class Rally:
    """One point's worth of play, for the match record and the stats module."""

    started_tick: int
    hits: int = 0
    max_speed: float = 0.0
    winner: Side | None = None
    ended_tick: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.started_tick,
            "end": self.ended_tick,
            "hits": self.hits,
            "max_speed": round(self.max_speed, 1),
            "winner": self.winner.value if self.winner else None,
        }


@dataclass
class Event:
    """Something a client shows (a hit sound, a point, a power-up) rather than infers."""

    tick: int
    kind: str
    side: Side | None = None


@dataclass
class Engine:
    options: Options = field(default_factory=Options)
    seed: int = 0
    tick: int = 0
    phase: Phase = Phase.SERVING
    serve_at: int = SERVE_DELAY_TICKS
    scores: dict[Side, int] = field(default_factory=lambda: {Side.LEFT: 0, Side.RIGHT: 0})
    winner: Side | None = None
    forfeited: Side | None = None
    rallies: list[Rally] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        h = self.options.paddle_height
        self.paddles = {side: Paddle(side, HEIGHT / 2, h) for side in Side}
        # Parts of the last snapshot, reused while they do not change (`snapshot`).
        self._scores_key: tuple[int, int] | None = None
        self._scores_out: dict[str, int] = {}
        self._paddles_out: dict[Side, tuple[float, float, PowerKind | None, dict[str, Any]]] = {}
        self.ball = Ball(WIDTH / 2, HEIGHT / 2, 0.0, 0.0)
        self.server = Side.LEFT if self.rng.random() < 0.5 else Side.RIGHT
        self.powerup: PowerUp | None = None
        self.last_hitter: Side | None = None

    # --- inputs -------------------------------------------------------------------------

    def press(self, side: Side, key: Key) -> None:
        paddle = self.paddles[side]
        if key is Key.UP:
            paddle.up = True
        elif key is Key.DOWN:
            paddle.down = True
        elif key is Key.POWER:
            self._use_power(side)

    def release(self, side: Side, key: Key) -> None:
        paddle = self.paddles[side]
        if key is Key.UP:
            paddle.up = False
        elif key is Key.DOWN:
            paddle.down = False

    def release_all(self, side: Side) -> None:
        """A player who disconnects stops moving (no stuck key)."""
        paddle = self.paddles[side]
        paddle.up = paddle.down = False

    # --- the tick ----------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        return self.phase is Phase.FINISHED

    @property
    def current_rally(self) -> Rally | None:
        if self.rallies and self.rallies[-1].winner is None:
            return self.rallies[-1]
        return None

    def step(self) -> list[Event]:
        """Advance one tick; returns the events of that tick."""
        if self.finished:
            return []
        self.events = []
        self.tick += 1
        self._move_paddles()
        if self.phase is Phase.SERVING:
            if self.tick >= self.serve_at:
                self._serve()
        else:
            start = (self.ball.x, self.ball.y)
            self._move_ball(DT)
            if self.phase is Phase.PLAYING:
                self._collect_powerup(start)
            self._maybe_spawn_powerup()
        return self.events

    def _move_paddles(self) -> None:
        # Every tick of every game (profiled: two thirds of a step): locals, and no move
        # for a still paddle (adding 0.0 would not change it either).
        tick = self.tick
        for paddle in self.paddles.values():
            half = paddle.height(tick) / 2
            y = paddle.y
            if paddle.up is not paddle.down:
                y += (1 if paddle.down else -1) * PADDLE_SPEED * DT
            paddle.y = min(max(y, half), HEIGHT - half) if half else y

    def _serve(self) -> None:
        # Never straight: a serve between 15° and 45° up or down, towards the receiver.
        angle = math.radians(self.rng.uniform(15, 45)) * (1 if self.rng.random() < 0.5 else -1)
        direction = 1 if self.server is Side.LEFT else -1
        speed = self.options.ball_speed
        self.ball = Ball(
            WIDTH / 2, HEIGHT / 2, direction * speed * math.cos(angle), speed * math.sin(angle)
        )
        self.phase = Phase.PLAYING
        self.last_hitter = None
        for paddle in self.paddles.values():
            paddle.stall_factor = 1.0
        self.rallies.append(Rally(started_tick=self.tick, max_speed=speed))
        self.events.append(Event(self.tick, "serve", self.server))

    def _move_ball(self, remaining: float) -> None:
        """Swept motion: find the first surface the ball reaches this tick, bounce, repeat.

        The ball never moves through a paddle or a wall, however fast it goes.
        """
        for _ in range(16):  # far more bounces than one tick can hold
            if remaining <= 1e-12:
                return
            hit = self._first_contact(remaining)
            if hit is None:
                self.ball.x += self.ball.vx * remaining
                self.ball.y += self.ball.vy * remaining
                self._check_goal()
                return
            t, surface = hit
            self.ball.x += self.ball.vx * t
            self.ball.y += self.ball.vy * t
            remaining -= t
            if surface == "wall":
                self.ball.vy = -self.ball.vy
                self.ball.y = min(max(self.ball.y, BALL_RADIUS), HEIGHT - BALL_RADIUS)
                self.events.append(Event(self.tick, "wall"))
            else:
                self._bounce(self.paddles[Side(surface)])

    def _first_contact(self, dt: float) -> tuple[float, str] | None:
        ball = self.ball
        best: tuple[float, str] | None = None
        if ball.vy < 0:
            t = (BALL_RADIUS - ball.y) / ball.vy
            best = (max(t, 0.0), "wall") if t <= dt else None
        elif ball.vy > 0:
            t = (HEIGHT - BALL_RADIUS - ball.y) / ball.vy
            best = (max(t, 0.0), "wall") if t <= dt else None
        paddle = self.paddles[Side.LEFT if ball.vx < 0 else Side.RIGHT] if ball.vx else None
        if paddle is not None:
            plane = paddle.face_x + (BALL_RADIUS if paddle.side is Side.LEFT else -BALL_RADIUS)
            t = (plane - ball.x) / ball.vx
            # Only a ball still in front of the face can hit it (not one already past it).
            in_front = (
                ball.x >= plane - 1e-9 if paddle.side is Side.LEFT else ball.x <= plane + 1e-9
            )
            if in_front and 0 <= t <= dt and (best is None or t < best[0]):
                y_at = ball.y + ball.vy * t
                height = paddle.height(self.tick)
                if height > 0 and abs(y_at - paddle.y) <= height / 2 + BALL_RADIUS:
                    best = (t, paddle.side.value)
        return best

    def _bounce(self, paddle: Paddle) -> None:
        ball = self.ball
        half = paddle.height(self.tick) / 2
        offset = max(-1.0, min(1.0, (ball.y - paddle.y) / (half + BALL_RADIUS)))
        angle = offset * MAX_BOUNCE_ANGLE
        speed = min(ball.speed * self.options.acceleration, self.options.ball_speed_max)
        direction = 1 if paddle.side is Side.LEFT else -1
        ball.vx = direction * speed * math.cos(angle)
        ball.vy = speed * math.sin(angle)
        paddle.hits += 1
        self.last_hitter = paddle.side
        rally = self.current_rally
        if rally is not None:
            rally.hits += 1
            rally.max_speed = max(rally.max_speed, speed)
            if self.tick - rally.started_tick > SUDDEN_DEATH_TICKS:
                for each in self.paddles.values():
                    each.stall_factor *= SUDDEN_DEATH_SHRINK
        self.events.append(Event(self.tick, "hit", paddle.side))

    def _check_goal(self) -> None:
        if self.ball.x < 0:
            self._point(Side.RIGHT)
        elif self.ball.x > WIDTH:
            self._point(Side.LEFT)

    def _point(self, scorer: Side) -> None:
        self.scores[scorer] += 1
        rally = self.current_rally
        if rally is not None:
            rally.winner = scorer
            rally.ended_tick = self.tick
        self.events.append(Event(self.tick, "point", scorer))
        self.ball = Ball(WIDTH / 2, HEIGHT / 2, 0.0, 0.0)
        self.powerup = None
        if self.scores[scorer] >= self.options.score_limit:
            self.phase = Phase.FINISHED
            self.winner = scorer
            self.events.append(Event(self.tick, "finished", scorer))
            return
        self.phase = Phase.SERVING
        self.serve_at = self.tick + SERVE_DELAY_TICKS
        self.server = scorer  # the next serve travels towards the side that lost the point

    def forfeit(self, loser: Side) -> None:
        """End the match now: the other side wins (a player left for good)."""
        if self.finished:
            return
        self.phase = Phase.FINISHED
        self.winner = loser.other
        self.forfeited = loser
        rally = self.current_rally
        if rally is not None:
            rally.ended_tick = self.tick
        self.events.append(Event(self.tick, "forfeit", loser))

    # --- power-ups ----------------------------------------------------------------------

    def _maybe_spawn_powerup(self) -> None:
        if not self.options.powerups or self.powerup is not None:
            return
        if self.tick % POWERUP_EVERY_TICKS == 0:
            kind = PowerKind.GROW if self.rng.random() < 0.5 else PowerKind.SHRINK
            x = self.rng.uniform(WIDTH * 0.35, WIDTH * 0.65)
            y = self.rng.uniform(HEIGHT * 0.2, HEIGHT * 0.8)
            self.powerup = PowerUp(kind, x, y)
            self.events.append(Event(self.tick, "powerup_spawned"))

    def _collect_powerup(self, start: tuple[float, float]) -> None:
        """Collected when the ball's path this tick passes over the item (swept, like hits)."""
        item = self.powerup
        if item is None or self.last_hitter is None:
            return
        if _distance_to_segment((item.x, item.y), start, (self.ball.x, self.ball.y)) <= (
            POWERUP_RADIUS + BALL_RADIUS
        ):
            self.paddles[self.last_hitter].power = item.kind
            self.powerup = None
            self.events.append(Event(self.tick, "powerup_collected", self.last_hitter))

    def _use_power(self, side: Side) -> None:
        paddle = self.paddles[side]
        if paddle.power is None or self.finished:
            return
        if paddle.power is PowerKind.GROW:
            paddle.grow_until = self.tick + POWERUP_EFFECT_TICKS
        else:
            self.paddles[side.other].shrink_until = self.tick + POWERUP_EFFECT_TICKS
        self.events.append(Event(self.tick, f"powerup_{paddle.power.value}", side))
        paddle.power = None

    # --- views --------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything a client needs to draw this tick (and the AI's one look per second).

        Built every other tick of every game, so written for speed (profiled: it cost four
        engine steps): numbers rounded to two decimals as `round(v * 100) / 100` (the same
        value as `round(v, 2)`, at half the cost), no comprehensions, no enum `.value`
        lookups, and the parts that rarely change (a still paddle, the scores) reused from
        the last snapshot while they are the same.
        """
        ball = self.ball
        tick = self.tick
        winner = self.winner
        powerup = self.powerup
        scores = self.scores
        left_score, right_score = scores[Side.LEFT], scores[Side.RIGHT]
        if self._scores_key != (left_score, right_score):
            self._scores_key = (left_score, right_score)
            self._scores_out = {"left": left_score, "right": right_score}
        return {
            "tick": tick,
            "phase": str(self.phase),
            "ball": {
                "x": round(ball.x * 100) / 100,
                "y": round(ball.y * 100) / 100,
                "vx": round(ball.vx * 100) / 100,
                "vy": round(ball.vy * 100) / 100,
            },
            "paddles": {
                "left": self._paddle_state(self.paddles[Side.LEFT], tick),
                "right": self._paddle_state(self.paddles[Side.RIGHT], tick),
            },
            # Shared between snapshots, like a still paddle's: never changed in place.
            "scores": self._scores_out,
            "powerup": (
                {
                    "kind": str(powerup.kind),
                    "x": round(powerup.x * 100) / 100,
                    "y": round(powerup.y * 100) / 100,
                }
                if powerup
                else None
            ),
            "winner": str(winner) if winner else None,
        }

    def _paddle_state(self, paddle: Paddle, tick: int) -> dict[str, Any]:
        y, height, power = paddle.y, paddle.height(tick), paddle.power
        cached = self._paddles_out.get(paddle.side)
        if cached is not None and cached[0] == y and cached[1] == height and cached[2] is power:
            return cached[3]
        state = {
            "y": round(y * 100) / 100,
            "height": round(height * 100) / 100,
            "power": str(power) if power else None,
        }
        self._paddles_out[paddle.side] = (y, height, power, state)
        return state

    def record(self) -> dict[str, Any]:
        """What a finished match keeps: options, score, per-rally data, hits per side."""
        return {
            "options": self.options.as_dict(),
            "scores": {side.value: score for side, score in self.scores.items()},
            "winner": self.winner.value if self.winner else None,
            "forfeited": self.forfeited.value if self.forfeited else None,
            "ticks": self.tick,
            "hits": {side.value: p.hits for side, p in self.paddles.items()},
            "rallies": [r.as_dict() for r in self.rallies if r.ended_tick is not None],
        }


def _distance_to_segment(
    point: tuple[float, float], a: tuple[float, float], b: tuple[float, float]
) -> float:
    (px, py), (ax, ay), (bx, by) = point, a, b
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))
