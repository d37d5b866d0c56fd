"""The hub's routes: `/ws` (mounted in front of Quart), the protocol schema, notifications."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from quart import Blueprint, current_app
from quart.typing import ResponseReturnValue
from quart_schema import document_response, validate_querystring

from transcendence.auth import current_user, public
from transcendence.errors import APIError
from transcendence.hub.endpoint import serve_socket
from transcendence.hub.lookup import get_hub
from transcendence.hub.notifications import mark_read, notification_out, unread_count
from transcendence.hub.protocol import NotificationOut
from transcendence.ids import DB_INT
from transcendence.models import Notification
from transcendence.pagination import PageQuery, decode_cursor, page

if TYPE_CHECKING:
    from transcendence.hub.hub import Hub

SOCKET_PATHS = frozenset({"/ws", "/ws/"})


class SocketMount:
    """ASGI middleware: `/ws` goes to the hub, everything else to Quart.

    The hub speaks ASGI directly instead of through Quart's websocket wrapper, whose
    per-socket receive queue is unbounded (a flooding client would fill memory rather than
    be held back by TCP) and which adds a task and two signal dispatches per frame.
    """

    def __init__(self, inner: Any, hub: Hub) -> None:
        self.inner = inner
        self.hub = hub

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "websocket" and scope["path"] in SOCKET_PATHS:
            await serve_socket(self.hub, scope, receive, send)
        else:
            await self.inner(scope, receive, send)


realtime_blueprint = Blueprint("realtime", __name__, url_prefix="/api/realtime")


@realtime_blueprint.get("/schema.json")
@document_response(dict[str, Any], 200)  # JSON Schema: see docs/realtime.md
@public
async def schema() -> ResponseReturnValue:
    """The `/ws` protocol as JSON Schema: envelopes, close codes, limits, every enabled type."""
    return get_hub(current_app).schema()


notifications_blueprint = Blueprint("notifications", __name__, url_prefix="/api/notifications")


class NotificationQuery(PageQuery):
    unread: bool = False


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    next: str | None
    unread: int


class ReadOut(BaseModel):
    ids: list[int]


@notifications_blueprint.get("/")
@validate_querystring(NotificationQuery)
@document_response(NotificationPage, 200)
async def list_notifications(query_args: NotificationQuery) -> ResponseReturnValue:
    """My notifications, newest first (`?unread=true` for unread only), with the unread count."""
    me = await current_user()
    query = Notification.filter(user_id=me.id)
    if query_args.unread:
        query = query.filter(read_at=None)
    before = decode_cursor(query_args.cursor, int)
    if before is not None:
        query = query.filter(id__lt=before)
    rows = await query.order_by("-id").limit(query_args.limit + 1)
    items, cursor = page(rows, query_args.limit, lambda row: row.id)
    return {
        "items": [notification_out(row) for row in items],
        "next": cursor,
        "unread": await unread_count(me.id),
    }


@notifications_blueprint.post("/<id:notification_id>/read")
@document_response(NotificationOut, 200)
async def read_notification(notification_id: int) -> ResponseReturnValue:
    """Mark one of my notifications read (every open tab hears `notify.read`)."""
    me = await current_user()
    row = None
    if notification_id <= DB_INT:
        row = await Notification.get_or_none(id=notification_id, user_id=me.id)
    if row is None:
        raise APIError(404, "not_found", "no such notification")
    if row.read_at is None:
        await mark_read(me.id, [row.id], app=current_app)
        await row.refresh_from_db(fields=["read_at"])
    return notification_out(row)


@notifications_blueprint.post("/read_all")
@document_response(ReadOut, 200)
async def read_all() -> ResponseReturnValue:
    """Mark all my notifications read."""
    me = await current_user()
    return {"ids": await mark_read(me.id, None, app=current_app)}
