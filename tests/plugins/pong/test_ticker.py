"""One ticker steps every room in play: games on a shared ticker (simulated clock) play to
their end, one wake-up steps them all, and a room whose tick fails ends alone."""

from __future__ import annotations

import asyncio

from transcendence_pong.clock import FastClock
from transcendence_pong.engine import Engine, Key, Options, Side
from transcendence_pong.room import Room, Seat
from transcendence_pong.ticker import Ticker


class Recorder:
    def __init__(self):
        self.frames: list[dict] = []
        self.finished: list[Room] = []

    async def publish(self, kind: str, state: dict) -> None:
        self.frames.append(state)

    async def on_finish(self, room: Room) -> None:
        self.finished.append(room)


def right_tracks_the_ball(room: Room) -> None:
    engine = room.engine
    paddle = engine.paddles[Side.RIGHT]
    engine.release(Side.RIGHT, Key.UP)
    engine.release(Side.RIGHT, Key.DOWN)
    if engine.ball.y > paddle.y + 6:
        engine.press(Side.RIGHT, Key.DOWN)
    elif engine.ball.y < paddle.y - 6:
        engine.press(Side.RIGHT, Key.UP)


def make_room(name: str, ticker: Ticker, recorder: Recorder, seed: int, on_tick=None) -> Room:
    return Room(
        name,
        Engine(Options(score_limit=2), seed=seed),
        [Seat(Side.LEFT, 1), Seat(Side.RIGHT, 2)],
        publish=recorder.publish,
        on_finish=recorder.on_finish,
        clock=ticker.clock,
        on_tick=on_tick or right_tracks_the_ball,
        ticker=ticker,
    )


async def test_rooms_on_one_ticker_play_to_their_end_stepped_together():
    ticker = Ticker(FastClock())
    recorder = Recorder()
    rooms = [make_room(f"g{i}", ticker, recorder, seed=i) for i in range(3)]
    async with asyncio.timeout(30):
        await asyncio.gather(*(room.start() for room in rooms))
    assert sorted(r.id for r in recorder.finished) == ["g0", "g1", "g2"]
    for room in rooms:
        assert room.engine.winner is Side.RIGHT
        last = [f for f in recorder.frames if f["game_id"] == room.id][-1]
        assert last["phase"] == "finished" and last["scores"]["right"] == 2
    # One wake-up steps every room in play: far fewer wake-ups than ticks run.
    assert ticker.wakeups < sum(room.ticks_run for room in rooms) / 2
    assert len(ticker) == 0  # nobody left in play


async def test_a_room_whose_tick_fails_ends_alone():
    ticker = Ticker(FastClock())
    recorder = Recorder()

    def breaks(room: Room) -> None:
        if room.engine.tick == 50:
            raise RuntimeError("the AI broke")
        right_tracks_the_ball(room)

    broken = make_room("broken", ticker, recorder, seed=1, on_tick=breaks)
    fine = make_room("fine", ticker, recorder, seed=2)
    async with asyncio.timeout(30):
        results = await asyncio.gather(broken.start(), fine.start(), return_exceptions=True)
    assert isinstance(results[0], RuntimeError) and str(results[0]) == "the AI broke"
    assert broken.engine.tick == 50 and not broken.engine.finished
    assert recorder.finished == [fine] and fine.engine.winner is Side.RIGHT


async def test_a_paused_room_leaves_the_ticker_until_it_goes_on():
    ticker = Ticker(FastClock())
    recorder = Recorder()
    paused = asyncio.Event()

    def pause_at_100(room: Room) -> None:
        right_tracks_the_ball(room)
        if room.engine.tick == 100:
            room.hold_still(True)  # P, from the player
            paused.set()

    room = make_room("g", ticker, recorder, seed=3, on_tick=pause_at_100)
    task = room.start()
    async with asyncio.timeout(10):
        await paused.wait()
        for _ in range(50):  # turns of the loop: the room idles, nothing steps the game
            await asyncio.sleep(0)
        assert room.engine.tick == 100 and room.state()["paused"] is not None
        assert len(ticker) == 0
        room.hold_still(False)
        await task
    assert room.engine.finished and recorder.finished == [room]
