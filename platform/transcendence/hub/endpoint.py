"""The life of one `/ws` socket: accept, authenticate, read frames, clean up.

This is a plain ASGI handler mounted in front of Quart (see `routes.SocketMount`): it reads
Hypercorn's bounded receive queue itself, so a client that floods is held back by TCP
instead of filling an unbounded buffer, and it costs one task for reading plus the
socket's sender task, nothing more.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from transcendence.errors import loads_json, outage_of
from transcendence.hub.connection import ASGIReceive, ASGISend, Connection, clip_reason
from transcendence.hub.dispatch import auth_out, dispatch, guess_id
from transcendence.hub.protocol import AuthIn, Close, error_frame, reply_frame
from transcendence.hub.users import TokenRefused
from transcendence.realtime import RealtimeError

if TYPE_CHECKING:
    from transcendence.hub.hub import Hub

log = logging.getLogger("transcendence.hub")


class Rejected(Exception):
    def __init__(self, code: int, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


async def serve_socket(
    hub: Hub, scope: dict[str, Any], receive: ASGIReceive, send: ASGISend
) -> None:
    event = await receive()
    if event["type"] != "websocket.connect":
        return
    if not hub.accepting:
        await send({"type": "websocket.close", "code": Close.GOING_AWAY})  # HTTP 403
        return
    await send({"type": "websocket.accept"})
    try:
        conn, first_id = await _authenticate(hub, receive, send)
    except Rejected as exc:
        hub.metrics.closed(exc.code)
        await _close(hub, receive, send, exc.code, exc.reason)
        return
    except Exception as exc:  # the database failed us, say: the client may retry
        if outage_of(exc) is not None:
            log.warning("cannot authenticate a socket: %s: %s", type(exc).__name__, exc)
            hub.metrics.closed(Close.TRY_AGAIN)
            reason = f"unavailable: {outage_of(exc)} unreachable, reconnect shortly"
            await _close(hub, receive, send, Close.TRY_AGAIN, reason)
            return
        log.exception("authenticating a socket failed")
        hub.metrics.closed(Close.INTERNAL)
        await _close(hub, receive, send, Close.INTERNAL, "internal error")
        return
    if conn is None:
        return  # the client left during authentication

    hub.register(conn)
    cancelled = False
    try:
        # Deliveries are live before the client hears back, and queue behind the reply.
        await hub.deliver.attach(conn)
        conn.present = True
        await hub.presence.connected(conn.user_id)
        conn.push_first(reply_frame("auth", first_id, auth_out(hub, conn)))
        conn.start_sender()
        # Handlers run inside the app context, as route handlers do (current_app, g).
        async with hub.app.app_context():
            await _read_loop(hub, conn, receive)
    except asyncio.CancelledError:
        cancelled = True
        raise
    except RealtimeError as exc:  # the bus cannot confirm this user's feed
        conn.close(Close.TRY_AGAIN, f"{exc.code}: {exc.message}")
    except Exception:
        log.exception("socket %s failed", conn.id)
        conn.close(Close.INTERNAL, "internal error")
    finally:
        hub.unregister(conn)
        await conn.finish(receive, cancelled=cancelled)


async def _first_frame(hub: Hub, receive: ASGIReceive) -> str | None:
    async with asyncio.timeout(hub.config.auth_timeout):
        while True:
            event = await receive()
            if event["type"] == "websocket.disconnect":
                return None
            if event["type"] == "websocket.receive":
                text = event.get("text")
                if text is None:
                    try:
                        text = (event.get("bytes") or b"").decode()
                    except UnicodeDecodeError:
                        text = ""
                return text


async def _authenticate(
    hub: Hub, receive: ASGIReceive, send: ASGISend
) -> tuple[Connection | None, Any]:
    unauthorized = Close.UNAUTHORIZED
    try:
        text = await _first_frame(hub, receive)
    except TimeoutError:
        raise Rejected(
            unauthorized,
            f"auth_timeout: send {{'type': 'auth'}} within {hub.config.auth_timeout:g} s",
        ) from None
    if text is None:
        return None, None
    if len(text) > hub.config.max_frame_bytes:
        raise Rejected(unauthorized, "auth_required: the first frame must be auth")
    try:
        frame = loads_json(text)
    except ValueError:
        raise Rejected(unauthorized, "auth_required: the first frame must be auth") from None
    if not isinstance(frame, dict) or frame.get("type") != "auth":
        raise Rejected(unauthorized, "auth_required: the first frame must be auth")
    try:
        data = AuthIn.model_validate(frame.get("data") or {})
    except ValidationError:
        raise Rejected(unauthorized, "invalid_token: auth needs data.token") from None
    try:
        claims = hub.users.verify(data.token)
    except TokenRefused as exc:
        raise Rejected(unauthorized, f"{exc.code}: {exc.message}") from None
    problem = await hub.users.refusal(claims)
    if problem is not None:
        raise Rejected(unauthorized, problem)
    if hub.presence.sockets_here(claims.user_id) >= hub.config.max_connections_per_user:
        raise Rejected(
            Close.TOO_MANY,
            f"too_many_connections: {hub.config.max_connections_per_user} sockets per user",
        )
    loop = asyncio.get_running_loop()
    conn = Connection(
        hub,
        send,
        user_id=claims.user_id,
        session_id=claims.session_id,
        expires_at=claims.expires_at,
        now=loop.time(),
    )
    conn.set_expiry(claims.expires_at, time.time())
    return conn, guess_id(text)


async def _close(hub: Hub, receive: ASGIReceive, send: ASGISend, code: int, reason: str) -> None:
    with contextlib.suppress(TimeoutError, OSError):
        async with asyncio.timeout(hub.config.close_timeout):
            await send({"type": "websocket.close", "code": code, "reason": clip_reason(reason)})
            while (await receive())["type"] != "websocket.disconnect":
                pass


async def _read_loop(hub: Hub, conn: Connection, receive: ASGIReceive) -> None:
    loop = asyncio.get_running_loop()
    config = hub.config
    max_bytes = config.max_frame_bytes
    metrics = hub.metrics
    while conn.closing is None:
        conn.reading = True
        try:
            event = await receive()
        except asyncio.CancelledError:
            if conn.interrupted():
                return  # a close was decided elsewhere while we waited
            raise
        finally:
            conn.reading = False
        kind = event["type"]
        if kind == "websocket.disconnect":
            conn.client_gone = True
            return
        if kind != "websocket.receive":
            continue
        metrics.frames_in += 1
        now = loop.time()
        conn.last_received = now
        text = event.get("text")
        if text is None:
            try:
                text = (event.get("bytes") or b"").decode()
            except UnicodeDecodeError:
                conn.push(error_frame(None, "invalid_json", "a binary frame must be UTF-8 JSON"))
                continue
        if not conn.limiter.allow(now):
            metrics.frames_refused += 1
            if conn.limiter.abusive:
                conn.close(Close.POLICY, "rate_limited: sustained abuse of the rate limit")
                return
            conn.push(
                error_frame(
                    guess_id(text) if len(text) <= 4096 else None,
                    "rate_limited",
                    f"more than {config.rate:g} frames a second (bursts of {config.burst}); "
                    "this one was dropped",
                )
            )
            continue
        if len(text) > max_bytes // 4 and len(text.encode()) > max_bytes:
            metrics.frames_refused += 1
            conn.push(
                error_frame(
                    None,
                    "frame_too_large",
                    f"frames are {max_bytes} bytes at most",
                    {"max_bytes": max_bytes},
                )
            )
            continue
        await dispatch(hub, conn, text)
