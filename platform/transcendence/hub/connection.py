"""One authenticated socket: its bounded outbound queue, its sender task, how it closes.

Hypercorn's `send()` blocks while a client is slow, so nothing but this socket's own sender
task ever calls it: everyone else only `push()`es text frames into the queue, which never
blocks. A queue that fills up means the client cannot keep up; the socket is closed with
1013 "slow consumer" rather than losing frames in silence or growing without bound.

A close can be decided by anyone (a heartbeat check, an overflow while broadcasting, token
expiry, a kick from another node); the reader task, which owns the ASGI conversation,
carries it out: stop the sender, send the close frame, wait for the client's answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from transcendence.hub.protocol import Close, error_frame, push_frame
from transcendence.hub.ratelimit import RateLimiter

if TYPE_CHECKING:
    from quart import Quart

    from transcendence.hub.hub import Hub

ASGISend = Callable[[dict[str, Any]], Awaitable[None]]
ASGIReceive = Callable[[], Awaitable[dict[str, Any]]]


class Connection:
    """What a realtime handler receives as `conn`.

    For modules: `id`, `user_id`, `session_id`, `app`, `hub`, `send(type, data)` (to this
    socket only), `await subscribe(topic)` / `await unsubscribe(topic)` (spectating a
    room: `hub.deliver.to_topic(topic, ...)` reaches it), `close(code, reason)`.
    """

    __slots__ = (
        "_done",
        "_expiry",
        "_gone",
        "_idle",
        "_limit",
        "_out",
        "_reader",
        "_self_cancel",
        "_send",
        "_sender",
        "_waiter",
        "app",
        "client_gone",
        "closing",
        "expires_at",
        "finished",
        "hub",
        "id",
        "last_received",
        "limiter",
        "present",
        "reading",
        "session_id",
        "topics",
        "user_id",
        "watching",
    )

    def __init__(
        self,
        hub: Hub,
        send: ASGISend,
        *,
        user_id: int,
        session_id: str,
        expires_at: int,
        now: float,
    ) -> None:
        config = hub.config
        self.hub = hub
        self.app: Quart = hub.app
        self.id = uuid.uuid4().hex[:16]
        self.user_id = user_id
        self.session_id = session_id
        self.expires_at = expires_at
        self.last_received = now
        self.limiter = RateLimiter(
            config.rate, config.burst, config.abuse_limit, config.abuse_window, now
        )
        self.topics: set[str] = _NO_TOPICS  # a set of its own on the first subscribe
        self.watching: dict[int, None] = {}  # users whose presence it asked, oldest first
        self.closing: tuple[int, str, bool] | None = None  # (code, reason, flush first)
        self.client_gone = False
        self.finished = False
        self.present = False  # counted by presence (undone exactly once on the way out)
        self._send = send
        self._out: deque[dict[str, Any]] = deque()
        self._limit = config.outbound_queue
        self._waiter: asyncio.Future[None] | None = None
        self._idle: asyncio.Future[None] | None = None
        self._sender: asyncio.Task[None] | None = None
        self._reader: asyncio.Task[Any] | None = asyncio.current_task()
        self.reading = False  # parked in receive(), where a close may interrupt it
        self._self_cancel = False
        self._expiry: asyncio.TimerHandle | None = None
        self._done: asyncio.Future[None] | None = None
        self._gone: asyncio.Future[None] | None = None

    def __repr__(self) -> str:
        return f"<Connection {self.id} user={self.user_id}>"

    # --- for modules ----------------------------------------------------------------------

    def send(self, type_: str, data: Any = None) -> bool:
        """Push a frame to this socket only; False if it is closing (or just overflowed)."""
        return self.push(push_frame(type_, data))

    async def subscribe(self, topic: str) -> None:
        """Follow a topic (a room, a match to spectate) until unsubscribed or closed."""
        await self.hub.deliver.subscribe_topic(self, topic)

    async def unsubscribe(self, topic: str) -> None:
        await self.hub.deliver.unsubscribe_topic(self, topic)

    async def wait_closed(self) -> None:
        """Return once the socket is closing or gone."""
        if self.closing is not None or self.client_gone:
            return
        if self._done is None:
            self._done = asyncio.get_running_loop().create_future()
        await asyncio.shield(self._done)

    async def wait_gone(self) -> None:
        """Return once the socket is closed and cleaned up."""
        if self.finished:
            return
        if self._gone is None:
            self._gone = asyncio.get_running_loop().create_future()
        await asyncio.shield(self._gone)

    # --- outbound queue -------------------------------------------------------------------

    @property
    def queued(self) -> int:
        return len(self._out)

    def push(self, text: str) -> bool:
        """Queue an encoded frame; never blocks. Overflow closes the socket (1013)."""
        return self.enqueue({"type": "websocket.send", "text": text})

    def enqueue(self, message: dict[str, Any]) -> bool:
        """Queue an ASGI send message (one dict may be shared by every recipient of a
        broadcast: nothing downstream changes it)."""
        if self.closing is not None or self.client_gone:
            return False
        out = self._out
        if len(out) >= self._limit:
            self.hub.metrics.overflows += 1
            self.close(Close.TRY_AGAIN, "slow consumer")
            return False
        out.append(message)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)
        return True

    def push_first(self, text: str) -> None:
        """Put a frame ahead of everything queued (the `auth` reply, before the sender starts)."""
        self._out.appendleft({"type": "websocket.send", "text": text})

    def start_sender(self) -> None:
        self._sender = asyncio.get_running_loop().create_task(
            self._run_sender(), name=f"transcendence.hub.sender.{self.id}"
        )

    async def _run_sender(self) -> None:
        out = self._out
        send = self._send
        loop = asyncio.get_running_loop()
        metrics = self.hub.metrics
        while True:
            if not out:
                idle = self._idle
                if idle is not None:
                    self._idle = None
                    if not idle.done():
                        idle.set_result(None)
                waiter = self._waiter = loop.create_future()
                await waiter
                continue
            await send(out.popleft())
            metrics.frames_out += 1

    async def _drained(self) -> None:
        """Until the sender has handed every queued frame to the server."""
        if self._out and self._sender is not None and not self._sender.done():
            self._idle = asyncio.get_running_loop().create_future()
            await self._idle

    # --- closing --------------------------------------------------------------------------

    def close(self, code: int, reason: str, *, flush: bool = False) -> None:
        """Decide to close; the reader task carries it out. `flush` sends what is queued first."""
        if self.closing is not None or self.client_gone:
            return
        self.closing = (code, clip_reason(reason), flush)
        if not flush:
            self._out.clear()
        self.hub.metrics.closed(code)
        self._resolve_done()
        if self.reading and self._reader is not None and self._reader is not _current():
            # The reader is parked in receive(): interrupt it (see `interrupted`).
            self._self_cancel = True
            self._reader.cancel()

    def fail(self, code: str, message: str, *, close_code: int, flush: bool = True) -> None:
        """An error frame, then the close (for expiry and revocation)."""
        self.push(error_frame(None, code, message))
        self.close(close_code, f"{code}: {message}", flush=flush)

    def set_expiry(self, expires_at: int, wall_now: float) -> None:
        """(Re)arm the timer that ends the socket when its token expires."""
        self.expires_at = expires_at
        if self._expiry is not None:
            self._expiry.cancel()
        delay = max(0.0, expires_at - wall_now)
        self._expiry = asyncio.get_running_loop().call_later(delay, self._expire)

    def _expire(self) -> None:
        self._expiry = None
        self.fail(
            "token_expired",
            "the access token expired: send a fresh one with `auth` before it does",
            close_code=Close.UNAUTHORIZED,
        )

    def _resolve_done(self) -> None:
        if self._done is not None and not self._done.done():
            self._done.set_result(None)

    def interrupted(self) -> bool:
        """After a CancelledError in the reader: was it only our own interruption (see close)?

        If so it is absorbed and the reader ends normally; a cancellation from outside (the
        server shutting down) is still pending and must be re-raised.
        """
        if not self._self_cancel:
            return False
        self._self_cancel = False
        task = _current()
        return task is not None and task.uncancel() == 0

    async def finish(self, receive: ASGIReceive, *, cancelled: bool = False) -> None:
        """End the conversation: stop the sender, then close the socket unless the client did."""
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        self._resolve_done()
        timeout = self.hub.config.close_timeout
        if cancelled:
            # Shutting down (Hypercorn cancels us after its graceful timeout): be quick.
            timeout = min(timeout, 0.5)
            if self.closing is None:
                self.closing = (Close.GOING_AWAY, "server shutting down", False)
        sender = self._sender
        try:
            if sender is not None and self.closing is not None and self.closing[2]:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await self._drained()
        finally:
            if sender is not None:
                sender.cancel()
                await asyncio.wait([sender])
                if not sender.cancelled() and sender.exception() is not None:
                    self.client_gone = True  # the transport failed under the sender
            self._out.clear()
        try:
            if not self.client_gone:
                code, reason, _ = self.closing or (Close.INTERNAL, "internal error", False)
                with contextlib.suppress(TimeoutError, OSError):
                    async with asyncio.timeout(timeout):
                        await self._send(
                            {"type": "websocket.close", "code": code, "reason": reason}
                        )
                        # The closing handshake: the client answers with its own close.
                        while (await receive())["type"] != "websocket.disconnect":
                            pass
                self.client_gone = True
        finally:
            self.finished = True
            if self._gone is not None and not self._gone.done():
                self._gone.set_result(None)


_NO_TOPICS: set[str] = set()  # shared and never modified: most sockets follow no topic


def _current() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:
        return None


def clip_reason(reason: str) -> str:
    """A close reason fits in 123 bytes of UTF-8."""
    data = reason.encode()
    if len(data) <= 123:
        return reason
    return data[:120].decode(errors="ignore") + "..."
