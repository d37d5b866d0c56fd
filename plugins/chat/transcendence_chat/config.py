"""The chat module's limits, per app: `chat_config(app)`; tests and benchmarks adjust them.

`TRANSCENDENCE_CHAT_RATE_LIMIT=<messages>/<seconds>` (default `20/10`) sets the per-user
message rate; the other limits are fixed by the protocol (docs/chat.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

MAX_TEXT = 2000
EXTENSION = "chat"


@dataclass
class ChatConfig:
    max_text: int = MAX_TEXT
    # At most `rate_count` messages per user within any `rate_window` seconds, on every node
    # together (counted from the stored messages).
    rate_count: int = 20
    rate_window: float = 10.0
    max_group_members: int = 100
    # Conversations list members in full, except channels (paged separately).
    max_listed_members: int = 100

    @classmethod
    def from_env(cls) -> ChatConfig:
        config = cls()
        raw = os.environ.get("TRANSCENDENCE_CHAT_RATE_LIMIT", "").strip()
        if raw:
            count, _, window = raw.partition("/")
            try:
                config.rate_count = max(1, int(count))
                config.rate_window = max(0.001, float(window or "1"))
            except ValueError:
                raise ValueError(
                    "TRANSCENDENCE_CHAT_RATE_LIMIT is <messages>/<seconds>, e.g. 20/10"
                ) from None
        return config


def chat_config(app: Any) -> ChatConfig:
    """The limits of this app (created on first use)."""
    found = app.extensions.get(EXTENSION)
    if found is None:
        found = app.extensions[EXTENSION] = ChatConfig.from_env()
    return found
