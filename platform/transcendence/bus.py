"""Publish/subscribe by topic, in one process or across processes through Redis.

The bus carries realtime messages to whichever process holds a user's sockets. It is not a
job queue: a message published while nobody listens is gone, and Redis pub/sub itself loses
whatever is published while a subscriber is reconnecting. That loss is announced instead of
hidden: every live subscription receives a `RESYNC` message after a reconnect, so its
consumer can re-read the state it mirrors. A subscriber that cannot keep up is not skipped
over either; its subscription ends with `SubscriptionOverflow`. A subscriber that never
blocks may instead give a handler, called with each message as it arrives: no queue, no
task to wake, and the order of arrival kept across all such subscriptions.

Both implementations share the local fan-out (topic -> subscriptions), so a process holds
one Redis subscription per topic however many sockets listen to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff, NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger("transcendence.bus")

RESYNC = "__bus__.resync"

# Reconnect delays of the Redis reader: short enough that a Redis restart costs well under a
# second, capped so that a long outage costs one attempt every few seconds per process.
RECONNECT_BASE = 0.1
RECONNECT_CAP = 5.0
# The reader pings on a quiet channel this often and declares the connection dead after
# three intervals without a byte; TCP keepalive alone takes hours to notice a dead peer.
HEALTH_CHECK_INTERVAL = 5.0
PING_TIMEOUT = 2.0
# A publisher waits this long for a pooled connection before BusUnavailable: a burst queues
# up behind the pool instead of failing with "Too many connections".
POOL_WAIT_TIMEOUT = 5.0
CONNECT_TIMEOUT = 3.0
COMMAND_TIMEOUT = 5.0

_REDIS_ERRORS = (RedisConnectionError, RedisTimeoutError, TimeoutError, OSError)
# What Redis itself refuses (a DB index out of range, a wrong password): as unavailable as
# an unreachable server to whoever needs the bus, and just as much one line.
_REDIS_REFUSALS = (*_REDIS_ERRORS, RedisError)


class BusUnavailable(Exception):
    """The backend cannot be reached; callers decide whether that is fatal, the bus does not."""


class SubscriptionOverflow(Exception):
    """A subscriber fell behind; ending its subscription beats silently skipping messages."""


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    data: bytes


_WAKE = object()  # unblocks a consumer waiting on an empty queue when its subscription ends


class Subscription:
    """One consumer's view of some topics.

    The queue is bounded so that a slow consumer cannot grow memory without limit; when it
    is full the subscription is cut off and says so, rather than losing messages in silence.
    """

    def __init__(
        self,
        bus: Bus,
        topics: tuple[str, ...],
        maxsize: int,
        handler: Callable[[Message], None] | None = None,
    ) -> None:
        self._bus = bus
        self.topics = topics
        self.maxsize = maxsize
        self._handler = handler
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize)
        self._closed = False
        self._overflowed = False

    @property
    def closed(self) -> bool:
        return self._closed or self._overflowed

    @property
    def overflowed(self) -> bool:
        return self._overflowed

    @property
    def pending(self) -> int:
        """Messages received for this consumer and not yet taken."""
        return self._queue.qsize()

    async def ready(self) -> None:
        """Return once the backend delivers these topics, so a caller can read state first.

        Reading state and then subscribing would miss changes made in between; awaiting
        this before the read closes that gap. Waits while the backend is unreachable.
        """
        while not self._bus._is_ready(self):
            await self._bus._state_changed()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Message:
        while True:
            # Overflow is checked before anything queued: what is left is an incomplete
            # stream, and handing it out would hide the gap from the consumer.
            if self._overflowed:
                raise SubscriptionOverflow(
                    f"subscription to {', '.join(self.topics)} fell more than "
                    f"{self.maxsize} messages behind and was cut off"
                )
            if self._closed:
                raise StopAsyncIteration
            item = await self._queue.get()
            if item is not _WAKE:
                return item

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        self._end()

    aclose = close

    def end(self) -> None:
        """`close()` without awaiting: for the owner of a handler, from synchronous code."""
        self._end()

    def _offer(self, message: Message) -> None:
        if self.closed:
            return
        if self._handler is not None:
            try:
                self._handler(message)
            except Exception:  # one consumer's bug must not cost the others their message
                log.exception("bus handler for %s failed", ", ".join(self.topics))
            return
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            self._overflowed = True
            self._bus.overflows += 1
            self._bus._detach(self)
            log.warning(
                "subscription to %s overflowed its queue of %d; cutting it off",
                ", ".join(self.topics),
                self.maxsize,
            )

    def _end(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._bus._detach(self)
        # A consumer blocked in get() has an empty queue, so this put always reaches it;
        # a full queue means nobody is blocked and the flag is seen on the next __anext__.
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(_WAKE)


class Bus(ABC):
    """The local fan-out shared by every implementation; subclasses move bytes between them."""

    name: str

    def __init__(self) -> None:
        self._subs_by_topic: dict[str, set[Subscription]] = {}
        self._closed = False
        self._state = asyncio.Event()
        self.published = self.received = self.overflows = 0  # on /metrics (observability)

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def publish(self, topic: str, data: bytes) -> None: ...

    @abstractmethod
    async def ping(self) -> None: ...

    async def close(self) -> None:
        """End every subscription, so that consumers' loops finish instead of hanging."""
        self._closed = True
        for sub in {s for subs in self._subs_by_topic.values() for s in subs}:
            sub._end()
        self._subs_by_topic.clear()
        self._notify()

    async def publish_json(self, topic: str, obj: Any) -> None:
        # Encoded once here rather than per subscriber; compact because it crosses the wire.
        await self.publish(topic, json.dumps(obj, separators=(",", ":")).encode())

    def subscribe(
        self,
        *topics: str,
        maxsize: int = 1024,
        handler: Callable[[Message], None] | None = None,
    ) -> Subscription:
        """Messages of these topics (and RESYNC), in order, from the moment `ready()` returns.

        Iterate the subscription, or give `handler`: it is then called with each message
        from the bus's own task, and must not block (it cannot fall behind, so it never
        overflows; iterating such a subscription yields nothing).
        """
        if self._closed:
            # Returning an already-ended subscription would turn a consumer's
            # resubscribe loop into a busy loop.
            raise RuntimeError(f"the {self.name} bus is closed")
        if not topics:
            raise ValueError("subscribe() needs at least one topic")
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1: an unbounded queue hides overload")
        if RESYNC in topics:
            raise ValueError(f"{RESYNC} is delivered to every subscription; do not subscribe")
        sub = Subscription(self, tuple(dict.fromkeys(topics)), maxsize, handler)
        added = False
        for topic in sub.topics:
            subs = self._subs_by_topic.setdefault(topic, set())
            added = added or not subs
            subs.add(sub)
        if added:
            self._topics_changed()
        return sub

    # --- for subclasses and Subscription -----------------------------------------------

    def _topics_changed(self) -> None:
        """The set of topics with local subscribers changed; the Redis bus follows it."""
        return  # the in-process bus has nothing to follow

    def _is_ready(self, sub: Subscription) -> bool:
        return True

    def _notify(self) -> None:
        # Waiters hold the event they saw; swapping in a fresh one wakes exactly them.
        self._state.set()
        self._state = asyncio.Event()

    async def _state_changed(self) -> None:
        await self._state.wait()

    def _detach(self, sub: Subscription) -> None:
        removed = False
        for topic in sub.topics:
            subs = self._subs_by_topic.get(topic)
            if subs is None or sub not in subs:
                continue
            subs.discard(sub)
            if not subs:
                del self._subs_by_topic[topic]
                removed = True
        if removed:
            self._topics_changed()
        self._notify()

    def _deliver(self, topic: str, data: bytes) -> None:
        subs = self._subs_by_topic.get(topic)
        if not subs:
            return
        self.received += 1
        message = Message(topic, data)
        for sub in tuple(subs):  # an overflow detaches while we iterate
            sub._offer(message)

    def _deliver_to_all(self, message: Message) -> None:
        for sub in tuple({s for subs in self._subs_by_topic.values() for s in subs}):
            sub._offer(message)


