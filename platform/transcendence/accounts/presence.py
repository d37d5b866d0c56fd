"""Who is online: the one question profiles and friend lists ask the realtime hub.

Until the hub tracks sockets this answers "offline" with the stored last-seen time; the
hub replaces the body of `presence_of`, its callers stay as they are.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from transcendence.accounts.blocking import blocked_ids
from transcendence.accounts.models import User
from transcendence.hub.lookup import current_hub

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
    hub = current_hub()
    if hub is not None:
        return await hub.presence.status_of(list(user_ids))
    rows = await User.filter(id__in=set(user_ids)).values_list("id", "last_seen_at")
    seen = dict(rows)
    return {uid: offline(seen.get(uid)) for uid in user_ids}


async def presence_seen_by(
    viewer_id: int,
    user_ids: list[int],
    lookup: Callable[[list[int]], Awaitable[dict[int, dict[str, Any]]]] | None = None,
) -> dict[int, dict[str, Any]]:
    """Presence as `viewer_id` may see it: the one rule for REST profiles and the socket's
    `presence.query`. Across a block, either way, a user reads as offline with no last-seen
    time: someone who blocked a person should not have them watching when they come online.

    `lookup` answers for the visible ids (the hub's `status_of` on a socket; by default
    `presence_of`)."""
    if not user_ids:
        return {}
    hidden = await blocked_ids(viewer_id)
    visible = [uid for uid in user_ids if uid not in hidden]
    found = await (lookup or presence_of)(visible) if visible else {}
    return {uid: offline() if uid in hidden else found[uid] for uid in user_ids}
