"""Presence: online, in game or offline, and when someone was last seen, across tabs and nodes.

A user is *online* while at least one of their sockets is open on any node, *in game* while
a node (the one running their match) says so, *offline* otherwise. Friends (accepted
friendships) and the sockets that asked about the user (`presence.query`, see
`Delivery.watch`) receive `presence.changed` frames on every change; an offline transition
also stores `User.last_seen_at`.

Each node counts its own sockets per user and tells a store about 0 → 1 and 1 → 0 only:

- in-process (`LocalPresence`): a dict, for one process;
- Redis (`RedisPresence`): per user a sorted set of the nodes that hold a socket, scored by
  the entry's expiry. Each node refreshes its entries (and its own entry in the node list)
  every ttl / 3, so a node that dies stops counting after at most ttl; the surviving nodes
  notice expired nodes on their next heartbeat, remove their entries and announce the users
  who went offline. Every read and transition is one Lua script using Redis's own clock,
  so concurrent tabs on several nodes announce exactly one transition and node clocks may
  drift.

Operations of a node run one at a time, in order, in one worker task: a tab closed and
reopened at once cannot reach the store in the wrong order.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff

from transcendence.errors import outage_of

if TYPE_CHECKING:
    from transcendence.hub.hub import Hub

log = logging.getLogger("transcendence.hub.presence")

ONLINE = "online"
IN_GAME = "in_game"
OFFLINE = "offline"

Transition = tuple[str, str]  # (status before, status after)


class PresenceStore(ABC):
    """Where a node records which users it holds; answers the cluster-wide status."""

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    @abstractmethod
    async def add(self, kind: str, user_id: int) -> Transition:
        """This node holds a socket of (`kind="u"`) / plays a match for (`"g"`) the user."""

    @abstractmethod
    async def remove(self, kind: str, user_id: int) -> Transition: ...

    @abstractmethod
    async def statuses(self, user_ids: list[int]) -> dict[int, str]: ...

    async def heartbeat(self, users: Iterable[int], in_game: Iterable[int]) -> None:
        """Refresh this node's entries (nothing to do in one process)."""
        return None

    async def reap(self) -> list[tuple[int, Transition, float]]:
        """Entries of dead nodes: removed, with the transition and when the node last spoke."""
        return []


class LocalPresence(PresenceStore):
    def __init__(self) -> None:
        self._sockets: dict[int, int] = {}
        self._in_game: dict[int, int] = {}

    def _status(self, user_id: int) -> str:
        if self._in_game.get(user_id):
            return IN_GAME
        return ONLINE if self._sockets.get(user_id) else OFFLINE

    def _table(self, kind: str) -> dict[int, int]:
        return self._sockets if kind == "u" else self._in_game

    async def add(self, kind: str, user_id: int) -> Transition:
        before = self._status(user_id)
        table = self._table(kind)
        table[user_id] = table.get(user_id, 0) + 1
        return before, self._status(user_id)

    async def remove(self, kind: str, user_id: int) -> Transition:
        before = self._status(user_id)
        table = self._table(kind)
        left = table.get(user_id, 0) - 1
        if left > 0:
            table[user_id] = left
        else:
            table.pop(user_id, None)
        return before, self._status(user_id)

    async def statuses(self, user_ids: list[int]) -> dict[int, str]:
        return {uid: self._status(uid) for uid in user_ids}


# --- Redis ---------------------------------------------------------------------------------

_PRELUDE = """
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local function status(u, g, t)
  if redis.call('ZCOUNT', g, '(' .. t, '+inf') > 0 then return 'in_game' end
  if redis.call('ZCOUNT', u, '(' .. t, '+inf') > 0 then return 'online' end
  return 'offline'
end
"""

# KEYS: target, u, g, node set. ARGV: node, ttl seconds, entry
_ADD = (
    _PRELUDE
    + """
local t = clock()
local ttl = tonumber(ARGV[2])
local before = status(KEYS[2], KEYS[3], t)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t)
redis.call('ZADD', KEYS[1], t + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], math.ceil(ttl * 2000))
redis.call('SADD', KEYS[4], ARGV[3])
redis.call('PEXPIRE', KEYS[4], math.ceil(ttl * 20000))
return {before, status(KEYS[2], KEYS[3], t)}
"""
)

# KEYS: target, u, g, node set. ARGV: node, entry
_REMOVE = (
    _PRELUDE
    + """
local t = clock()
local before = status(KEYS[2], KEYS[3], t)
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[4], ARGV[2])
return {before, status(KEYS[2], KEYS[3], t)}
"""
)

