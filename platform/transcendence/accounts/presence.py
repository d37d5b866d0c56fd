"""Who is online: the one question profiles and friend lists ask the realtime hub.

Until the hub tracks sockets this answers "offline" with the stored last-seen time; the
hub replaces the body of `presence_of`, its callers stay as they are.
"""

from __future__ import annotations

from typing import Any

from transcendence.accounts.models import User

OFFLINE = "offline"


def offline(last_seen: Any = None) -> dict[str, Any]:
    """The presence of someone without a live connection."""
    return {
        "status": OFFLINE,
        "last_seen": last_seen.isoformat() if last_seen is not None else None,
    }


async def presence_of(user_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Presence of each user: `{"status": "online" | "in_game" | "offline", "last_seen": iso}`.

    Every requested id is in the answer (unknown ids read as offline). The realtime hub
    answers (sockets on every node, games in progress); without a serving hub (a CLI
    command), everyone reads as offline with the stored last-seen time.
    """
    if not user_ids:
        return {}
    from transcendence.hub import current_hub

    hub = current_hub()
    if hub is not None:
        return await hub.presence.status_of(list(user_ids))
    rows = await User.filter(id__in=set(user_ids)).values_list("id", "last_seen_at")
    seen = dict(rows)
    return {uid: offline(seen.get(uid)) for uid in user_ids}
