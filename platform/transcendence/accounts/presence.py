"""Who is online: the one question profiles, friend lists and the socket ask the hub.

`presence_of` is the raw answer (sockets on every node, games in progress);
`presence_seen_by` is what a given viewer may see, the rule every channel applies.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q

from transcendence.accounts.blocking import blocked_ids
from transcendence.accounts.models import Friendship, User
from transcendence.hub.lookup import current_hub

OFFLINE = "offline"
ONLINE = "online"


async def friend_ids(user_id: int) -> set[int]:
    """Everyone in an accepted friendship with this user: the hub pushes them each change."""
    rows = await Friendship.filter(
        Q(requester_id=user_id) | Q(addressee_id=user_id), status="accepted"
    ).values_list("requester_id", "addressee_id")
    return {other for pair in rows for other in pair if other != user_id}


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
    """Presence as `viewer_id` may see it: the one rule for REST (profiles, friend lists), the
    socket's `presence.query` and its live `presence.changed` pushes.

    - Across a block, either way, a user reads as offline with no last-seen time: someone who
      blocked a person should not have them watching when they come online.
    - The viewer reads as at least online to themselves: they are the one asking. A page
      loaded before its socket's first frame reached the hub would otherwise tell its own
      user they are offline while the navigation says connected.

    `lookup` answers for the visible ids (the hub's `status_of` on a socket; by default
    `presence_of`)."""
    if not user_ids:
        return {}
    if lookup is None and user_ids == [viewer_id]:
        return {viewer_id: await own_presence(viewer_id)}
    hidden = await blocked_ids(viewer_id)
    visible = [uid for uid in user_ids if uid not in hidden]
    found = await (lookup or presence_of)(visible) if visible else {}
    seen = {uid: offline() if uid in hidden else found[uid] for uid in user_ids}
    if viewer_id in seen and seen[viewer_id]["status"] == OFFLINE:
        seen[viewer_id] = {"status": ONLINE, "last_seen": datetime.now(UTC).isoformat()}
    return seen


async def own_presence(user_id: int) -> dict[str, Any]:
    """`presence_seen_by(user_id, [user_id])` without its two reads (`/api/me/` on every page
    load): nobody's blocks hide a user from themselves, and an offline self reads as online
    now, so neither the blocks nor the stored last-seen time can change the answer."""
    hub = current_hub()
    status = (await hub.presence.statuses([user_id]))[user_id] if hub is not None else OFFLINE
    return {
        "status": ONLINE if status == OFFLINE else status,
        "last_seen": datetime.now(UTC).isoformat(),
    }


async def block_changed(a_id: int, b_id: int) -> None:
    """After a block between two users begins or ends: each one's open views show the other
    as the rule now says, at once (the hub's later pushes apply the block themselves)."""
    hub = current_hub()
    if hub is None:
        return  # no sockets to tell (a CLI command)
    for viewer, other in ((a_id, b_id), (b_id, a_id)):
        seen = (await presence_seen_by(viewer, [other], hub.presence.status_of))[other]
        await hub.deliver.to_user(viewer, "presence.changed", {"user_id": other, **seen})