# KEYS: target, u, g. ARGV: dead node, kind. The status before counts the dead entry as live.
_REAP = (
    _PRELUDE
    + """
local t = clock()
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return {'', ''} end
redis.call('ZREM', KEYS[1], ARGV[1])
local after = status(KEYS[2], KEYS[3], t)
local before = after
if ARGV[2] == 'g' then before = 'in_game' elseif after == 'offline' then before = 'online' end
return {before, after}
"""
)

# KEYS: nodes, node set, then the target of each entry. ARGV: node, ttl, then the entries.
_HEARTBEAT = """
local t = redis.call('TIME')
t = tonumber(t[1]) + tonumber(t[2]) / 1000000
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], t + ttl, ARGV[1])
for i = 3, #KEYS do
  redis.call('ZADD', KEYS[i], t + ttl, ARGV[1])
  redis.call('PEXPIRE', KEYS[i], math.ceil(ttl * 2000))
  redis.call('SADD', KEYS[2], ARGV[i])
end
redis.call('PEXPIRE', KEYS[2], math.ceil(ttl * 20000))
return 1
"""

# KEYS: nodes. Nodes whose entry expired, with their expiry.
_DEAD = """
local t = redis.call('TIME')
t = tonumber(t[1]) + tonumber(t[2]) / 1000000
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. t, 'WITHSCORES')
"""

# KEYS: u1, g1, u2, g2, ...
_STATUSES = (
    _PRELUDE
    + """
local t = clock()
local out = {}
for i = 1, #KEYS, 2 do out[#out + 1] = status(KEYS[i], KEYS[i + 1], t) end
return out
"""
)

_CHUNK = 500


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisPresence(PresenceStore):
    def __init__(self, url: str, namespace: str, node_id: str, ttl: float) -> None:
        self.node_id = node_id
        self.ttl = ttl
        self._prefix = f"rt:{namespace}:presence"
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=8,
            timeout=5.0,
            socket_connect_timeout=3.0,
            socket_timeout=5.0,
            retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), 2),
        )
        self._redis = aioredis.Redis(connection_pool=pool)
        self._add = self._redis.register_script(_ADD)
        self._remove = self._redis.register_script(_REMOVE)
        self._reap = self._redis.register_script(_REAP)
        self._heartbeat = self._redis.register_script(_HEARTBEAT)
        self._dead = self._redis.register_script(_DEAD)
        self._statuses = self._redis.register_script(_STATUSES)

    def _key(self, kind: str, user_id: int) -> str:
        return f"{self._prefix}:{kind}:{user_id}"

    def _node_set(self, node: str) -> str:
        return f"{self._prefix}:node:{node}"

    @property
    def _nodes(self) -> str:
        return f"{self._prefix}:nodes"

    async def start(self) -> None:
        with contextlib.suppress(Exception):  # Redis may be down: the heartbeat retries
            await self.heartbeat((), ())

    async def close(self) -> None:
        try:
            await self._redis.delete(self._node_set(self.node_id))
            await self._redis.zrem(self._nodes, self.node_id)
        except Exception as exc:  # shutting down: entries expire on their own
            log.warning("could not remove this node's presence entries: %s", exc)
        finally:
            await self._redis.aclose(close_connection_pool=True)

    async def add(self, kind: str, user_id: int) -> Transition:
        keys = [self._key(kind, user_id), self._key("u", user_id), self._key("g", user_id)]
        before, after = await self._add(
            keys=[*keys, self._node_set(self.node_id)],
            args=[self.node_id, self.ttl, f"{kind}:{user_id}"],
        )
        return _text(before), _text(after)

    async def remove(self, kind: str, user_id: int) -> Transition:
        keys = [self._key(kind, user_id), self._key("u", user_id), self._key("g", user_id)]
        before, after = await self._remove(
            keys=[*keys, self._node_set(self.node_id)], args=[self.node_id, f"{kind}:{user_id}"]
        )
        return _text(before), _text(after)

    async def statuses(self, user_ids: list[int]) -> dict[int, str]:
        result: dict[int, str] = {}
        unique = list(dict.fromkeys(user_ids))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            keys = [k for uid in chunk for k in (self._key("u", uid), self._key("g", uid))]
            answer = await self._statuses(keys=keys, args=[])
            result.update(zip(chunk, (_text(s) for s in answer), strict=True))
        return result

    async def heartbeat(self, users: Iterable[int], in_game: Iterable[int]) -> None:
        entries = [("u", uid) for uid in users] + [("g", uid) for uid in in_game]
        fixed = [self._nodes, self._node_set(self.node_id)]
        for start in range(0, max(len(entries), 1), _CHUNK):
            chunk = entries[start : start + _CHUNK]
            await self._heartbeat(
                keys=[*fixed, *(self._key(kind, uid) for kind, uid in chunk)],
                args=[self.node_id, self.ttl, *(f"{kind}:{uid}" for kind, uid in chunk)],
            )

    async def reap(self) -> list[tuple[int, Transition, float]]:
        changes: list[tuple[int, Transition, float]] = []
        dead = await self._dead(keys=[self._nodes], args=[])
        for node_raw, expiry_raw in zip(dead[::2], dead[1::2], strict=True):
            node = _text(node_raw)
            if node == self.node_id:
                continue  # our own heartbeat was late; the next one restores us
            # One survivor reaps each dead node.
            lock = f"{self._prefix}:reap:{node}"
            if not await self._redis.set(lock, self.node_id, nx=True, px=60_000):
                continue
            last_seen = float(expiry_raw) - self.ttl
            for raw in await self._redis.smembers(self._node_set(node)):
                kind, _, uid_text = _text(raw).partition(":")
                if kind not in ("u", "g") or not uid_text.isdigit():
                    continue
                uid = int(uid_text)
                before, after = await self._reap(
                    keys=[self._key(kind, uid), self._key("u", uid), self._key("g", uid)],
                    args=[node, kind],
                )
                if _text(before):
                    changes.append((uid, (_text(before), _text(after)), last_seen))
            await self._redis.delete(self._node_set(node))
            await self._redis.zrem(self._nodes, node)
        return changes


