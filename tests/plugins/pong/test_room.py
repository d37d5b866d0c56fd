"""Game rooms driven by a simulated clock: whole games, pauses, reconnection and forfeits."""

from __future__ import annotations

import asyncio

from transcendence_pong.clock import FastClock
from transcendence_pong.engine import Engine, Key, Options, Side
from transcendence_pong.room import MAX_INPUTS_PER_SECOND, Room, Seat


class Recorder:
    def __init__(self):
        self.frames: list[dict] = []
        self.finished: list[Room] = []

    async def publish(self, kind: str, state: dict) -> None:
        assert kind == "pong.state"
        self.frames.append(state)

    async def on_finish(self, room: Room) -> None:
        self.finished.append(room)


def tracker(side: Side):
    """A perfect tracker for one side, acting through key events like a player."""

    def act(room: Room) -> None:
        engine = room.engine
        paddle = engine.paddles[side]
        room.engine.release(side, Key.UP)
        room.engine.release(side, Key.DOWN)
        if engine.ball.y > paddle.y + 6:
            room.engine.press(side, Key.DOWN)
        elif engine.ball.y < paddle.y - 6:
            room.engine.press(side, Key.UP)

    return act


def make_room(recorder: Recorder, *, score_limit=3, grace=30.0, on_tick=None) -> Room:
    return Room(
        "g1",
        Engine(Options(score_limit=score_limit), seed=11),
        [Seat(Side.LEFT, 1), Seat(Side.RIGHT, 2)],
        publish=recorder.publish,
        on_finish=recorder.on_finish,
        clock=FastClock(),
        grace=grace,
        on_tick=on_tick,
    )


async def test_a_whole_game_runs_faster_than_real_time_and_finishes_once():
    recorder = Recorder()
    room = make_room(recorder, on_tick=tracker(Side.RIGHT))
    async with asyncio.timeout(20):
        await room.start()
    assert room.engine.winner is Side.RIGHT
    assert recorder.finished == [room]
    last = recorder.frames[-1]
    assert last["phase"] == "finished" and last["winner"] == "right"
    assert last["scores"] == {"left": 0, "right": 3}
    # ~30 snapshots per simulated second, each point included.
    seconds = room.engine.tick / 60
    assert 25 * seconds <= len(recorder.frames) <= 35 * seconds + 10
    assert room.superseded == 0


async def test_disconnect_pauses_and_reconnect_resumes_after_a_countdown():
    recorder = Recorder()
    room = make_room(recorder, on_tick=tracker(Side.RIGHT))
    paused_at = {}

    def drop_then_return(r: Room) -> None:
        tracker(Side.RIGHT)(r)
        if r.engine.tick == 120:
            r.disconnected(Side.LEFT)
            paused_at["tick"] = r.engine.tick

    room.on_tick = drop_then_return
    task = room.start()
    async with asyncio.timeout(20):
        while not any(f["paused"] for f in recorder.frames):
            await asyncio.sleep(0)
        frozen_tick = room.engine.tick
        pause = next(f["paused"] for f in recorder.frames if f["paused"])
        assert pause["side"] == "left" and 0 < pause["seconds_left"] <= 30
        room.clock._now += 10  # ten seconds away: the game stays frozen
        await asyncio.sleep(0)
        assert room.engine.tick == frozen_tick
        room.reconnected(Side.LEFT)
        while not any(f["countdown"] for f in recorder.frames):
            await asyncio.sleep(0)
        await task
    assert room.engine.winner is Side.RIGHT
    assert room.engine.scores[Side.RIGHT] == 3  # won by play, not by forfeit


async def test_a_player_who_never_returns_loses_by_forfeit():
    recorder = Recorder()
    room = make_room(recorder, grace=5.0)

    def drop(r: Room) -> None:
        if r.engine.tick == 90:
            r.disconnected(Side.RIGHT)

    room.on_tick = drop
    async with asyncio.timeout(20):
        await room.start()
    assert room.engine.winner is Side.LEFT
    assert recorder.finished == [room]
    assert any(e["kind"] == "forfeit" for f in recorder.frames for e in f.get("events", []))
    assert room.clock.now() - room.started_at >= 5.0


async def test_inputs_are_acknowledged_and_floods_are_capped():
    recorder = Recorder()
    room = make_room(recorder)
    assert room.input(Side.LEFT, Key.UP, True, seq=1)
    assert room.input(Side.LEFT, Key.UP, False, seq=2)
    assert room.input(Side.LEFT, Key.UP, True, seq=2)  # a duplicate is ignored, not refused
    assert not room.engine.paddles[Side.LEFT].up
    accepted = [room.input(Side.LEFT, Key.DOWN, i % 2 == 0, seq=3 + i) for i in range(100)]
    assert accepted.count(True) == MAX_INPUTS_PER_SECOND - 3
    assert room.state()["acks"]["left"] == 3 + MAX_INPUTS_PER_SECOND - 4
