"""Throttling of everything that checks a secret (passwords, 2FA codes) and of signups.

The rules (docs/accounts.md, "Throttling"), for a check of `account` from `address`:

- **account + address**: 5 failures in 15 minutes, then that address waits for the window;
- **address**: 20 failures in 15 minutes for any accounts, then that address waits;
- **account**: from an address the account never logged in from, failures beyond 10 (within
  24 hours) each lock those addresses out of the account for a growing time (1, 2, 4 ...
  minutes, 1 hour at most). An address that has a session of the account is exempt, so
  someone else's failures never stop the owner logging in from their own address.
- **signups**: 10 an hour per address (`TRANSCENDENCE_SIGNUPS_PER_HOUR`).

`account` is the resolved account (its user id), so a username and an email share one
bucket. Each check takes its slot *before* the secret is verified and gives it back on
success: N parallel guesses cannot all pass a count read before any of them failed. The
counters live in Redis when `REDIS_URL` is set (one Lua script per decision, atomic for every
node) and in this process otherwise (the embedded defaults run one process; the decision
has no `await` inside, so it is atomic for the event loop).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from quart import current_app, has_app_context

from transcendence.errors import APIError

WINDOW = 15 * 60
PAIR_LIMIT = 5
ADDRESS_LIMIT = 20
ACCOUNT_FREE = 10
ACCOUNT_WINDOW = 24 * 3600
ACCOUNT_BACKOFF = 60
ACCOUNT_BACKOFF_CAP = 3600
SIGNUP_LIMIT = 10
SIGNUP_WINDOW = 3600

EXTENSION = "transcendence.accounts.throttle"

MESSAGES = {
    "account_address": "too many failed attempts for this account from your address",
    "address": "too many failed attempts from your address",
    "account": "too many failed attempts for this account; log in from a device you used "
    "before, or wait",
    "signup": "too many signups from your address",
}


def too_many(scope: str, retry_after: float) -> APIError:
    seconds = max(1, int(retry_after + 0.999))
    return APIError(
        429,
        "too_many_attempts",
        f"{MESSAGES[scope]}; try again in {seconds} s",
        {"scope": scope, "retry_after": seconds},
        headers={"Retry-After": str(seconds)},
    )


@dataclass(frozen=True, slots=True)
class Ticket:
    """A slot taken by `begin`; `succeeded` gives it back."""

    pair: str
    address: str
    account: str | None  # None when the address is exempt from the account limit
    lock: str | None


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:24]


class Throttle:
    """The rules above over a counter store; `prefix` keeps deployments apart."""

    def __init__(self, prefix: str, *, signup_limit: int = SIGNUP_LIMIT) -> None:
        self.prefix = prefix
        self.signup_limit = signup_limit

    def _keys(self, account: str, address: str, exempt: bool) -> Ticket:
        a, ip = _digest(account), _digest(address)
        return Ticket(
            pair=f"{self.prefix}:pair:{a}:{ip}",
            address=f"{self.prefix}:addr:{ip}",
            account=None if exempt else f"{self.prefix}:acct:{a}",
            lock=None if exempt else f"{self.prefix}:lock:{a}",
        )

    async def begin(self, account: str, address: str, *, exempt: bool) -> Ticket:
        """Take a slot for one check, or raise 429 `too_many_attempts`."""
        ticket = self._keys(account, address, exempt)
        scope, wait = await self._begin(ticket)
        if scope:
            raise too_many(scope, wait)
        return ticket

    async def succeeded(self, ticket: Ticket) -> None:
        """The secret was right: the pair starts over, the other counters drop this slot."""
        await self._succeeded(ticket)

    async def signup(self, address: str) -> None:
        wait = await self._hit(f"{self.prefix}:signup:{_digest(address)}", self.signup_limit)
        if wait:
            raise too_many("signup", wait)

    async def claim_once(self, name: str, ttl: float) -> bool:
        """True the first time `name` is claimed within `ttl` seconds (single-use tokens)."""
        return await self._claim(f"{self.prefix}:once:{_digest(name)}", ttl)

    async def close(self) -> None:
        return None

    async def clear(self) -> None:
        """Forget every counter (tests start from nothing)."""
        raise NotImplementedError

    # --- backends ------------------------------------------------------------------------

    async def _begin(self, t: Ticket) -> tuple[str, float]:
        raise NotImplementedError

    async def _succeeded(self, t: Ticket) -> None:
        raise NotImplementedError

    async def _hit(self, key: str, limit: int) -> float:
        raise NotImplementedError

    async def _claim(self, key: str, ttl: float) -> bool:
        raise NotImplementedError


def account_backoff(failures: int) -> float:
    """The lock after the `failures`-th failure of an account (0 while still free)."""
    if failures <= ACCOUNT_FREE:
        return 0
    return min(ACCOUNT_BACKOFF_CAP, ACCOUNT_BACKOFF * 2 ** min(failures - ACCOUNT_FREE - 1, 20))


class MemoryThrottle(Throttle):
    """In this process: no `await` between reading and writing a counter."""

    def __init__(self, prefix: str = "memory", clock: Any = time.monotonic, **options: Any) -> None:
        super().__init__(prefix, **options)
        self._clock = clock
        self._counts: dict[str, tuple[int, float]] = {}  # key -> (count, expires at)

    def _get(self, key: str) -> tuple[int, float]:
        now = self._clock()
        count, until = self._counts.get(key, (0, 0.0))
        if until <= now:
            self._counts.pop(key, None)
            return 0, 0.0
        return count, until - now

    def _incr(self, key: str, window: float, *, refresh: bool = False) -> int:
        count, left = self._get(key)
        until = self._clock() + (window if refresh or not count else left)
        self._counts[key] = (count + 1, until)
        if len(self._counts) > 100_000:  # bounded: drop whatever has expired
            now = self._clock()
            self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
        return count + 1

    def _decr(self, key: str) -> None:
        count, left = self._get(key)
        if count > 1:
            self._counts[key] = (count - 1, self._clock() + left)
        elif count:
            self._counts.pop(key, None)

    async def _begin(self, t: Ticket) -> tuple[str, float]:
        count, left = self._get(t.pair)
        if count >= PAIR_LIMIT:
            return "account_address", left
        count, left = self._get(t.address)
        if count >= ADDRESS_LIMIT:
            return "address", left
        if t.lock is not None:
            locked, left = self._get(t.lock)
            if locked:
                return "account", left
        self._incr(t.pair, WINDOW)
        self._incr(t.address, WINDOW)
        if t.account is not None and t.lock is not None:
            backoff = account_backoff(self._incr(t.account, ACCOUNT_WINDOW, refresh=True))
            if backoff:
                self._counts[t.lock] = (1, self._clock() + backoff)
        return "", 0.0

    async def _succeeded(self, t: Ticket) -> None:
        self._counts.pop(t.pair, None)
        self._decr(t.address)
        if t.account is not None:
            self._decr(t.account)

    async def _hit(self, key: str, limit: int) -> float:
        count, left = self._get(key)
        if count >= limit:
            return left
        self._incr(key, SIGNUP_WINDOW)
        return 0.0

    async def _claim(self, key: str, ttl: float) -> bool:
        if self._get(key)[0]:
            return False
        self._incr(key, ttl)
        return True

    async def clear(self) -> None:
        self._counts.clear()


# KEYS: pair, address, account, lock (the last two empty strings when exempt)
# ARGV: pair limit, address limit, window ms, account free, account window ms,
#       backoff base ms, backoff cap ms. Returns {scope, wait ms}; scope "" = allowed.
_BEGIN = """
local function left(key)
  local ms = redis.call('PTTL', key)
  if ms < 0 then return 0 end
  return ms
