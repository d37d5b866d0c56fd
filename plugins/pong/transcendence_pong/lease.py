"""Who runs a game: an ownership lease per running game, and its checkpoint.

A game's loop runs on exactly one node, the holder of its lease. Two implementations, chosen
from the settings like the bus (`make_leases`):

- `LocalLeases`: one process (the embedded in-process bus). Nobody else could take a game
  over, so the lease is a set of ids and the checkpoint a dict in memory.
- `RedisLeases`: several nodes sharing Redis. Per game, a lease key `SET NX PX ttl` holding the
  owner's token, renewed every ttl / 3; a checkpoint key (the room's state, JSON) that only the
  lease holder may write (checked in the same Lua script as the write: a node that lost its
  lease cannot overwrite the new owner's state); and one sorted set of the running games,
  scored by the Redis time of their last checkpoint.

Orphans are found by scanning that sorted set (`orphans()`: the games whose lease key is
gone), which every node does every few seconds with jitter. Keyspace notifications were not
used: they need `notify-keyspace-events` set on the server (often impossible on a managed
Redis), they are fire-and-forget pub/sub (an expiry announced while a node reconnects is lost
for good), and Redis announces an expiry only when it gets round to deleting the key. The
scan costs one round trip per node per interval, whatever the number of games, and a node
that starts later still finds what was left behind.

All times come from Redis's own clock (`TIME`), so node clocks may drift.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from abc import ABC, abstractmethod
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger("transcendence.pong.lease")

DEFAULT_TTL = 10.0  # seconds; TRANSCENDENCE_PONG_LEASE_TTL
CHECKPOINT_TTL_MS = 24 * 3600 * 1000  # a checkpoint nobody resumed is gone after a day

# What `renew` found.
HELD = "held"  # still ours, extended
MISSING = "missing"  # nobody holds it (Redis restarted empty, or it expired unclaimed)
LOST = "lost"  # another node holds it now

LeaseErrors: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    TimeoutError,
    OSError,
)


class Leases(ABC):
    """The leases this node holds, and the checkpoints of the games it runs."""

    shared = False  # True when another node could take a game over
    node_id: str

    def __init__(self, ttl: float = DEFAULT_TTL) -> None:
        self.ttl = ttl
        self.node_id = uuid.uuid4().hex[:12]

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    @abstractmethod
    async def acquire(self, game_id: str) -> bool:
        """Take the lease if nobody holds it; True when this node holds it now."""

    @abstractmethod
    async def renew(self, game_id: str, checkpoint: dict[str, Any] | None = None) -> str:
        """Extend a lease this node holds (and store `checkpoint` with it): HELD, MISSING
        or LOST."""

    @abstractmethod
    async def save(self, game_id: str, checkpoint: dict[str, Any]) -> bool:
        """Store a checkpoint, only while holding the lease; False when not the holder."""

    @abstractmethod
    async def load(self, game_id: str) -> tuple[dict[str, Any], float] | None:
        """A game's last checkpoint and its age in seconds, or None."""

    @abstractmethod
    async def release(self, game_id: str, *, forget: bool) -> None:
        """Give the lease up (if held). `forget`: the game is over, drop its checkpoint and
        its entry among the running games; otherwise another node may resume it."""

    @abstractmethod
    async def holder(self, game_id: str) -> str | None:
        """The node id of the lease's holder, or None."""

    async def orphans(self) -> list[str]:
        """Running games whose lease nobody holds (always none in one process)."""
        return []

    async def forget(self, game_id: str) -> None:
        """Drop a game's checkpoint and entry whoever held it (it ended elsewhere)."""
        return None


class LocalLeases(Leases):
    """One process: a lease is held by being in this set; nothing can take it over."""

    def __init__(self, ttl: float = DEFAULT_TTL) -> None:
        super().__init__(ttl)
        self.held: set[str] = set()
        self.checkpoints: dict[str, dict[str, Any]] = {}

    async def acquire(self, game_id: str) -> bool:
        if game_id in self.held:
            return False
        self.held.add(game_id)
        return True

    async def renew(self, game_id: str, checkpoint: dict[str, Any] | None = None) -> str:
        if game_id not in self.held:
            return MISSING
        if checkpoint is not None:
            self.checkpoints[game_id] = checkpoint
        return HELD

    async def save(self, game_id: str, checkpoint: dict[str, Any]) -> bool:
        if game_id not in self.held:
            return False
        self.checkpoints[game_id] = checkpoint
        return True

    async def load(self, game_id: str) -> tuple[dict[str, Any], float] | None:
        found = self.checkpoints.get(game_id)
        return (found, 0.0) if found is not None else None

    async def release(self, game_id: str, *, forget: bool) -> None:
        self.held.discard(game_id)
        if forget:
            self.checkpoints.pop(game_id, None)

    async def holder(self, game_id: str) -> str | None:
        return self.node_id if game_id in self.held else None

    async def forget(self, game_id: str) -> None:
        self.checkpoints.pop(game_id, None)


