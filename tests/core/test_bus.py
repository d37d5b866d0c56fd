"""The bus contract, run on every backend, then the ways Redis fails in production.

The contract tests run on the in-process bus always and on Redis when `TEST_REDIS_URL` is
set; a set but unreachable URL fails the run rather than quietly skipping Redis. The
restart and outage tests start a private `redis-server` on a free port, so they never
disturb the shared Redis.

Nothing here sleeps to wait for an event: tests await the subscription itself under
`asyncio.timeout`, so they take as long as delivery does and fail instead of hanging.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import socket
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from transcendence import bus as bus_module
from transcendence.bus import (
    RESYNC,
    Bus,
    BusUnavailable,
    InProcessBus,
    Message,
    RedisBus,
    Subscription,
    SubscriptionOverflow,
    make_bus,
)

TIMEOUT = 5.0


def _test_redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set")
    return url


def new_topic(label: str = "t") -> str:
    # Unique per test: the shared Redis may carry other runs' traffic.
    return f"test.bus.{uuid.uuid4().hex[:12]}.{label}"


async def subscribed(bus: Bus, *topics: str, maxsize: int = 1024) -> Subscription:
    sub = bus.subscribe(*topics, maxsize=maxsize)
    async with asyncio.timeout(TIMEOUT):
        await sub.ready()
    return sub


async def next_message(sub: Subscription, timeout: float = TIMEOUT) -> Message:
    async with asyncio.timeout(timeout):
        return await anext(sub)


async def _shared_redis_bus() -> RedisBus:
    instance = RedisBus(_test_redis_url())
    try:
        await instance.ping()
    except BusUnavailable as exc:
        await instance.close()
        pytest.fail(f"TEST_REDIS_URL is set but Redis is unreachable: {exc}")
    return instance


@pytest.fixture(params=["memory", "redis"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[Bus]:
    instance = InProcessBus() if request.param == "memory" else await _shared_redis_bus()
    await instance.start()
    yield instance
    await instance.close()


# --- the contract ----------------------------------------------------------------------


async def test_make_bus_picks_the_backend() -> None:
    assert make_bus(None).name == "memory"
    redis_bus = make_bus("redis://127.0.0.1:1/0", max_connections=4)
    assert redis_bus.name == "redis"
    await redis_bus.close()


async def test_delivers_bytes_in_order(bus: Bus) -> None:
    topic = new_topic()
    sub = await subscribed(bus, topic)
    payloads = [f"m{i}".encode() for i in range(50)] + [b"\x00\xff\r\n binary"]
    for payload in payloads:
        await bus.publish(topic, payload)
    received = [await next_message(sub) for _ in payloads]
    assert received == [Message(topic, payload) for payload in payloads]


async def test_concurrent_publishes_arrive_in_call_order(bus: Bus) -> None:
    # On Redis they leave in shared pipelines: batching must neither reorder nor drop.
    topics = [new_topic("a"), new_topic("b")]
    sub = await subscribed(bus, *topics)
    sent = [(topics[i % 2], b"%d" % i) for i in range(300)]
    await asyncio.gather(*(bus.publish(topic, data) for topic, data in sent))
    assert [await next_message(sub) for _ in sent] == [Message(t, d) for t, d in sent]


async def test_handlers_get_each_message_in_arrival_order(bus: Bus) -> None:
    topics = [new_topic("a"), new_topic("b")]
    sent = [(topics[i % 2], b"%d" % i) for i in range(50)]
    got: list[Message] = []
    all_in = asyncio.Event()

    def collect(message: Message) -> None:
        got.append(message)
        if len(got) == len(sent):
            all_in.set()

    def broken(message: Message) -> None:
        raise RuntimeError("a consumer's bug")

    subs = [bus.subscribe(t, handler=collect) for t in topics]
    subs.append(bus.subscribe(*topics, handler=broken))
    async with asyncio.timeout(TIMEOUT):
        for sub in subs:
            await sub.ready()
        for topic, data in sent:
            await bus.publish(topic, data)
        await all_in.wait()
    # One order across both subscriptions, and the broken handler cost them nothing.
    assert got == [Message(t, d) for t, d in sent]

    subs[0].end()
    await bus.publish(topics[1], b"last")
    marker = await subscribed(bus, topics[0])
    await bus.publish(topics[0], b"after the end")
    assert await next_message(marker) == Message(topics[0], b"after the end")
    assert got[-1] == Message(topics[1], b"last")


async def test_every_subscriber_gets_each_message(bus: Bus) -> None:
    topic = new_topic()
    subs = [await subscribed(bus, topic) for _ in range(3)]
    await bus.publish(topic, b"one")
    await bus.publish(topic, b"two")
    for sub in subs:
        assert [await next_message(sub), await next_message(sub)] == [
            Message(topic, b"one"),
            Message(topic, b"two"),
        ]


async def test_topics_are_isolated(bus: Bus) -> None:
    a, b = new_topic("a"), new_topic("b")
    sub_a = await subscribed(bus, a)
    sub_b = await subscribed(bus, b)
    sub_both = await subscribed(bus, a, b)
    # b is published first: were it leaking into sub_a, it would arrive there first.
    await bus.publish(b, b"for b")
    await bus.publish(a, b"for a")
    assert await next_message(sub_a) == Message(a, b"for a")
    assert await next_message(sub_b) == Message(b, b"for b")
    assert [await next_message(sub_both), await next_message(sub_both)] == [
        Message(b, b"for b"),
        Message(a, b"for a"),
    ]


async def test_closing_a_subscription_stops_delivery(bus: Bus) -> None:
    topic = new_topic()
    keep = await subscribed(bus, topic)
    async with bus.subscribe(topic) as gone:
        await gone.ready()
    assert gone.closed
    await gone.close()  # idempotent
    await bus.publish(topic, b"after")
    assert await next_message(keep) == Message(topic, b"after")
    with pytest.raises(StopAsyncIteration):
        await next_message(gone)

    await keep.close()
    if isinstance(bus, RedisBus):
        # The reader sends UNSUBSCRIBE before any later SUBSCRIBE on the same connection,
        # so once this barrier is confirmed, Redis has dropped our subscription to `topic`.
        await subscribed(bus, new_topic("barrier"))
        client = aioredis.Redis.from_url(bus.url)
        try:
            assert await client.pubsub_numsub(topic) == [(topic.encode(), 0)]
        finally:
            await client.aclose()


async def test_publish_json_round_trip(bus: Bus) -> None:
    topic = new_topic()
    sub = await subscribed(bus, topic)
    obj = {"type": "chat.message", "id": "c42", "data": {"text": "héllo", "n": [1, 2]}}
    await bus.publish_json(topic, obj)
    message = await next_message(sub)
    assert json.loads(message.data) == obj
    assert message.data == json.dumps(obj, separators=(",", ":")).encode()


async def test_overflow_cuts_off_the_slow_subscriber_only(bus: Bus) -> None:
    topic = new_topic()
    slow = await subscribed(bus, topic, maxsize=2)
    fast = await subscribed(bus, topic)
    for i in range(5):
        await bus.publish(topic, b"%d" % i)
    # Each message is fanned out to both at once, so when fast has the fifth, slow's
    # queue of two has already overflowed.
    assert [(await next_message(fast)).data for _ in range(5)] == [b"0", b"1", b"2", b"3", b"4"]
    # Not the two queued messages first: a stream with a hole must not look whole.
    with pytest.raises(SubscriptionOverflow):
        await next_message(slow)
    assert slow.overflowed

    await bus.publish(topic, b"later")
    assert await next_message(fast) == Message(topic, b"later")
    with pytest.raises(SubscriptionOverflow):
        await next_message(slow)


async def test_close_ends_consumers_cleanly(bus: Bus) -> None:
    topic = new_topic()
    sub = await subscribed(bus, topic)
    received: list[Message] = []
    got_one = asyncio.Event()

    async def consume() -> None:
        async for message in sub:
            received.append(message)
            got_one.set()

    consumer = asyncio.create_task(consume())
    await bus.publish(topic, b"one")
    async with asyncio.timeout(TIMEOUT):
        await got_one.wait()

    await bus.close()
    async with asyncio.timeout(TIMEOUT):
        await consumer  # the loop ends; no exception
    assert received == [Message(topic, b"one")]

    await bus.close()  # idempotent
    with pytest.raises(BusUnavailable):
        await bus.publish(topic, b"too late")
    with pytest.raises(RuntimeError):
        bus.subscribe(topic)


# --- Redis only ----------------------------------------------------------------------------


@pytest.fixture
async def redis_bus() -> AsyncIterator[RedisBus]:
    instance = await _shared_redis_bus()
    await instance.start()
    yield instance
    await instance.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A throwaway redis-server that a test may stop and restart on the same port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self._proc: asyncio.subprocess.Process | None = None
        self._drain: asyncio.Task[bytes] | None = None
        self._paused = False

    async def start(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            "redis-server",
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        assert self._proc.stdout is not None
        output = []
        async with asyncio.timeout(10):
            # The server's own log line, rather than polling the port.
            while True:
                line = await self._proc.stdout.readline()
                if not line:
                    raise RuntimeError(f"redis-server exited: {b''.join(output).decode()}")
                if b"Ready to accept connections" in line:
                    break
                output.append(line)
        # Keep reading so that the server never blocks on a full pipe.
        self._drain = asyncio.create_task(self._proc.stdout.read())

    def pause(self) -> None:
        """Freeze the server: connections stay open but nothing answers, like a hung host."""
        assert self._proc is not None
        self._proc.send_signal(signal.SIGSTOP)
        self._paused = True

    def resume(self) -> None:
        assert self._proc is not None
        self._proc.send_signal(signal.SIGCONT)
        self._paused = False

    async def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.returncode is None:
            if self._paused:
                proc.send_signal(signal.SIGCONT)
                self._paused = False
            proc.terminate()
        await proc.wait()
        if self._drain is not None:
            await self._drain
            self._drain = None


@pytest.fixture
async def private_redis() -> AsyncIterator[PrivateRedis]:
    _test_redis_url()  # the Redis tests run together or not at all
    if shutil.which("redis-server") is None:
        pytest.fail("TEST_REDIS_URL is set but redis-server is not on PATH")
    server = PrivateRedis(_free_port())
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


class _LogWatch(logging.Handler):
    """Sets an event when the bus logs a matching warning: lets a test wait for the
    reader's own verdict instead of guessing how long it takes."""

    def __init__(self, needle: str) -> None:
        super().__init__(logging.WARNING)
        self.needle = needle
        self.seen = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.needle in record.getMessage():
            self.seen.set()