end
local function incr(key, window, refresh)
  redis.call('SET', key, 0, 'PX', window, 'NX')
  local n = redis.call('INCR', key)
  if refresh then redis.call('PEXPIRE', key, window) end
  return n
end
if tonumber(redis.call('GET', KEYS[1]) or '0') >= tonumber(ARGV[1]) then
  return {'account_address', left(KEYS[1])}
end
if tonumber(redis.call('GET', KEYS[2]) or '0') >= tonumber(ARGV[2]) then
  return {'address', left(KEYS[2])}
end
if KEYS[4] ~= '' and redis.call('EXISTS', KEYS[4]) == 1 then
  return {'account', left(KEYS[4])}
end
incr(KEYS[1], ARGV[3], false)
incr(KEYS[2], ARGV[3], false)
if KEYS[3] ~= '' then
  local n = incr(KEYS[3], ARGV[5], true)
  local free = tonumber(ARGV[4])
  if n > free then
    local lock = math.min(tonumber(ARGV[7]), tonumber(ARGV[6]) * 2 ^ math.min(n - free - 1, 20))
    redis.call('SET', KEYS[4], 1, 'PX', math.floor(lock))
  end
end
return {'', 0}
"""

_SUCCEEDED = """
redis.call('DEL', KEYS[1])
for i = 2, #KEYS do
  if KEYS[i] ~= '' and tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then
    redis.call('DECR', KEYS[i])
  end
