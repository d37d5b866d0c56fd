"""Clocks for game rooms: the real one, and one that runs games faster than real time."""

from __future__ import annotations

import asyncio
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float: ...

    async def sleep_until(self, deadline: float) -> None: ...


class LoopClock:
    """Real time, from the event loop's monotonic clock."""

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    async def sleep_until(self, deadline: float) -> None:
        delay = deadline - self.now()
        await asyncio.sleep(max(0.0, delay))


class FastClock:
    """Simulated time that jumps to each deadline: a game runs as fast as the CPU allows.

    It still yields to the event loop at every sleep, so other tasks (clients, bots) keep
    their turn, in the same order real time would give them.
    """

    def __init__(self, start: float = 0.0):
        self._now = start

    def now(self) -> float:
        return self._now

    async def sleep_until(self, deadline: float) -> None:
        self._now = max(self._now, deadline)
        await asyncio.sleep(0)


class ScaledClock:
    """Real time, sped up: `speed` game seconds per real second (tests over real sockets)."""

    def __init__(self, speed: float):
        self.speed = speed
        self._origin: float | None = None

    def _real(self) -> float:
        return asyncio.get_running_loop().time()

    def now(self) -> float:
        if self._origin is None:
            self._origin = self._real()
        return (self._real() - self._origin) * self.speed

    async def sleep_until(self, deadline: float) -> None:
        await asyncio.sleep(max(0.0, (deadline - self.now()) / self.speed))