# KEYS: lease, checkpoint, games.  ARGV: token, ttl ms, checkpoint JSON or "", game id,
# checkpoint ttl ms.  Returns 1 held (extended), 0 missing, -1 held by another node.
_RENEW = """
local owner = redis.call('GET', KEYS[1])
if owner == false then return 0 end
if owner ~= ARGV[1] then return -1 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if ARGV[3] ~= '' then
  local t = redis.call('TIME')
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[5])
  redis.call('ZADD', KEYS[3], t[1] + t[2] / 1e6, ARGV[4])
end
return 1
"""

# KEYS: lease, checkpoint, games.  ARGV: token, checkpoint JSON, game id, checkpoint ttl ms.
_SAVE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local t = redis.call('TIME')
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4])
redis.call('ZADD', KEYS[3], t[1] + t[2] / 1e6, ARGV[3])
return 1
"""

# KEYS: checkpoint, games.  ARGV: game id.  Returns {checkpoint or false, age in seconds}.
_LOAD = """
local data = redis.call('GET', KEYS[1])
local saved = redis.call('ZSCORE', KEYS[2], ARGV[1])
local t = redis.call('TIME')
local now = t[1] + t[2] / 1e6
if saved == false then return {data, '0'} end
return {data, tostring(now - tonumber(saved))}
"""

# KEYS: lease, checkpoint, games.  ARGV: token, game id, "1" to forget the game.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
if ARGV[3] == '1' then
  redis.call('DEL', KEYS[2])
  redis.call('ZREM', KEYS[3], ARGV[2])
end
return 1
"""

# KEYS: games.  ARGV: key prefix.  The games whose lease key is gone; entries whose
# checkpoint expired are dropped on the way.
_ORPHANS = """
local found = {}
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, id in ipairs(ids) do
  if redis.call('EXISTS', ARGV[1] .. 'ckpt:' .. id) == 0 then
    redis.call('ZREM', KEYS[1], id)
  elseif redis.call('EXISTS', ARGV[1] .. 'lease:' .. id) == 0 then
    table.insert(found, id)
  end
end
return found
"""