end
return 0
"""

_HIT = """
if tonumber(redis.call('GET', KEYS[1]) or '0') >= tonumber(ARGV[1]) then
  local ms = redis.call('PTTL', KEYS[1])
  if ms < 1 then ms = 1 end
  return ms
end
redis.call('SET', KEYS[1], 0, 'PX', ARGV[2], 'NX')
redis.call('INCR', KEYS[1])
return 0
"""


class RedisThrottle(Throttle):
    """The same rules in Redis: each decision is one Lua script, atomic for every node."""

    def __init__(self, url: str, prefix: str, **options: Any) -> None:
        super().__init__(prefix, **options)
        self._redis = aioredis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=5)
        self._begin_script = self._redis.register_script(_BEGIN)
        self._succeeded_script = self._redis.register_script(_SUCCEEDED)
        self._hit_script = self._redis.register_script(_HIT)

    async def _begin(self, t: Ticket) -> tuple[str, float]:
        scope, wait = await self._begin_script(
            keys=[t.pair, t.address, t.account or "", t.lock or ""],
            args=[
                PAIR_LIMIT,
                ADDRESS_LIMIT,
                WINDOW * 1000,
                ACCOUNT_FREE,
                ACCOUNT_WINDOW * 1000,
                ACCOUNT_BACKOFF * 1000,
                ACCOUNT_BACKOFF_CAP * 1000,
            ],
        )
        scope = scope.decode() if isinstance(scope, bytes) else scope
        return scope, int(wait) / 1000

    async def _succeeded(self, t: Ticket) -> None:
        await self._succeeded_script(keys=[t.pair, t.address, t.account or ""])

    async def _hit(self, key: str, limit: int) -> float:
        return int(await self._hit_script(keys=[key], args=[limit, SIGNUP_WINDOW * 1000])) / 1000

    async def _claim(self, key: str, ttl: float) -> bool:
        return bool(await self._redis.set(key, 1, px=max(1, int(ttl * 1000)), nx=True))

    async def clear(self) -> None:
        keys = [key async for key in self._redis.scan_iter(match=f"{self.prefix}:*")]
        if keys:
            await self._redis.delete(*keys)

    async def close(self) -> None:
        await self._redis.aclose()


def make_throttle(redis_url: str | None, namespace: str, *, signup_limit: int) -> Throttle:
    prefix = f"accounts.{namespace}.throttle"
    if redis_url:
        return RedisThrottle(redis_url, prefix, signup_limit=signup_limit)
    return MemoryThrottle(prefix, signup_limit=signup_limit)


_fallback = MemoryThrottle()


def current() -> Throttle:
    """The app's throttle (from a request), else one for this process (scripts, the CLI)."""
    if has_app_context():
        found = current_app.extensions.get(EXTENSION)
        if found is not None:
            return found
    return _fallback
