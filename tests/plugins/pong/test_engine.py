"""Properties of the Pong engine, checked by hypothesis over seeds, options and inputs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from transcendence_pong.engine import (
    BALL_RADIUS,
    HEIGHT,
    PADDLE_SPEED,
    SUDDEN_DEATH_TICKS,
    TICK_RATE,
    WIDTH,
    Ball,
    Engine,
    Key,
    Options,
    Phase,
    Side,
)

options_strategy = st.builds(
    Options,
    ball_speed=st.floats(100, 1000),
    ball_speed_max=st.just(5000.0),
    acceleration=st.floats(1.0, 1.5),
    paddle_height=st.floats(20, 200),
    score_limit=st.integers(1, 7),
    powerups=st.booleans(),
)
# (tick, side, key, pressed): a player's key events during a game.
inputs_strategy = st.lists(
    st.tuples(
        st.integers(0, 3000),
        st.sampled_from(list(Side)),
        st.sampled_from(list(Key)),
        st.booleans(),
    ),
    max_size=60,
)


def play(engine: Engine, inputs, ticks: int, on_tick=None) -> Engine:
    schedule: dict[int, list] = {}
    for tick, side, key, pressed in inputs:
        schedule.setdefault(tick, []).append((side, key, pressed))
    for _ in range(ticks):
        for side, key, pressed in schedule.get(engine.tick, []):
            (engine.press if pressed else engine.release)(side, key)
        engine.step()
        if on_tick:
            on_tick(engine)
        if engine.finished:
            break
    return engine


@settings(max_examples=60, deadline=None)
@given(options=options_strategy, seed=st.integers(0, 2**32), inputs=inputs_strategy)
def test_ball_and_paddles_never_leave_the_field(options, seed, inputs):
    def check(engine: Engine) -> None:
        ball = engine.ball
        assert BALL_RADIUS - 1e-6 <= ball.y <= HEIGHT - BALL_RADIUS + 1e-6
        # Past a goal line only for the one tick that scores it.
        assert -ball.speed / TICK_RATE - 1 <= ball.x <= WIDTH + ball.speed / TICK_RATE + 1
        for paddle in engine.paddles.values():
            half = paddle.height(engine.tick) / 2
            assert half - 1e-6 <= paddle.y <= HEIGHT - half + 1e-6

    play(Engine(options, seed=seed), inputs, 3000, check)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), speed=st.floats(100, 5000), accel=st.floats(1.0, 1.5))
def test_a_ball_never_passes_through_a_paddle_at_any_speed(seed, speed, accel):
    # Paddles as tall as the field cover every point of their goal line: any goal would be
    # a ball that went through one. At 5000 units/s the ball moves 83 units a tick, far
    # more than a paddle's thickness.
    options = Options(
        ball_speed=speed, ball_speed_max=5000, acceleration=accel, paddle_height=HEIGHT
    )
    engine = play(Engine(options, seed=seed), [], SUDDEN_DEATH_TICKS - 1)
    assert engine.scores == {Side.LEFT: 0, Side.RIGHT: 0}
    assert engine.paddles[Side.LEFT].hits + engine.paddles[Side.RIGHT].hits > 0


@settings(max_examples=60, deadline=None)
@given(options=options_strategy, seed=st.integers(0, 2**32), inputs=inputs_strategy)
def test_scores_only_rise_and_match_the_rallies(options, seed, inputs):
    seen = {Side.LEFT: 0, Side.RIGHT: 0}

    def check(engine: Engine) -> None:
        for side, score in engine.scores.items():
            assert score >= seen[side]
            assert score <= options.score_limit
            seen[side] = score

    engine = play(Engine(options, seed=seed), inputs, 4000, check)
    won = [r.winner for r in engine.rallies if r.winner is not None]
    assert won.count(Side.LEFT) == engine.scores[Side.LEFT]
    assert won.count(Side.RIGHT) == engine.scores[Side.RIGHT]
    if engine.finished:
        assert engine.scores[engine.winner] == options.score_limit


# The longest a rally can last: sudden death, then at most ~22 shrinking hits before a paddle
# vanishes, each at most one slow crossing apart (a ball leaves a paddle at >= cos 60° of
# its speed), plus the last crossing.
RALLY_BOUND = SUDDEN_DEATH_TICKS + 24 * int(WIDTH / (0.5 * 100) * TICK_RATE)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32), inputs=inputs_strategy, height=st.floats(20, 200))
def test_a_rally_always_ends(seed, inputs, height):
    # Idle paddles at the centre are the worst case: they can return a level ball forever.
    engine = Engine(Options(paddle_height=height, score_limit=21), seed=seed)
    play(engine, inputs, RALLY_BOUND + 2 * TICK_RATE, None)
    while engine.current_rally is None and not engine.finished:
        engine.step()
    rally = engine.current_rally
    start = engine.tick
    while rally is not None and rally.winner is None and engine.tick - start < RALLY_BOUND:
        engine.step()
    assert rally is None or rally.winner is not None


@settings(max_examples=30, deadline=None)
@given(options=options_strategy, seed=st.integers(0, 2**32), inputs=inputs_strategy)
def test_the_same_inputs_give_the_same_game(options, seed, inputs):
    first = play(Engine(options, seed=seed), inputs, 2500)
    second = play(Engine(options, seed=seed), inputs, 2500)
    assert first.snapshot() == second.snapshot()
    assert first.record() == second.record()


def test_paddles_move_at_one_speed_for_everyone():
    engine = Engine(Options(paddle_height=100))
    engine.press(Side.LEFT, Key.DOWN)
    engine.press(Side.RIGHT, Key.UP)
    start = {side: p.y for side, p in engine.paddles.items()}
    for _ in range(10):
        engine.step()
    moved = {side: abs(engine.paddles[side].y - start[side]) for side in Side}
    assert moved[Side.LEFT] == moved[Side.RIGHT] == PADDLE_SPEED * 10 / TICK_RATE


def test_a_whole_game_is_won_by_the_side_that_tracks_the_ball():
    # The right paddle follows the ball perfectly; the left one never moves.
    engine = Engine(Options(score_limit=3), seed=7)
    while not engine.finished:
        paddle = engine.paddles[Side.RIGHT]
        want_down = engine.ball.y > paddle.y + 5
        want_up = engine.ball.y < paddle.y - 5
        (engine.press if want_down else engine.release)(Side.RIGHT, Key.DOWN)
        (engine.press if want_up else engine.release)(Side.RIGHT, Key.UP)
        engine.step()
        assert engine.tick < 60 * TICK_RATE * 10
    assert engine.winner is Side.RIGHT
    assert engine.phase is Phase.FINISHED
    record = engine.record()
    assert record["scores"] == {"left": 0, "right": 3}
    assert len(record["rallies"]) == 3
    assert all(r["winner"] == "right" for r in record["rallies"])


def test_power_ups_are_collected_by_the_last_hitter_and_used_with_a_key():
    engine = Engine(Options(powerups=True, paddle_height=HEIGHT, score_limit=21), seed=3)
    collected = None
    for _ in range(SUDDEN_DEATH_TICKS - 1):
        events = engine.step()
        hit = next((e for e in events if e.kind == "powerup_collected"), None)
        if hit:
            collected = hit.side
            break
    assert collected is not None, "no power-up was collected in 30 s of rallies"
    kind = engine.paddles[collected].power
    engine.press(collected, Key.POWER)
    assert engine.paddles[collected].power is None
    engine.step()
    if kind.value == "grow":
        assert engine.paddles[collected].grow_until > engine.tick
    else:
        assert engine.paddles[collected.other].shrink_until > engine.tick


def test_forfeit_ends_the_match_for_the_other_side():
    engine = Engine()
    for _ in range(100):
        engine.step()
    engine.forfeit(Side.LEFT)
    assert engine.finished and engine.winner is Side.RIGHT
    assert engine.step() == []


def test_sudden_death_ends_a_rally_that_would_last_forever():
    # A level ball between two idle centred paddles would bounce forever without the rule.
    engine = Engine(Options(), seed=1)
    while engine.phase is not Phase.PLAYING:
        engine.step()
    engine.ball = Ball(WIDTH / 2, HEIGHT / 2, Options().ball_speed, 0.0)
    for _ in range(SUDDEN_DEATH_TICKS):
        engine.step()
    assert engine.scores == {Side.LEFT: 0, Side.RIGHT: 0}  # still stalled at 30 s
    while engine.scores == {Side.LEFT: 0, Side.RIGHT: 0}:
        engine.step()
        assert engine.tick < RALLY_BOUND
    assert engine.rallies[0].hits > 20