async def _ping_until_up(bus: Bus, attempts: int = 20) -> None:
    # Each ping already retries with backoff inside redis-py; this only bounds the total.
    for attempt in range(attempts):
        try:
            await bus.ping()
            return
        except BusUnavailable:
            if attempt == attempts - 1:
                raise


async def test_quiet_channel_outlives_the_default_socket_timeout(redis_bus: RedisBus) -> None:
    topic = new_topic()
    sub = await subscribed(redis_bus, topic)
    # The one justified sleep: the point is six seconds of silence, longer than redis-py 8's
    # default 5 s socket timeout, which would drop a reader that relied on it.
    await asyncio.sleep(6)
    await redis_bus.publish(topic, b"still here")
    # Not RESYNC: the reader kept its connection through the silence.
    assert await next_message(sub) == Message(topic, b"still here")


async def test_publish_burst_waits_for_a_pooled_connection(redis_bus: RedisBus) -> None:
    small = RedisBus(redis_bus.url, max_connections=2)
    topic = new_topic()
    sub = await subscribed(redis_bus, topic)
    try:
        payloads = {b"%d" % i for i in range(100)}
        await asyncio.gather(*(small.publish(topic, p) for p in payloads))
    finally:
        await small.close()
    assert {(await next_message(sub)).data for _ in payloads} == payloads


