"""Routing a client frame: envelope, type lookup (core, then enabled modules), data, answer.

Every failure is an error frame and the socket stays open; one frame is handled at a time
per socket, in the order received, so a module sees a client's messages in order.
If the frame has an `id`, exactly one answer carries it back as `re`: the reply (the
handler's return value, null if none) or an error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from transcendence.bus import BusUnavailable
from transcendence.errors import UNAVAILABLE_MESSAGE, APIError, loads_json, outage_of
from transcendence.hub import notifications
from transcendence.hub.protocol import (
    AuthIn,
    ClientFrame,
    Empty,
    NotifyRead,
    PresenceQuery,
    error_frame,
    reply_frame,
)
from transcendence.hub.users import TokenRefused
from transcendence.realtime import RealtimeError
from transcendence.validation import problems

if TYPE_CHECKING:
    from transcendence.hub.connection import Connection
    from transcendence.hub.hub import Hub

log = logging.getLogger("transcendence.hub")

CoreHandler = Callable[["Hub", "Connection", Any], Awaitable[Any]]


def validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    """Each problem with its field, constraint and limits, as on HTTP (`validation.py`)."""
    return problems(exc.errors(include_url=False, include_context=True, include_input=False))


def guess_id(text: str) -> str | int | None:
    """The `id` of a frame that failed validation, to address the error to it if possible."""
    try:
        value = loads_json(text)
    except ValueError:
        return None
    if isinstance(value, dict):
        candidate = value.get("id")
        if isinstance(candidate, int) and not isinstance(candidate, bool):
            return candidate
        if isinstance(candidate, str) and len(candidate) <= 64:
            return candidate
    return None


def auth_out(hub: Hub, conn: Connection) -> dict[str, Any]:
    config = hub.config
    return {
        "user_id": conn.user_id,
        "connection_id": conn.id,
        "expires_at": conn.expires_at,
        "heartbeat": {"interval": config.ping_interval, "timeout": config.idle_timeout},
        "limits": {
            "max_frame_bytes": config.max_frame_bytes,
            "rate": config.rate,
            "burst": config.burst,
            "outbound_queue": config.outbound_queue,
        },
    }


# --- core types ----------------------------------------------------------------------------


async def _auth(hub: Hub, conn: Connection, data: AuthIn) -> Any:
    """A fresh token for the same user, replacing the old one in place."""
    try:
        claims = hub.users.verify(data.token)
    except TokenRefused as exc:
        raise RealtimeError(exc.code, exc.message) from None
    if claims.user_id != conn.user_id:
        raise RealtimeError("user_mismatch", "a socket stays with one user: reconnect to switch")
    problem = await hub.users.refusal(claims)
    if problem is not None:
        code, _, message = problem.partition(": ")
        raise RealtimeError(code, message)
    conn.session_id = claims.session_id
    conn.set_expiry(claims.expires_at, time.time())
    return auth_out(hub, conn)


async def _ping(hub: Hub, conn: Connection, data: Empty) -> Any:
    return None


async def _pong(hub: Hub, conn: Connection, data: Empty) -> Any:
    return None  # receiving it was the point (last_received is updated for every frame)


async def _presence_query(hub: Hub, conn: Connection, data: PresenceQuery) -> Any:
    # Watching first: no change between the answer and the live pushes goes unheard. Friends
    # too (each change reaches them once) and people across a block (the pushes apply the
    # block when they are sent), so a friendship ending or a block lifted changes nothing.
    await hub.deliver.watch(conn, data.user_ids)
    # The REST profiles' rule (accounts.presence): across a block, offline.
    found = await hub.users.presence_seen_by(conn.user_id, data.user_ids, hub.presence.status_of)
    return {"presence": {str(uid): value for uid, value in found.items()}}


async def _notify_read(hub: Hub, conn: Connection, data: NotifyRead) -> Any:
    return {"ids": await notifications.mark_read(conn.user_id, data.ids, app=hub.app)}


# type → (data model, handler, reply type, always answer)
CORE: dict[str, tuple[type[BaseModel], CoreHandler, str, bool]] = {
    "auth": (AuthIn, _auth, "auth", True),
    "ping": (Empty, _ping, "pong", True),
    "pong": (Empty, _pong, "pong", False),
    "presence.query": (PresenceQuery, _presence_query, "presence.query", True),
    "notify.read": (NotifyRead, _notify_read, "notify.read", True),
}


# --- routing -------------------------------------------------------------------------------


async def dispatch(hub: Hub, conn: Connection, text: str) -> None:
    try:
        frame = ClientFrame.model_validate_json(text)
    except ValidationError as exc:
        details = validation_details(exc)
        if any(d["type"] == "json_invalid" for d in details):
            conn.push(error_frame(None, "invalid_json", "the frame is not valid JSON"))
        else:
            conn.push(
                error_frame(
                    guess_id(text),
                    "invalid_envelope",
                    'a frame is {"type": "<module>.<action>", "id"?: ..., "data"?: {...}}',
                    details,
                )
            )
        hub.metrics.frames_refused += 1
        return

    type_ = frame.type
    re = frame.id
    core = CORE.get(type_)
    handler = None
    if core is not None:
        model, core_func, reply_type, always = core
    else:
        handler = hub.registry.handlers.get(type_)
        if handler is None:
            conn.push(error_frame(re, "unknown_type", f"no handler for {type_!r}"))
            hub.metrics.frames_refused += 1
            return
        if not hub.core.registry.is_enabled(handler.module):
            conn.push(
                error_frame(
                    re,
                    "module_disabled",
                    f"the {handler.module} module is disabled",
                    {"module": handler.module},
                )
            )
            hub.metrics.frames_refused += 1
            return
        model = handler.model  # type: ignore[assignment]
        reply_type, always = type_, False

    raw = frame.data if frame.data is not None else {}
    if model is not None:
        try:
            data: Any = model.model_validate(raw)
        except ValidationError as exc:
            conn.push(
                error_frame(
                    re,
                    "invalid_data",
                    f"the data of {type_!r} does not match its schema",
                    validation_details(exc),
                )
            )
            hub.metrics.frames_refused += 1
            return
    else:
        data = raw

    try:
        if handler is None:
            result = await core_func(hub, conn, data)
        else:
            result = await handler.func(conn, data)
    except RealtimeError as exc:
        conn.push(error_frame(re, exc.code, exc.message, exc.details))
        return
    except APIError as exc:
        conn.push(error_frame(re, exc.code, exc.message, exc.details))
        return
    except BusUnavailable:
        log.warning("bus unavailable while handling %s", type_)
        conn.push(error_frame(re, "unavailable", "delivery is unavailable; try again shortly"))
        return
    except Exception as exc:
        dependency = outage_of(exc)
        if dependency is not None:
            log.warning("%s unavailable while handling %s: %s", dependency, type_, exc)
            conn.push(
                error_frame(
                    re,
                    "unavailable",
                    UNAVAILABLE_MESSAGE.format(dependency),
                    {"dependency": dependency},
                )
            )
            return
        log.exception("realtime handler for %s failed", type_)
        conn.push(error_frame(re, "internal_error", "the server failed to handle this frame"))
        return
    hub.metrics.frames_handled += 1
    if re is not None or always or result is not None:
        conn.push(reply_frame(reply_type, re, result))
