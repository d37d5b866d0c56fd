"""The hub of one app: its sockets, delivery, presence, heartbeats and counters."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from transcendence.bus import BusUnavailable
from transcendence.hub.config import HubConfig
from transcendence.hub.delivery import Delivery
from transcendence.hub.endpoint import serve_socket
from transcendence.hub.presence import LocalPresence, Presence, PresenceStore, RedisPresence
from transcendence.hub.protocol import PING, TRANSPORT_MAX_MESSAGE, Close, json_schema

if TYPE_CHECKING:
    from quart import Quart

    from transcendence.core import Core
    from transcendence.hub.connection import ASGIReceive, ASGISend, Connection
    from transcendence.hub.users import Users

log = logging.getLogger("transcendence.hub")
SETTLE_TIMEOUT = 2.0  # at shutdown, how long deliveries may take to reach this node's sockets


class HubMetrics(Collector):
    """Plain counters on the hot path, turned into Prometheus families at scrape time."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self.frames_in = 0
        self.frames_handled = 0
        self.frames_refused = 0
        self.frames_out = 0
        self.overflows = 0
        self.closes: dict[int, int] = {}

    def closed(self, code: int) -> None:
        self.closes[code] = self.closes.get(code, 0) + 1

    def collect(self) -> Iterator[Any]:
        yield GaugeMetricFamily(
            "transcendence_ws_connections", "Open sockets", value=len(self._hub.connections)
        )
        for name, value, doc in (
            ("frames_in", self.frames_in, "Frames received"),
            ("frames_handled", self.frames_handled, "Frames answered by a handler"),
            ("frames_refused", self.frames_refused, "Frames refused with an error"),
            ("frames_out", self.frames_out, "Frames sent"),
            ("overflows", self.overflows, "Sockets closed as slow consumers"),
        ):
            yield CounterMetricFamily(f"transcendence_ws_{name}", doc, value=value)
        closes = CounterMetricFamily(
            "transcendence_ws_closes", "Sockets closed by the server", labels=["code"]
        )
        for code, count in sorted(self.closes.items()):
            closes.add_metric([str(code)], count)
        yield closes


class Hub:
    """`get_hub(app)`: `deliver` (to users, topics), `presence`, `config`, `connections`."""

    def __init__(
        self, app: Quart, core: Core, users: Users, config: HubConfig | None = None
    ) -> None:
        self.app = app
        self.users = users
        self.core = core
        self.bus = core.bus
        self.registry = core.realtime
        self.config = config or HubConfig.from_env()
        # Keys and topics of deployments sharing one Redis but not one database must not
        # meet: user 1 of one is not user 1 of the other.
        database = core.settings.effective_database_url.encode()
        self.namespace = hashlib.sha256(database).hexdigest()[:10]
        self.node_id = uuid.uuid4().hex[:12]
        self.connections: dict[str, Connection] = {}
        self.metrics = HubMetrics(self)
        core.metrics.registry.register(self.metrics)
        self.deliver = Delivery(self)
        self.presence = Presence(self)
        self.accepting = False
        self._ticker: asyncio.Task[None] | None = None

    # --- lifecycle ----------------------------------------------------------------------

    def _store(self) -> PresenceStore:
        url = self.core.settings.redis_url
        if url:
            return RedisPresence(url, self.namespace, self.node_id, self.config.presence_ttl)
        return LocalPresence()

    async def start(self) -> None:
        await self.presence.start(self._store())
        self._ticker = asyncio.get_running_loop().create_task(
            self._tick(), name="transcendence.hub.ticker"
        )
        self.accepting = True

    async def settle(self) -> None:
        """Return once what was published so far has reached this node's sockets' queues.

        A barrier: a marker published on a topic of this node comes back after every
        message published before it (Redis keeps the order on one connection; so does the
        in-process bus), and the feeds hand each message to the sockets' queues as it
        arrives. Bounded by SETTLE_TIMEOUT, since the bus may be down.
        """
        topic = f"{self.deliver.room_topic('node')}.{self.node_id}.barrier"
        with contextlib.suppress(TimeoutError, BusUnavailable, RuntimeError):
            async with asyncio.timeout(SETTLE_TIMEOUT):
                async with self.bus.subscribe(topic, maxsize=4) as sub:
                    await sub.ready()
                    await self.bus.publish(topic, b"")
                    async for message in sub:
                        if message.topic == topic:
                            break

    async def close_sockets(self) -> None:
        """Refuse new sockets and close every open one with 1001 and a reason, after
        what is already queued for it."""
        self.accepting = False
        await self.settle()
        for conn in list(self.connections.values()):
            conn.close(Close.GOING_AWAY, "server shutting down", flush=True)
        # Each socket's own task sends its close frame; give them the closing handshake.
        waits = [asyncio.ensure_future(c.wait_gone()) for c in self.connections.values()]
        if waits:
            await asyncio.wait(waits, timeout=self.config.close_timeout + 0.5)
            for wait in waits:
                wait.cancel()

    def close_sessions(self, session_ids: list[str]) -> None:
        """Close this node's sockets of sessions that ended (signed out, revoked)."""
        ended = set(session_ids)
        for conn in list(self.connections.values()):
            if conn.session_id in ended:
                conn.fail("signed_out", "this session has ended", close_code=Close.UNAUTHORIZED)

    async def stop(self) -> None:
        await self.close_sockets()
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.wait([self._ticker])
            self._ticker = None
        await self.presence.stop()
        await self.deliver.close()

    # --- sockets ------------------------------------------------------------------------

    async def serve(self, scope: dict[str, Any], receive: ASGIReceive, send: ASGISend) -> None:
        await serve_socket(self, scope, receive, send)

    def register(self, conn: Connection) -> None:
        self.connections[conn.id] = conn

    def unregister(self, conn: Connection) -> None:
        if self.connections.pop(conn.id, None) is None:
            return
        self.deliver.detach(conn)
        if conn.present:
            conn.present = False
            self.presence.disconnected(conn.user_id)

    def sockets_of(self, user_id: int) -> list[Connection]:
        """This node's sockets of a user."""
        return [c for c in self.connections.values() if c.user_id == user_id]

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        last_ping = loop.time()
        while True:
            config = self.config
            await asyncio.sleep(config.tick)
            now = loop.time()
            ping = now - last_ping >= config.ping_interval * 0.999
            if ping:
                last_ping = now
            try:
                self._check(now, ping, config.idle_timeout)
            except Exception:  # a bug must not stop every heartbeat of the node
                log.exception("heartbeat check failed")

    def _check(self, now: float, ping: bool, idle_timeout: float) -> None:
        for conn in list(self.connections.values()):
            if now - conn.last_received > idle_timeout:
                conn.close(
                    Close.TIMEOUT, f"heartbeat_timeout: nothing heard for {idle_timeout:g} s"
                )
            elif ping:
                conn.push(PING)

    # --- introspection ------------------------------------------------------------------

    def schema(self) -> dict[str, Any]:
        config = self.config
        limits = {
            "auth_timeout": config.auth_timeout,
            "ping_interval": config.ping_interval,
            "idle_timeout": config.idle_timeout,
            "max_frame_bytes": config.max_frame_bytes,
            "transport_max_frame_bytes": TRANSPORT_MAX_MESSAGE,
            "rate": config.rate,
            "burst": config.burst,
            "abuse_limit": config.abuse_limit,
            "abuse_window": config.abuse_window,
            "outbound_queue": config.outbound_queue,
            "max_connections_per_user": config.max_connections_per_user,
            "max_topics_per_connection": config.max_topics_per_connection,
        }
        return json_schema(self.registry, self.core.registry.is_enabled, limits)
