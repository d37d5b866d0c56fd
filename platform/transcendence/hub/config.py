"""The hub's knobs: limits, heartbeats and presence timing, with their defaults.

Settings does not carry these (yet); a few can be set from the environment, and tests set
`get_hub(app).config` before the app starts serving.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

# Environment variables read by `HubConfig.from_env` (candidates for `Settings`).
ENV = {
    "presence_ttl": "TRANSCENDENCE_PRESENCE_TTL",
    "ping_interval": "TRANSCENDENCE_WS_PING_INTERVAL",
    "idle_timeout": "TRANSCENDENCE_WS_IDLE_TIMEOUT",
    "auth_timeout": "TRANSCENDENCE_WS_AUTH_TIMEOUT",
}


@dataclass
class HubConfig:
    # The first frame (`auth`) must arrive within this many seconds, else close 4401.
    auth_timeout: float = 5.0
    # The server sends `{"type": "ping"}` this often ...
    ping_interval: float = 10.0
    # ... and drops a client it has heard nothing from for this long (close 4408).
    idle_timeout: float = 30.0
    # Largest frame the hub reads (bigger: error `frame_too_large`). The transport limit
    # (Hypercorn's `websocket_max_message_size`, 1 MiB under `transcendence serve`) is
    # above it; a frame over that one closes the socket with 1009.
    max_frame_bytes: int = 64 * 1024
    # Token bucket per connection: `rate` frames a second, bursts of `burst`.
    rate: float = 30.0
    burst: int = 60
    # More than `abuse_limit` refused (rate-limited) frames within `abuse_window` seconds
    # closes the socket with 1008.
    abuse_limit: int = 60
    abuse_window: float = 10.0
    # Frames waiting for a socket; overflow closes it with 1013 "slow consumer".
    outbound_queue: int = 256
    # How long a closing handshake (and the flush before it) may take.
    close_timeout: float = 2.0
    # Sockets one user may hold on one node (close 4429 above).
    max_connections_per_user: int = 32
    # Topics one socket may follow (spectating, rooms).
    max_topics_per_connection: int = 64
    # Users whose presence one socket hears (`presence.query` asks at most 200 at a time).
    max_watched_per_connection: int = 256
    # Presence entries live this long unless their node refreshes them (every ttl / 3): a
    # dead node's users read as offline after at most this long.
    presence_ttl: float = 30.0
    # How long a new subscription may wait for the bus (Redis down): then the socket is
    # closed with 1013 (or `subscribe` fails with `unavailable`) instead of hanging.
    ready_timeout: float = 5.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> HubConfig:
        environ = os.environ if environ is None else environ
        config = cls()
        for name, variable in ENV.items():
            raw = environ.get(variable)
            if raw:
                try:
                    value = float(raw)
                except ValueError:
                    raise ValueError(
                        f"{variable} must be a number of seconds, not {raw!r}"
                    ) from None
                if value <= 0:
                    raise ValueError(f"{variable} must be positive")
                setattr(config, name, value)
        return config

    def as_dict(self) -> dict[str, float | int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def tick(self) -> float:
        """How often heartbeats are checked: drops happen within idle_timeout + tick."""
        return max(0.01, min(self.ping_interval, self.idle_timeout / 6))