# --- the service ---------------------------------------------------------------------------


def _iso(ts: datetime | None) -> str | None:
    return ts.isoformat() if ts is not None else None


class Presence:
    """`hub.presence`: socket counts of this node, the ordered worker, announcements."""

    def __init__(self, hub: Hub, store: PresenceStore | None = None) -> None:
        self._hub = hub
        # Replaced when the hub starts (the Redis store needs the final config).
        self.store: PresenceStore = store or LocalPresence()
        self._sockets: dict[int, int] = {}  # user → sockets on this node
        self._in_game: set[int] = set()  # users this node marked in game
        self._ops: asyncio.Queue[tuple[Callable[[], Awaitable[Any]], asyncio.Future[Any]]]
        self._ops = asyncio.Queue(maxsize=10_000)
        self._worker: asyncio.Task[None] | None = None
        self._beat: asyncio.Task[None] | None = None
        self._beat_pending = False

    async def start(self, store: PresenceStore | None = None) -> None:
        if store is not None:
            self.store = store
        await self.store.start()
        loop = asyncio.get_running_loop()
        self._worker = loop.create_task(self._work(), name="transcendence.hub.presence")
        self._beat = loop.create_task(self._heartbeats(), name="transcendence.hub.heartbeat")

    async def stop(self) -> None:
        if self._beat is not None:
            self._beat.cancel()
            await asyncio.wait([self._beat])
        # This node's users leave: announce them while the database and bus are still up.
        for kind, users in (("g", self._in_game), ("u", self._sockets)):
            for uid in list(users):
                self._enqueue(functools.partial(self._transition, kind, uid, add=False))
            users.clear()
        if self._worker is not None:
            # Everything queued so far runs first (bounded: the store may be down).
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                async with asyncio.timeout(5):
                    await self._enqueue(_noop)
            self._worker.cancel()
            await asyncio.wait([self._worker])
        await self.store.close()

    # --- what the hub and modules call --------------------------------------------------

    async def connected(self, user_id: int) -> None:
        count = self._sockets.get(user_id, 0) + 1
        self._sockets[user_id] = count
        if count == 1:
            await self._submit(lambda: self._transition("u", user_id, add=True))

    def disconnected(self, user_id: int) -> None:
        count = self._sockets.get(user_id, 0) - 1
        if count > 0:
            self._sockets[user_id] = count
            return
        self._sockets.pop(user_id, None)
        self._enqueue(lambda: self._transition("u", user_id, add=False))

    async def set_in_game(self, user_id: int, in_game: bool) -> None:
        """Mark a user in game (or not) from the node that runs their match."""
        if in_game == (user_id in self._in_game):
            return
        if in_game:
            self._in_game.add(user_id)
        else:
            self._in_game.discard(user_id)
        await self._submit(lambda: self._transition("g", user_id, add=in_game))

    def sockets_here(self, user_id: int) -> int:
        return self._sockets.get(user_id, 0)

    async def statuses(self, user_ids: list[int]) -> dict[int, str]:
        """`{user_id: "online" | "in_game" | "offline"}`, without the last-seen times."""
        try:
            return await self.store.statuses(list(user_ids))
        except Exception as exc:  # the store is down: say what this node knows
            log.warning("presence store unavailable (%s); answering from this node", exc)
            return {uid: ONLINE if self._sockets.get(uid) else OFFLINE for uid in user_ids}

    async def status_of(self, user_ids: list[int]) -> dict[int, dict[str, Any]]:
        """`{user_id: {"status", "last_seen"}}` for every id asked (unknown: offline)."""
        if not user_ids:
            return {}
        statuses = await self.statuses(user_ids)
        now = datetime.now(UTC).isoformat()
        away = [uid for uid, status in statuses.items() if status == OFFLINE]
        seen: dict[int, Any] = {}
        if away:
            seen = await self._hub.users.last_seen(away)
        return {
            uid: {
                "status": statuses[uid],
                "last_seen": now if statuses[uid] != OFFLINE else _iso(seen.get(uid)),
            }
            for uid in user_ids
        }

    # --- the worker ---------------------------------------------------------------------

    def _enqueue(
        self, op: Callable[[], Awaitable[Any]], fut: asyncio.Future[Any] | None = None
    ) -> asyncio.Future[Any]:
        fut = fut or asyncio.get_running_loop().create_future()
        try:
            self._ops.put_nowait((op, fut))
        except asyncio.QueueFull:
            # 10,000 operations behind: the store is down or far too slow. The entry will
            # expire (Redis) instead; say so rather than block a socket's cleanup.
            log.error("presence backlog full; dropping an update (entries expire on their own)")
            fut.cancel()
        return fut

    async def _submit(self, op: Callable[[], Awaitable[Any]]) -> Any:
        return await self._enqueue(op)

    async def _work(self) -> None:
        while True:
            op, fut = await self._ops.get()
            try:
                result = await op()
            except asyncio.CancelledError:
                fut.cancel()
                raise
            except Exception as exc:
                # An outage is one line (the bus logs its own recovery); anything else is a bug.
                log.warning("presence update failed: %s", exc, exc_info=outage_of(exc) is None)
                if not fut.done():
                    fut.set_result(None)
            else:
                if not fut.done():
                    fut.set_result(result)

    async def _transition(self, kind: str, user_id: int, *, add: bool) -> None:
        store = self.store
        before, after = await (store.add if add else store.remove)(kind, user_id)
        if before != after:
            await self._announce(user_id, after, datetime.now(UTC))

    async def _announce(self, user_id: int, status: str, when: datetime) -> None:
        users = self._hub.users
        if status == OFFLINE:
            await users.went_offline(user_id, when)
        # The rule of `accounts.presence.presence_seen_by`: nobody across a block hears it.
        hidden = await users.blocked_ids(user_id)
        friends = set(await users.friends_of(user_id)) - hidden
        data = {"user_id": user_id, "status": status, "last_seen": when.isoformat()}
        if friends:
            await self._hub.deliver.to_users(friends, "presence.changed", data)
        # Whoever else asked about this user (`presence.query`: a profile, a chat) hears it
        # too, once (friends just did). A block filters here, not the watching itself, so
        # an unblock resumes the pushes by itself.
        await self._hub.deliver.to_watchers(
            user_id, "presence.changed", data, skip=friends | hidden
        )

    # --- heartbeats ---------------------------------------------------------------------

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(max(0.05, self._hub.config.presence_ttl / 3))
            if not self._beat_pending:
                self._beat_pending = True
                if self._enqueue(self._beat_once).cancelled():  # the backlog is full
                    self._beat_pending = False

    async def _beat_once(self) -> None:
        self._beat_pending = False
        await self.store.heartbeat(list(self._sockets), list(self._in_game))
        for user_id, (before, after), last_seen in await self.store.reap():
            if before != after:
                await self._announce(user_id, after, datetime.fromtimestamp(last_seen, UTC))


async def _noop() -> None:
    return None
