"""Notifications: stored for later (REST) and delivered live to every open tab (`notify`).

```python
from transcendence.hub import notify
await notify(user_id, "friend.request", {"from": me.id})
```

The row is written first, then the frame is published; a user with no socket open (or a
bus that is briefly down) finds it with `GET /api/notifications/?unread=true`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from transcendence.bus import BusUnavailable
from transcendence.hub.lookup import current_hub, get_hub
from transcendence.models import Notification

if TYPE_CHECKING:
    from quart import Quart

log = logging.getLogger("transcendence.hub.notifications")


def notification_out(row: Notification) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "data": row.data,
        "created_at": row.created_at.isoformat(),
        "read_at": row.read_at.isoformat() if row.read_at else None,
    }


async def notify(
    user_id: int, kind: str, data: dict[str, Any] | None = None, *, app: Quart | None = None
) -> Notification:
    """Store a notification for a user and push it to their open sockets, on every node."""
    if not kind or len(kind) > 64:
        raise ValueError("a notification kind is 1 to 64 characters")
    row = await Notification.create(user_id=user_id, kind=kind, data=data or {})
    hub = get_hub(app) if app is not None else current_hub()
    if hub is not None:
        try:
            await hub.deliver.to_user(user_id, "notify", notification_out(row))
        except BusUnavailable as exc:
            log.warning("notification %s stored but not pushed live: %s", row.id, exc)
    return row


async def mark_read(user_id: int, ids: list[int] | None, *, app: Quart | None = None) -> list[int]:
    """Mark some (or, with None, all) of a user's unread notifications read; tell every tab."""
    query = Notification.filter(user_id=user_id, read_at=None)
    if ids is not None:
        query = query.filter(id__in=ids)
    marked = sorted(await query.values_list("id", flat=True))
    if marked:
        await Notification.filter(id__in=marked).update(read_at=datetime.now(UTC))
        hub = get_hub(app) if app is not None else current_hub()
        if hub is not None:
            try:
                await hub.deliver.to_user(user_id, "notify.read", {"ids": marked})
            except BusUnavailable as exc:
                log.warning("read marks of user %s not pushed live: %s", user_id, exc)
    return marked  # type: ignore[return-value]


async def unread_count(user_id: int) -> int:
    return await Notification.filter(user_id=user_id, read_at=None).count()
