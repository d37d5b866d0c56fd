"""This node's timers (tournament starts, no-show deadlines) and background tasks.

The database is the truth: `calls.rearm` arms every pending timer again at start-up, and
each timer acts through a conditional update, so a timer armed on several nodes acts once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("transcendence.tournament")


def now() -> datetime:
    return datetime.now(UTC)


def timers_of(app: Any) -> Timers:
    timers = app.extensions.get("tournament")
    if timers is None:
        timers = app.extensions["tournament"] = Timers(app)
    return timers


def spawn(app: Any, coro: Any) -> None:
    timers_of(app).spawn(coro)


class Timers:
    """This node's timers, by key (`start:<id>`, `noshow:<id>`), and its background tasks."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.background: set[asyncio.Task[None]] = set()

    def at(self, key: str, when: datetime, action: Any, *args: Any) -> None:
        """`action(app, *args)` at `when` (at once if it has passed), in an app context."""
        old = self.tasks.pop(key, None)
        if old is not None:
            old.cancel()
        self.tasks[key] = asyncio.get_running_loop().create_task(
            self._fire(key, when, action, args), name=f"tournament-{key}"
        )

    async def _fire(self, key: str, when: datetime, action: Any, args: tuple[Any, ...]) -> None:
        try:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            delay = (when - now()).total_seconds()
            if delay > 0:
                await asyncio.sleep(delay)  # a deadline, not a wait for an event
            async with self.app.app_context():
                await action(self.app, *args)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("tournament timer %s failed", key)
        finally:
            if self.tasks.get(key) is asyncio.current_task():
                del self.tasks[key]

    def cancel(self, key: str) -> None:
        task = self.tasks.pop(key, None)
        if task is not None:
            task.cancel()

    def spawn(self, coro: Any) -> None:
        """Run `coro` in the background, in an app context; a failure is logged."""

        async def run() -> None:
            try:
                async with self.app.app_context():
                    await coro
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("tournament task failed")

        task = asyncio.get_running_loop().create_task(run())
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def stop(self) -> None:
        tasks = [*self.tasks.values(), *self.background]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.tasks.clear()