async def test_reader_survives_a_redis_restart(
    private_redis: PrivateRedis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="transcendence.bus")
    bus = RedisBus(private_redis.url)
    await bus.start()
    try:
        topic = new_topic()
        sub = await subscribed(bus, topic)
        await bus.publish(topic, b"before")
        assert await next_message(sub) == Message(topic, b"before")

        await private_redis.stop()
        await private_redis.start()
        async with asyncio.timeout(20):
            assert await anext(sub) == Message(RESYNC, b"")
            await _ping_until_up(bus)
            await bus.publish(topic, b"after")
            assert await anext(sub) == Message(topic, b"after")
    finally:
        await bus.close()

    messages = [r.getMessage() for r in caplog.records if r.name == "transcendence.bus"]
    assert any("disconnected" in m for m in messages), messages
    assert any("reconnected" in m for m in messages), messages


async def test_publish_while_redis_is_down_raises(private_redis: PrivateRedis) -> None:
    bus = RedisBus(private_redis.url)
    await bus.start()
    try:
        topic = new_topic()
        await bus.publish(topic, b"up")
        await private_redis.stop()
        with pytest.raises(BusUnavailable, match="unavailable"):
            await bus.publish(topic, b"down")
        with pytest.raises(BusUnavailable):
            await bus.ping()
    finally:
        await bus.close()