class InProcessBus(Bus):
    """One process, no dependencies: development, tests and single-worker deployments."""

    name = "memory"

    async def start(self) -> None:
        pass

    async def publish(self, topic: str, data: bytes) -> None:
        if self._closed:
            raise BusUnavailable("the in-process bus is closed")
        self.published += 1
        self._deliver(topic, data)

    async def ping(self) -> None:
        if self._closed:
            raise BusUnavailable("the in-process bus is closed")


def _redact(url: str) -> str:
    """The URL without its password, for messages that end up in logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


class RedisBus(Bus):
    """Redis pub/sub behind the same fan-out, for several workers or nodes.

    Publishing borrows connections from a blocking pool. Receiving goes through a single
    reader task per process holding one pub/sub connection; it subscribes to the union of
    the local topics and reconnects on its own, announcing each recovery with `RESYNC`.
    """

    name = "redis"

    def __init__(self, url: str, *, max_connections: int = 32) -> None:
        super().__init__()
        self.url = url
        self._safe_url = _redact(url)
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=POOL_WAIT_TIMEOUT,
            socket_connect_timeout=CONNECT_TIMEOUT,
            socket_timeout=COMMAND_TIMEOUT,
            # A couple of quick retries ride over a stale pooled connection after a Redis
            # restart; more would only delay BusUnavailable during a real outage.
            retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), 2),
        )
        self._client = aioredis.Redis(connection_pool=pool)
        self._reader_client = aioredis.Redis.from_url(
            url,
            socket_connect_timeout=CONNECT_TIMEOUT,
            socket_keepalive=True,
            health_check_interval=HEALTH_CHECK_INTERVAL,
            # The reader owns reconnection (to resubscribe and announce RESYNC). Even with
            # zero retries redis-py runs its reconnect hook once per failure, which would
            # hide the gap and report the reconnect's error instead of the original one.
            retry=Retry(NoBackoff(), 0, supported_errors=()),
        )
        # redis-py 8 defaults to a 5 s socket timeout, which would kill a reader listening
        # to a quiet channel; forced after from_url because URL options override kwargs.
        self._reader_client.connection_pool.connection_kwargs["socket_timeout"] = None
        self._reader: asyncio.Task[None] | None = None
        self._outbox: list[tuple[str, bytes, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self._confirmed: set[str] = set()  # topics Redis acknowledged on the current connection
        self._resync_pending = False
        self._session_connected = False  # the last session got a connection at all
        self._session_was_healthy = False  # ... and Redis confirmed all its topics

    async def start(self) -> None:
        """Start the reader; does not need Redis to be up (it keeps retrying)."""
        self._ensure_reader()

    def _ensure_reader(self) -> None:
        if self._reader is None and not self._closed:
            self._reader = asyncio.get_running_loop().create_task(
                self._run_reader(), name="transcendence.bus.reader"
            )

    def subscribe(
        self,
        *topics: str,
        maxsize: int = 1024,
        handler: Callable[[Message], None] | None = None,
    ) -> Subscription:
        sub = super().subscribe(*topics, maxsize=maxsize, handler=handler)
        self._ensure_reader()
        return sub

    async def publish(self, topic: str, data: bytes) -> None:
        """Send once Redis accepted it; concurrent publishes share one round trip.

        A publish joins the batch of the publishes made while the previous batch was on
        the wire, and the batch goes out as one pipeline: under load, one write and one
        read per batch instead of per message. Order is the order of the calls.
        """
        if self._closed:
            raise BusUnavailable("the Redis bus is closed")
        done = asyncio.get_running_loop().create_future()
        self._outbox.append((topic, data, done))
        if self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(
                self._flush(), name="transcendence.bus.publisher"
            )
        await done

    async def _flush(self) -> None:
        try:
            while self._outbox:
                batch, self._outbox = self._outbox, []
                error: BaseException | None = None
                try:
                    async with self._client.pipeline(transaction=False) as pipe:
                        for topic, data, _ in batch:
                            pipe.publish(topic, data)
                        await pipe.execute()
                except _REDIS_REFUSALS as exc:
                    error = BusUnavailable(f"Redis at {self._safe_url} is unavailable: {exc}")
                    error.__cause__ = exc
                except asyncio.CancelledError:
                    error = BusUnavailable("the Redis bus is closed")
                    raise
                except Exception as exc:  # a bug: the publishers see it rather than hang
                    error = exc
                else:
                    self.published += len(batch)
                finally:
                    for _, _, done in batch:
                        if not done.done():  # a cancelled publisher is not waiting
                            if error is None:
                                done.set_result(None)
                            else:
                                done.set_exception(error)
        finally:
            self._flusher = None
            # Cancelled (closing): whoever queued behind the last batch must not hang.
            left, self._outbox = self._outbox, []
            for _, _, done in left:
                if not done.done():
                    done.set_exception(BusUnavailable("the Redis bus is closed"))

    async def ping(self) -> None:
        if self._closed:
            raise BusUnavailable("the Redis bus is closed")
        try:
            async with asyncio.timeout(PING_TIMEOUT):
                await self._client.ping()
        except _REDIS_REFUSALS as exc:
            reason = str(exc) or f"no answer within {PING_TIMEOUT:g} s"
            raise BusUnavailable(f"Redis at {self._safe_url} is unavailable: {reason}") from exc

    async def close(self) -> None:
        if self._closed:
            return
        await super().close()
        reader, self._reader = self._reader, None
        flusher = self._flusher
        try:
            if flusher is not None:  # what was published before close() still goes out
                await asyncio.wait([flusher], timeout=COMMAND_TIMEOUT)
                flusher.cancel()
            if reader is not None:
                reader.cancel()
                await asyncio.wait([reader])
                if not reader.cancelled() and reader.exception() is not None:
                    log.error("bus reader had failed", exc_info=reader.exception())
        finally:
            await self._client.aclose(close_connection_pool=True)
            await self._reader_client.aclose()

    # --- reader ------------------------------------------------------------------------

    def _topics_changed(self) -> None:
        self._changed.set()

    def _is_ready(self, sub: Subscription) -> bool:
        return self._closed or sub.closed or all(t in self._confirmed for t in sub.topics)

    async def _run_reader(self) -> None:
        failures = 0
        try:
            while True:
                while not self._subs_by_topic:
                    # No topics, no connection: a publish-only process (the CLI) never
                    # opens a pub/sub connection at all.
                    self._changed.clear()
                    await self._changed.wait()
                try:
                    await self._session()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    failures = 0 if self._session_was_healthy else failures
                    delay = min(RECONNECT_CAP, RECONNECT_BASE * 2**failures)
                    delay = random.uniform(delay / 2, delay)
                    failures += 1
                    self._resync_pending = True
                    self._set_disconnected()
                    if isinstance(exc, _REDIS_REFUSALS):
                        log.warning(
                            "bus reader %s Redis at %s (%s); reconnecting in %.2f s",
                            "disconnected from" if self._session_connected else "cannot reach",
                            self._safe_url,
                            str(exc) or type(exc).__name__,
                            delay,
                        )
                    else:
                        log.exception(
                            "bus reader failed unexpectedly; reconnecting in %.2f s", delay
                        )
                    await asyncio.sleep(delay)
        finally:
            self._set_disconnected()

    def _set_disconnected(self) -> None:
        self._confirmed.clear()
        self._notify()

    async def _session(self) -> None:
        """One pub/sub connection, from connect to failure; it never ends normally.

        Reading happens in a child task so that this one can send SUBSCRIBE/UNSUBSCRIBE
        while a read is pending; both only ever write whole commands, and only the child
        reads, so the protocol stream stays in order.
        """
        self._session_connected = self._session_was_healthy = False
        pubsub = self._reader_client.pubsub()
        pump: asyncio.Task[None] | None = None
        changed: asyncio.Future[Any] | None = None
        try:
            # socket_connect_timeout covers only the TCP connect; a server that accepts
            # and then hangs would stall the handshake forever without this bound.
            async with asyncio.timeout(CONNECT_TIMEOUT + COMMAND_TIMEOUT):
                await pubsub.connect()
            self._session_connected = True
            conn = pubsub.connection
            sent: set[str] = set()
            pump = asyncio.create_task(self._pump(pubsub, conn), name="transcendence.bus.pump")
            while True:
                self._changed.clear()
                want = set(self._subs_by_topic)
                # Unsubscribes go first: a later confirmation then implies they were applied.
                if gone := sent - want:
                    await self._send(conn, "UNSUBSCRIBE", gone)
                    sent -= gone
                if new := want - sent:
                    await self._send(conn, "SUBSCRIBE", new)
                    sent |= new
                if changed is None or changed.done():
                    changed = asyncio.ensure_future(self._changed.wait())
                await asyncio.wait((pump, changed), return_when=asyncio.FIRST_COMPLETED)
                if pump.done():
                    pump.result()
                    raise RedisConnectionError("pub/sub reader stopped")
        finally:
            for task in (pump, changed):
                if task is not None:
                    task.cancel()
            if pump is not None:
                await asyncio.wait([pump])
                if not pump.cancelled():
                    pump.exception()  # already raised above; retrieved to keep asyncio quiet
            await pubsub.aclose()
            # A handshake cut short by the timeout above leaves a half-open connection in
            # the pool, with a reply still in flight; the next session must not reuse it.
            with contextlib.suppress(*_REDIS_ERRORS):
                await self._reader_client.connection_pool.disconnect()

    async def _send(self, conn: Any, command: str, topics: Iterable[str]) -> None:
        # send_command would silently reconnect a dropped connection (without our
        # subscriptions); fail instead and let the reader reconnect and resync.
        if not conn.is_connected:
            raise RedisConnectionError("pub/sub connection closed")
        topics = sorted(topics)
        if command == "UNSUBSCRIBE":
            # Not deliverable from now on, even before Redis confirms: a new subscriber to
            # one of these must wait for the SUBSCRIBE that will follow.
            self._confirmed.difference_update(topics)
        await conn.send_command(command, *topics, check_health=False)

    async def _pump(self, pubsub: Any, conn: Any) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        while True:
            if not conn.is_connected:
                raise RedisConnectionError("pub/sub connection closed")
            # A finite wait lets redis-py send its health-check PING on a quiet channel.
            msg = await pubsub.get_message(timeout=HEALTH_CHECK_INTERVAL)
            if msg is None:
                last_read = max(started, conn.next_health_check - HEALTH_CHECK_INTERVAL)
                if loop.time() - last_read > 3 * HEALTH_CHECK_INTERVAL:
                    raise RedisTimeoutError(
                        f"no reply from Redis for {3 * HEALTH_CHECK_INTERVAL:g} s"
                    )
                continue
            kind = msg["type"]
            kind = kind.decode() if isinstance(kind, bytes) else kind
            if kind == "message":
                self._deliver(_text(msg["channel"]), msg["data"])
            elif kind == "subscribe":
                self._confirmed.add(_text(msg["channel"]))
                self._after_confirmation()
            elif kind == "unsubscribe":
                self._confirmed.discard(_text(msg["channel"]))

    def _after_confirmation(self) -> None:
        if all(t in self._confirmed for t in self._subs_by_topic):
            self._session_was_healthy = True
            if self._resync_pending:
                # Only now: a consumer that reacts to RESYNC by re-reading state must
                # not miss anything published after its re-read.
                self._resync_pending = False
                log.info(
                    "bus reader reconnected to Redis at %s; resubscribed %d topic(s)",
                    self._safe_url,
                    len(self._subs_by_topic),
                )
                self._deliver_to_all(Message(RESYNC, b""))
        self._notify()


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def make_bus(redis_url: str | None, *, max_connections: int = 32) -> Bus:
    """Redis when a URL is configured, else the in-process bus."""
    if redis_url:
        return RedisBus(redis_url, max_connections=max_connections)
    return InProcessBus()


__all__ = [
    "RESYNC",
    "Bus",
    "BusUnavailable",
    "InProcessBus",
    "Message",
    "RedisBus",
    "Subscription",
    "SubscriptionOverflow",
    "make_bus",
]
