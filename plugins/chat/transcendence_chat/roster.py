"""Each chat's kind and members, kept per node for sending, forgotten on every change.

Every message needs them (may this user write here, to whom does it go), and they change
seldom, so a node reads them once and keeps them. A change of members (added, joined, left,
removed) calls `forget(app, chat_id)` once it is committed: this node drops its copy at once
and tells the others over the bus (topic `chat.roster`), so the next message on any node
reads the members afresh. On this node that takes effect before the change's response is
sent; on other nodes as soon as the bus delivers (a millisecond or so).

What the bus cannot promise is covered too: after a reconnect (the bus's RESYNC, when
announcements may have been lost) or an overflowed subscription every copy is dropped, and
no copy is used for more than `MAX_AGE` seconds, so a change made by something that does not
announce it (an account deleted, its memberships removed by the database) is seen in time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from transcendence.bus import RESYNC, Bus, BusUnavailable, Message, Subscription
from transcendence.core import core_of

log = logging.getLogger("transcendence.chat")

EXTENSION = "chat.roster"
TOPIC = "chat.roster"
MAX_AGE = 30.0
MAX_CHATS = 10_000  # memory bound: a node forgets everything beyond this many chats

Load = Callable[[int], Awaitable[tuple[str, tuple[int, ...]] | None]]


class Roster:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self._chats: dict[int, tuple[float, str, tuple[int, ...]]] = {}
        # Bumped by every forget: a read that started before a change must not be kept.
        self._generation = 0
        self._sub: Subscription | None = None

    async def start(self) -> None:
        sub = self.bus.subscribe(TOPIC, handler=self._receive)
        await sub.ready()
        self._sub = sub

    async def stop(self) -> None:
        sub, self._sub = self._sub, None
        if sub is not None:
            await sub.close()
        self.drop()

    @property
    def _following(self) -> bool:
        return self._sub is not None and not self._sub.closed

    async def get(self, chat_id: int, load: Load) -> tuple[str, tuple[int, ...]] | None:
        """(kind, member ids) of a chat, or None when it has no members (or does not exist)."""
        found = self._chats.get(chat_id)
        if found is not None and time.monotonic() - found[0] < MAX_AGE and self._following:
            return found[1], found[2]
        generation = self._generation
        loaded = await load(chat_id)
        if loaded is not None and generation == self._generation and self._following:
            if len(self._chats) >= MAX_CHATS:
                self._chats.clear()
            self._chats[chat_id] = (time.monotonic(), *loaded)
        return loaded

    def drop(self, chat_id: int | None = None) -> None:
        self._generation += 1
        if chat_id is None:
            self._chats.clear()
        else:
            self._chats.pop(chat_id, None)

    async def forget(self, chat_id: int) -> None:
        self.drop(chat_id)
        try:
            await self.bus.publish(TOPIC, str(chat_id).encode())
        except BusUnavailable as exc:
            # The other nodes drop everything when their bus reconnects (RESYNC), and no
            # copy outlives MAX_AGE.
            log.warning("could not announce the members change of chat %d: %s", chat_id, exc)

    def _receive(self, message: Message) -> None:
        if message.topic == RESYNC:
            self.drop()
            return
        try:
            self.drop(int(message.data))
        except ValueError:
            log.warning("ignoring a malformed chat.roster message")


def roster_of(app: Any) -> Roster | None:
    """This app's roster, once started (the module's `startup` hook); None before."""
    return app.extensions.get(EXTENSION)


async def start(app: Any) -> None:
    if roster_of(app) is None:
        roster = Roster(core_of(app).bus)
        await roster.start()
        app.extensions[EXTENSION] = roster


async def stop(app: Any) -> None:
    roster = app.extensions.pop(EXTENSION, None)
    if roster is not None:
        await roster.stop()


async def forget(app: Any, chat_id: int) -> None:
    """The members of this chat changed (committed): every node reads them afresh."""
    roster = roster_of(app)
    if roster is not None:
        await roster.forget(chat_id)
    else:
        # Not started on this node (a CLI command): the nodes still need to hear it.
        try:
            await core_of(app).bus.publish(TOPIC, str(chat_id).encode())
        except BusUnavailable as exc:
            log.warning("could not announce the members change of chat %d: %s", chat_id, exc)