async def test_subscription_made_while_redis_is_down_becomes_ready(
    private_redis: PrivateRedis,
) -> None:
    await private_redis.stop()
    bus = RedisBus(private_redis.url)
    await bus.start()
    try:
        topic = new_topic()
        sub = bus.subscribe(topic)
        ready = asyncio.create_task(sub.ready())
        with pytest.raises(BusUnavailable):
            await bus.ping()  # takes a few retries, during which the reader fails too
        assert not ready.done()

        await private_redis.start()
        async with asyncio.timeout(20):
            await ready
            await bus.publish(topic, b"hello")
            message = await anext(sub)
            if message.topic == RESYNC:  # announced when the reader's first attempt failed
                message = await anext(sub)
        assert message == Message(topic, b"hello")
    finally:
        await bus.close()


async def test_reader_detects_a_server_that_stops_answering(
    private_redis: PrivateRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A hung server or a dead network path closes nothing, so only the health check can
    # tell. Shrunk from 5 s so that detection takes about a second instead of fifteen.
    monkeypatch.setattr(bus_module, "HEALTH_CHECK_INTERVAL", 0.2)
    monkeypatch.setattr(bus_module, "CONNECT_TIMEOUT", 0.5)
    monkeypatch.setattr(bus_module, "COMMAND_TIMEOUT", 0.5)
    watch = _LogWatch("disconnected from")
    bus_logger = logging.getLogger("transcendence.bus")
    bus_logger.addHandler(watch)
    bus = RedisBus(private_redis.url)
    await bus.start()
    try:
        topic = new_topic()
        sub = await subscribed(bus, topic)
        await bus.publish(topic, b"before")
        assert await next_message(sub) == Message(topic, b"before")

        private_redis.pause()
        async with asyncio.timeout(10):
            await watch.seen.wait()
        private_redis.resume()
        async with asyncio.timeout(20):
            assert await anext(sub) == Message(RESYNC, b"")
            await _ping_until_up(bus)
            await bus.publish(topic, b"after")
            assert await anext(sub) == Message(topic, b"after")
    finally:
        bus_logger.removeHandler(watch)
        await bus.close()
