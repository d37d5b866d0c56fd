"""Delivery to a user (every tab, on every node), to several users, to a topic's followers, or
to the sockets watching a user's presence.

Everything goes over the bus, so two nodes sharing Redis behave as one: a frame is encoded
once, published once (to one user's topic, to a followed topic, or, for several users, once
on the shared "users" topic with the recipients' ids in front), and each node that holds
recipients fans it into their sockets' queues. A node listens to one bus topic per user it
holds sockets for, one per topic its sockets follow (a "feed"), and to the users topic while
it holds any user's socket; with Redis, the bus carries all of them over the single pub/sub
connection and reader task of the process.

The users topic reaches every node that holds sockets, and each keeps the recipients it
holds at the moment the message arrives: a tab opened on any node just before a message
gets it, as with a per-user topic, and a chat message to ten members costs one publish
instead of ten. The price is that a node also reads the messages meant for others' users,
which is cheap next to a publish per recipient while nodes are few.

A feed is a bus subscription with a handler: the bus calls it with each message as it
arrives (from the Redis reader task, or from the publisher on the in-process bus), so a
node hands its messages to sockets in the order the bus delivered them, without a task or
a queue per feed. Feeds only enqueue (`Connection.enqueue` never blocks); a socket that
cannot keep up is closed by its own queue. If the bus itself loses messages (a Redis
reconnect), the affected sockets receive `{"type": "resync"}` so clients re-read state.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from transcendence.bus import RESYNC, Message, Subscription
from transcendence.hub.protocol import RESYNC as RESYNC_FRAME
from transcendence.hub.protocol import Close, push_frame
from transcendence.realtime import RealtimeError

if TYPE_CHECKING:
    from transcendence.hub.connection import Connection
    from transcendence.hub.hub import Hub

log = logging.getLogger("transcendence.hub.delivery")

# Control messages share the user topics with frames; a frame is JSON text and never
# starts with a NUL byte.
CONTROL = b"\x00"
# A message of the users topic: MULTI, the recipients' ids joined by commas, a newline, then
# the frame. Parsing it is a split, not a JSON decode of a document holding the frame.
MULTI = b"\x01"
TOPIC_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


class Feed:
    """One bus subscription of this node and the local sockets it feeds."""

    __slots__ = ("sub", "targets", "topic")

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.targets: set[Connection] = set()
        self.sub: Subscription


class Delivery:
    """`hub.deliver`: what modules call to reach sockets."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._feeds: dict[str, Feed] = {}
        self._closed = False

    # --- bus topics ---------------------------------------------------------------------

    @property
    def _prefix(self) -> str:
        return f"rt.{self._hub.namespace}"

    def user_topic(self, user_id: int) -> str:
        return f"{self._prefix}.user.{int(user_id)}"

    @property
    def users_topic(self) -> str:
        return f"{self._prefix}.users"

    def presence_topic(self, user_id: int) -> str:
        return f"{self._prefix}.presence.{int(user_id)}"

    def room_topic(self, topic: str) -> str:
        if not TOPIC_PATTERN.match(topic):
            raise ValueError(f"invalid topic {topic!r}: letters, digits and _.:- (128 at most)")
        return f"{self._prefix}.topic.{topic}"

    # --- sending ------------------------------------------------------------------------

    async def to_user(self, user_id: int, type_: str, data: Any = None) -> None:
        """Every socket of one user, on every node."""
        await self._hub.bus.publish(self.user_topic(user_id), push_frame(type_, data).encode())

    async def to_users(self, user_ids: Iterable[int], type_: str, data: Any = None) -> None:
        """Every socket of each user, on every node: one frame, encoded and published once."""
        ids = list(dict.fromkeys(int(u) for u in user_ids))
        if not ids:
            return
        if len(ids) == 1:  # only the nodes holding that user read it
            await self.to_user(ids[0], type_, data)
            return
        head = ",".join(map(str, ids)).encode()
        await self._hub.bus.publish(
            self.users_topic, MULTI + head + b"\n" + push_frame(type_, data).encode()
        )

    async def to_topic(self, topic: str, type_: str, data: Any = None) -> None:
        """Every socket that follows `topic` (see `subscribe_topic`), on every node."""
        await self._hub.bus.publish(self.room_topic(topic), push_frame(type_, data).encode())

    async def to_watchers(
        self, user_id: int, type_: str, data: Any = None, *, skip: Iterable[int] = ()
    ) -> None:
        """Every socket that asked for this user's presence (see `watch`), on every node,
        except the sockets of the users in `skip` (who hear it another way)."""
        control = {"op": "push", "text": push_frame(type_, data), "skip": sorted(set(skip))}
        await self._hub.bus.publish(
            self.presence_topic(user_id), CONTROL + json.dumps(control).encode()
        )

    async def disconnect_user(
        self, user_id: int, reason: str = "signed out", *, session_id: str | None = None
    ) -> None:
        """Close a user's sockets on every node (4401), or only those of one session."""
        control = {"op": "kick", "reason": reason, "session": session_id}
        await self._hub.bus.publish(
            self.user_topic(user_id), CONTROL + json.dumps(control).encode()
        )

    # --- following topics ---------------------------------------------------------------

    async def subscribe_topic(self, conn: Connection, topic: str) -> None:
        """Let a socket follow a topic; returns once deliveries to it are guaranteed."""
        bus_topic = self.room_topic(topic)
        if topic in conn.topics:
            return
        if self._hub.connections.get(conn.id) is not conn:
            raise RealtimeError("closed", "this socket is closed")
        if len(conn.topics) >= self._hub.config.max_topics_per_connection:
            raise RealtimeError(
                "too_many_topics",
                f"a socket follows {self._hub.config.max_topics_per_connection} topics at most",
            )
        if not conn.topics:
            conn.topics = set()
        conn.topics.add(topic)
        try:
            await self._attach(bus_topic, conn)
        except RealtimeError:
            conn.topics.discard(topic)
            raise

    async def unsubscribe_topic(self, conn: Connection, topic: str) -> None:
        if topic in conn.topics:
            conn.topics.discard(topic)
            self._detach(self.room_topic(topic), conn)

    async def watch(self, conn: Connection, user_ids: Iterable[int]) -> None:
        """Let a socket hear the presence changes of these users (ready on return).

        A socket watches `max_watched_per_connection` users at most: past that, the ones it
        asked about longest ago are dropped (a client re-asks for what it shows again)."""
        if self._hub.connections.get(conn.id) is not conn:
            raise RealtimeError("closed", "this socket is closed")
        new = []
        for uid in dict.fromkeys(int(u) for u in user_ids):
            if uid in conn.watching:
                del conn.watching[uid]  # asked again: now the newest
            else:
                new.append(uid)
            conn.watching[uid] = None
        limit = self._hub.config.max_watched_per_connection
        while len(conn.watching) > limit:
            oldest = next(iter(conn.watching))
            del conn.watching[oldest]
            if oldest in new:
                new.remove(oldest)
            else:
                self._detach(self.presence_topic(oldest), conn)
        try:
            await asyncio.gather(*(self._attach(self.presence_topic(uid), conn) for uid in new))
        except RealtimeError:
            for uid in new:
                conn.watching.pop(uid, None)
                self._detach(self.presence_topic(uid), conn)
            raise

    def followers(self, topic: str) -> int:
        """Sockets on this node following a topic."""
        feed = self._feeds.get(self.room_topic(topic))
        return len(feed.targets) if feed else 0

    # --- the hub's side -----------------------------------------------------------------

    async def attach(self, conn: Connection) -> None:
        """Register an authenticated socket for its user's deliveries (ready on return)."""
        await self._attach(self.user_topic(conn.user_id), conn)
        try:
            await self._attach(self.users_topic, conn)
        except RealtimeError:
            self._detach(self.user_topic(conn.user_id), conn)
            raise

    def detach(self, conn: Connection) -> None:
        self._detach(self.user_topic(conn.user_id), conn)
        self._detach(self.users_topic, conn)
        for topic in conn.topics:
            self._detach(self.room_topic(topic), conn)
        if conn.topics:
            conn.topics.clear()
        for uid in conn.watching:
            self._detach(self.presence_topic(uid), conn)
        conn.watching.clear()

    def local(self, user_id: int) -> set[Connection]:
        feed = self._feeds.get(self.user_topic(user_id))
        return set(feed.targets) if feed else set()

    async def close(self) -> None:
        self._closed = True
        feeds, self._feeds = list(self._feeds.values()), {}
        for feed in feeds:
            feed.sub.end()

    # --- feeds --------------------------------------------------------------------------

    async def _attach(self, bus_topic: str, conn: Connection) -> None:
        if self._closed:
            raise RealtimeError("unavailable", "the server is shutting down")
        feed = self._feeds.get(bus_topic)
        if feed is None:
            feed = self._feeds[bus_topic] = Feed(bus_topic)
            handler = self._on_users if bus_topic == self.users_topic else self._on_message
            feed.sub = self._hub.bus.subscribe(bus_topic, handler=partial(handler, feed))
        feed.targets.add(conn)
        # Every attacher waits, not only the first: a second tab arriving while the
        # subscription is still being confirmed must not be told it is live too early.
        try:
            async with asyncio.timeout(self._hub.config.ready_timeout):
                await feed.sub.ready()
        except TimeoutError:
            self._detach(bus_topic, conn)
            raise RealtimeError(
                "unavailable", "realtime delivery is unavailable (the bus is down); retry"
            ) from None

    def _detach(self, bus_topic: str, conn: Connection) -> None:
        feed = self._feeds.get(bus_topic)
        if feed is None:
            return
        feed.targets.discard(conn)
        if not feed.targets:
            del self._feeds[bus_topic]
            feed.sub.end()

    def _on_message(self, feed: Feed, message: Message) -> None:
        data = message.data
        if message.topic == RESYNC:
            self._push_all(feed, RESYNC_FRAME)
        elif data[:1] == CONTROL:
            self._control(feed, data)
        else:
            self._push_all(feed, data.decode())

    def _on_users(self, feed: Feed, message: Message) -> None:
        # A resync reaches the same sockets through their user feeds, once per socket.
        if message.topic != RESYNC and message.data[:1] == MULTI:
            self._multi(message.data)

    @staticmethod
    def _push_all(feed: Feed, text: str) -> None:
        # One message for every recipient. enqueue() never blocks and never changes
        # feed.targets (a close it triggers is carried out later by the socket's own
        # task), so the set can be iterated as is.
        message = {"type": "websocket.send", "text": text}
        for conn in feed.targets:
            conn.enqueue(message)

    def _multi(self, data: bytes) -> None:
        head, _, frame = data[1:].partition(b"\n")
        message = {"type": "websocket.send", "text": frame.decode()}
        feeds = self._feeds
        prefix = f"{self._prefix}.user."
        for raw in head.split(b","):
            feed = feeds.get(prefix + raw.decode())
            if feed is not None:
                for conn in feed.targets:
                    conn.enqueue(message)

    def _control(self, feed: Feed, data: bytes) -> None:
        try:
            control = json.loads(data[1:])
        except ValueError:
            log.warning("ignoring a malformed control message on %s", feed.topic)
            return
        if control.get("op") == "push":
            skip = set(control.get("skip") or ())
            message = {"type": "websocket.send", "text": str(control.get("text") or "")}
            for conn in feed.targets:
                if conn.user_id not in skip:
                    conn.enqueue(message)
        elif control.get("op") == "kick":
            session = control.get("session")
            for conn in list(feed.targets):
                if session is None or conn.session_id == session:
                    conn.fail(
                        "signed_out",
                        str(control.get("reason") or "signed out"),
                        close_code=Close.UNAUTHORIZED,
                    )
