"""One 60 Hz ticker for every playing room of a node.

A room whose game is in play hands itself to its ticker (`add`) and sleeps; the ticker's
one task wakes 60 times a second and steps every such room in turn, instead of each room
waking on its own 60 times a second (with hundreds of games, those wake-ups cost more than
the ticks: docs/performance.md, "Pong games"). What only a room knows — waiting for its
players, pauses and their deadlines, the countdown, the end — stays in the room's own
task, which wakes for those only.

The catch-up rule is the rooms' one: after a stall, at most `MAX_CATCH_UP_TICKS` ticks at
once, then the backlog is dropped rather than let it spiral. A room that joins is stepped
from the next wake-up on, without the backlog of the rooms already in play.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from transcendence_pong.clock import Clock
from transcendence_pong.engine import DT, Engine

MAX_CATCH_UP_TICKS = 10  # after a stall, catch up at most this many ticks at once


class Room(Protocol):
    """What the ticker needs of a room (room.py's `Room`, which imports this module)."""

    engine: Engine
    pause: Any
    wake: asyncio.Event
    failure: BaseException | None

    def tick(self) -> None: ...


class Ticker:
    """Steps the rooms in play on `clock`, from one task started with the first room and
    ended when the last one leaves."""

    def __init__(self, clock: Clock):
        self.clock = clock
        # Insertion-ordered: rooms are stepped in the order they joined, every wake-up.
        self._rooms: dict[Room, None] = {}
        self._joining: dict[Room, None] = {}
        self._task: asyncio.Task[None] | None = None
        self.wakeups = 0  # how many times the task woke (tests, the benchmark)

    def __len__(self) -> int:
        return len(self._rooms) + len(self._joining)

    def add(self, room: Room) -> None:
        """Step `room` from the next wake-up until it leaves, or until its `wake` event is
        set: by the room's own task (a pause, a forfeit…) or by the ticker, when a tick
        ends the game or pauses it."""
        if room in self._rooms:
            return
        self._joining[room] = None
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="pong-ticker")

    def discard(self, room: Room) -> None:
        self._rooms.pop(room, None)
        self._joining.pop(room, None)

    async def close(self) -> None:
        self._rooms.clear()
        self._joining.clear()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        next_tick = self.clock.now()
        while self._rooms or self._joining:
            now = self.clock.now()
            due = 0
            while next_tick <= now and due < MAX_CATCH_UP_TICKS:
                next_tick += DT
                due += 1
            if due == MAX_CATCH_UP_TICKS and next_tick <= now:
                next_tick = now + DT  # drop the backlog rather than spiral
            if due:
                self.wakeups += 1
                self._step(due)
            await self.clock.sleep_until(next_tick)

    def _step(self, due: int) -> None:
        rooms = self._rooms
        if self._joining:  # one tick this time, whatever the others' backlog
            for room in self._joining:
                rooms[room] = None
            joined, self._joining = self._joining, {}
        else:
            joined = {}
        done: list[Room] = []
        for room in rooms:
            wake = room.wake
            for _ in range(1 if room in joined else due):
                if wake.is_set():  # the room's own task has something to do first
                    done.append(room)
                    break
                try:
                    room.tick()
                except Exception as exc:  # one room's failure ends that room, not the others
                    room.failure = exc
                    wake.set()
                    done.append(room)
                    break
                if room.engine.finished or room.pause is not None:
                    wake.set()
                    done.append(room)
                    break
        for room in done:
            rooms.pop(room, None)
