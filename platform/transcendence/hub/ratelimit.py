"""Per-connection rate limit: a token bucket, and a count of refusals that marks abuse."""

from __future__ import annotations


class RateLimiter:
    """`rate` frames a second with bursts of `burst`; too many refusals in a window is abuse.

    A client over the rate gets `rate_limited` for each refused frame and keeps its socket;
    one that keeps going past `abuse_limit` refusals within `abuse_window` seconds is
    closed (1008). Times come from the caller (the loop's monotonic clock).
    """

    __slots__ = (
        "_abuse_limit",
        "_abuse_window",
        "_burst",
        "_last",
        "_rate",
        "_refused",
        "_tokens",
        "_window_start",
    )

    def __init__(
        self, rate: float, burst: int, abuse_limit: int, abuse_window: float, now: float
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._last = now
        self._abuse_limit = abuse_limit
        self._abuse_window = abuse_window
        self._refused = 0
        self._window_start = now

    def allow(self, now: float) -> bool:
        """Take a token for one frame; False when the bucket is empty (the frame is refused)."""
        tokens = self._tokens + (now - self._last) * self._rate
        self._last = now
        if tokens > self._burst:
            tokens = self._burst
        if tokens >= 1.0:
            self._tokens = tokens - 1.0
            return True
        self._tokens = tokens
        if now - self._window_start > self._abuse_window:
            self._window_start = now
            self._refused = 0
        self._refused += 1
        return False

    @property
    def abusive(self) -> bool:
        return self._refused > self._abuse_limit