class RedisLeases(Leases):
    """Leases and checkpoints in Redis, shared by every node of a deployment."""

    shared = True

    def __init__(self, url: str, namespace: str, ttl: float = DEFAULT_TTL) -> None:
        super().__init__(ttl)
        self.prefix = f"pong:{namespace}:"
        self.token = self.node_id
        self._redis = aioredis.Redis.from_url(
            url,
            socket_connect_timeout=3,
            socket_timeout=5,
            retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), 2),
            decode_responses=True,
        )
        self._renew = self._redis.register_script(_RENEW)
        self._save = self._redis.register_script(_SAVE)
        self._load = self._redis.register_script(_LOAD)
        self._release = self._redis.register_script(_RELEASE)
        self._orphans = self._redis.register_script(_ORPHANS)

    def _keys(self, game_id: str) -> list[str]:
        return [
            f"{self.prefix}lease:{game_id}",
            f"{self.prefix}ckpt:{game_id}",
            f"{self.prefix}games",
        ]

    @property
    def _ttl_ms(self) -> int:
        return max(1, int(self.ttl * 1000))

    async def close(self) -> None:
        await self._redis.aclose()

    async def acquire(self, game_id: str) -> bool:
        done = await self._redis.set(self._keys(game_id)[0], self.token, nx=True, px=self._ttl_ms)
        return bool(done)

    async def renew(self, game_id: str, checkpoint: dict[str, Any] | None = None) -> str:
        data = _encode(checkpoint) if checkpoint is not None else ""
        args: list[str | int] = [self.token, self._ttl_ms, data, game_id, CHECKPOINT_TTL_MS]
        found = int(await self._renew(keys=self._keys(game_id), args=args))
        return {1: HELD, 0: MISSING}.get(found, LOST)

    async def save(self, game_id: str, checkpoint: dict[str, Any]) -> bool:
        args: list[str | int] = [self.token, _encode(checkpoint), game_id, CHECKPOINT_TTL_MS]
        return bool(int(await self._save(keys=self._keys(game_id), args=args)))

    async def load(self, game_id: str) -> tuple[dict[str, Any], float] | None:
        keys = self._keys(game_id)
        data, age = await self._load(keys=keys[1:], args=[game_id])
        if not data:
            return None
        return json.loads(data), max(0.0, float(age))

    async def release(self, game_id: str, *, forget: bool) -> None:
        args = [self.token, game_id, "1" if forget else "0"]
        await self._release(keys=self._keys(game_id), args=args)

    async def holder(self, game_id: str) -> str | None:
        found = await self._redis.get(self._keys(game_id)[0])
        return str(found) if found else None

    async def orphans(self) -> list[str]:
        found = await self._orphans(keys=[f"{self.prefix}games"], args=[self.prefix])
        return [str(game_id) for game_id in found]

    async def forget(self, game_id: str) -> None:
        keys = self._keys(game_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(keys[1])
            pipe.zrem(keys[2], game_id)
            await pipe.execute()


def _encode(checkpoint: dict[str, Any]) -> str:
    return json.dumps(checkpoint, separators=(",", ":"))


def make_leases(redis_url: str | None, namespace: str, ttl: float = DEFAULT_TTL) -> Leases:
    """Redis leases when a URL is configured (several nodes), else local ones."""
    if redis_url:
        return RedisLeases(redis_url, namespace, ttl)
    return LocalLeases(ttl)


def lease_ttl() -> float:
    """`TRANSCENDENCE_PONG_LEASE_TTL` (seconds, default 10): how long a dead node's games
    wait before another node takes them over; renewed every third of it."""
    raw = os.environ.get("TRANSCENDENCE_PONG_LEASE_TTL", "").strip()
    if not raw:
        return DEFAULT_TTL
    try:
        ttl = float(raw)
    except ValueError:
        raise ValueError("TRANSCENDENCE_PONG_LEASE_TTL is a number of seconds, e.g. 10") from None
    if not 0.3 <= ttl <= 300:
        raise ValueError("TRANSCENDENCE_PONG_LEASE_TTL must be between 0.3 and 300 seconds")
    return ttl


# The module's other settings, read from the environment like the ttl (docs/pong.md,
# "Settings"); a bad value stops the module's start with one line naming the variable.
DEFAULT_SNAPSHOT_RATE = 30  # snapshots per second; TRANSCENDENCE_PONG_SNAPSHOT_RATE
DEFAULT_GRACE = 30.0  # seconds; TRANSCENDENCE_PONG_GRACE
DEFAULT_QUEUE_INTERVAL = 2.0  # seconds; TRANSCENDENCE_PONG_QUEUE_INTERVAL


def snapshot_rate() -> int:
    """`TRANSCENDENCE_PONG_SNAPSHOT_RATE` (1..60 per second, default 30): how often a game's
    state goes out to its players and spectators."""
    name = "TRANSCENDENCE_PONG_SNAPSHOT_RATE"
    raw = os.environ.get(name, "").strip()
    if not raw:
        return DEFAULT_SNAPSHOT_RATE
    try:
        rate = int(raw)
    except ValueError:
        raise ValueError(f"{name} is a whole number of snapshots per second, e.g. 30") from None
    if not 1 <= rate <= 60:
        raise ValueError(f"{name} must be between 1 and 60 snapshots per second")
    return rate


def grace_period() -> float:
    """`TRANSCENDENCE_PONG_GRACE` (seconds, 1..600, default 30): how long a disconnected
    player has to come back before losing by forfeit."""
    return _seconds("TRANSCENDENCE_PONG_GRACE", DEFAULT_GRACE, 1, 600, "30")


def queue_interval() -> float:
    """`TRANSCENDENCE_PONG_QUEUE_INTERVAL` (seconds, 0.05..60, default 2): how often a node
    pairs the waiting players whose rating windows have widened enough."""
    return _seconds("TRANSCENDENCE_PONG_QUEUE_INTERVAL", DEFAULT_QUEUE_INTERVAL, 0.05, 60, "2")


def _seconds(name: str, default: float, low: float, high: float, example: str) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} is a number of seconds, e.g. {example}") from None
    if not low <= value <= high:  # also refuses nan
        raise ValueError(f"{name} must be between {low:g} and {high:g} seconds")
    return value
