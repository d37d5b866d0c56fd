"""Ended sessions, known to every node without a database read per request.

An access token names its session (`sid`). When a session ends (logout, log out everywhere,
a password change, refresh-token reuse, account deletion) its id is added to this node's
set at once and published on the bus; every node adds it to its own set and closes the
sockets of that session it holds. The REST guard (`transcendence.auth`) and the socket's
`auth` check read only the set.

The set keeps an id for one access-token lifetime after the session ended: a token of the
session was issued before that, so it has expired by then. A node fills the set from the
sessions table when it starts, and again after the bus announces a gap (`RESYNC`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from quart import current_app, has_app_context

from transcendence.accounts import tokens
from transcendence.accounts.models import Session
from transcendence.bus import RESYNC, Bus, BusUnavailable, Subscription, SubscriptionOverflow

log = logging.getLogger("transcendence.accounts.revocation")
EXTENSION = "transcendence.accounts.revocations"


class Revocations:
    """This node's set of ended session ids (with when each may be forgotten)."""

    def __init__(self, bus: Bus, namespace: str) -> None:
        self.bus = bus
        self.topic = f"accounts.{namespace}.sessions_ended"
        self._until: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None
        self._listeners: list[Callable[[list[str]], None]] = []

    def __contains__(self, session_id: object) -> bool:
        until = self._until.get(session_id)  # type: ignore[call-overload]
        if until is None:
            return False
        if until > time.time():
            return True
        del self._until[session_id]  # type: ignore[arg-type]
        return False

    def __len__(self) -> int:
        return len(self._until)

    def on_revoked(self, listener: Callable[[list[str]], None]) -> None:
        """`listener(session_ids)` runs for ids this node learns about (to close sockets)."""
        self._listeners.append(listener)

    def add(self, session_ids: Iterable[str], until: float | None = None) -> None:
        until = until if until is not None else time.time() + tokens.ACCESS_TTL
        fresh = []
        for sid in session_ids:
            if sid and sid not in self._until:
                fresh.append(sid)
            if sid:
                self._until[sid] = max(until, self._until.get(sid, 0.0))
        self._prune()
        if fresh:
            for listener in self._listeners:
                listener(fresh)

    def _prune(self) -> None:
        if len(self._until) > 1024:
            now = time.time()
            self._until = {k: v for k, v in self._until.items() if v > now}

    async def revoke(self, session_ids: Iterable[str]) -> None:
        """Record ended sessions here and tell every other node."""
        ids = [str(s) for s in session_ids if s]
        if not ids:
            return
        until = time.time() + tokens.ACCESS_TTL
        self.add(ids, until)
        try:
            await self.bus.publish_json(self.topic, {"sessions": ids, "until": until})
        except BusUnavailable as exc:
            # The other nodes reload from the table when their bus comes back (RESYNC).
            log.warning("could not announce %d ended session(s): %s", len(ids), exc)

    async def load(self) -> None:
        """Every session that ended within one access-token lifetime, from the table."""
        since = datetime.now(UTC) - timedelta(seconds=tokens.ACCESS_TTL)
        rows = await Session.filter(revoked_at__gte=since).values_list("id", "revoked_at")
        for sid, revoked_at in rows:
            self.add([str(sid)], revoked_at.timestamp() + tokens.ACCESS_TTL)

    async def start(self) -> None:
        """Subscribe, then read the table (nothing ended in between is missed)."""
        sub = self.bus.subscribe(self.topic, maxsize=1024)
        try:
            await sub.ready()
            await self.load()
        except BaseException:
            await sub.close()
            raise
        self._task = asyncio.get_running_loop().create_task(
            self._follow(sub), name="transcendence.accounts.revocations"
        )

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _follow(self, sub: Subscription) -> None:
        while True:
            try:
                async with sub:
                    async for message in sub:
                        if message.topic == RESYNC:
                            await self._safe_load()
                        else:
                            self._receive(message.data)
                return  # the bus closed
            except SubscriptionOverflow:
                sub = self.bus.subscribe(self.topic, maxsize=1024)
                await sub.ready()
                await self._safe_load()

    def _receive(self, data: bytes) -> None:
        try:
            body = json.loads(data)
            self.add([str(s) for s in body["sessions"]], float(body["until"]))
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a malformed ended-sessions message")

    async def _safe_load(self) -> None:
        try:
            await self.load()
        except Exception:
            log.exception("could not reload ended sessions; keeping the current set")


def current() -> Revocations | None:
    if has_app_context():
        return current_app.extensions.get(EXTENSION)
    return None
