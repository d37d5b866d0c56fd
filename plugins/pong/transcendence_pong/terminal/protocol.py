"""The protocol layer of `transcendence play`: `PongClient` logs in over REST, opens the
realtime socket (`auth` first), sends frames (a request waits for the answer carrying its
id), answers server pings and queues every push for `next_event()`. Its errors are
`PlayError`s. No terminal code here.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import ssl
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

USER_AGENT = "transcendence-play/0.1"


class PlayError(Exception):
    """Ends `play` with one readable line on stderr and exit code 1."""

    def __init__(self, message: str, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class ConnectionLost(PlayError):
    """The realtime socket closed; `close_code` says whether coming back makes sense."""

    def __init__(self, message: str, close_code: int | None):
        super().__init__(message, "connection_lost")
        self.close_code = close_code


def check_server(server: str) -> str:
    """The server's base URL without a trailing slash; ValueError when it is not one."""
    parts = urlsplit(server.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("expected http://host:port or https://host:port")
    if parts.query or parts.fragment:
        raise ValueError("no query or fragment, only http(s)://host:port")
    return server.strip().rstrip("/")


def tls_context(server: str, *, insecure: bool = False, cafile: Path | None = None):
    """The TLS settings for an https server (None for plain http)."""
    if urlsplit(server).scheme != "https":
        return None
    if insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # asked for: a self-signed development server
        return context
    try:
        return ssl.create_default_context(cafile=str(cafile) if cafile else None)
    except (OSError, ssl.SSLError) as exc:
        raise PlayError(f"cannot use the CA file {cafile}: {exc}") from None


def _network_error(server: str, exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    cause: BaseException = exc
    for _ in range(10):  # httpx and websockets wrap the ssl or socket error
        if isinstance(cause, OSError) and cause.strerror and not isinstance(cause, ssl.SSLError):
            # "Connection refused" rather than httpx's summary or asyncio's wording
            text = os.strerror(cause.errno) if cause.errno else cause.strerror
        if isinstance(cause, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(
            cause
        ):
            return (
                f"the TLS certificate of {server} is not trusted "
                "(give its CA with --cafile FILE, or --insecure for a self-signed one)"
            )
        if "WRONG_VERSION_NUMBER" in str(cause) or "record layer failure" in str(cause):
            return f"TLS handshake with {server} failed (does it serve plain http?)"
        wrapped = cause.__cause__ or cause.__context__
        if wrapped is None:
            break
        cause = wrapped
    return f"cannot reach {server}: {text}"


def _close_message(code: int | None, reason: str) -> str:
    known = {
        1000: "the server closed the connection",
        1001: "the server is shutting down",
        1006: "the connection to the server was lost",
        1008: "the server closed the connection for sending too much",
        1011: "the server failed",
        1013: "the connection was too slow to keep up",
        4401: "the server ended the session",
        4408: "the server stopped hearing from this client",
        4429: "too many connections for this account",
    }
    text = known.get(code or 1006, f"the connection closed (code {code})")
    return f"{text}: {reason}" if reason else text


class PongClient:
    """The public API from outside the browser: REST login, then one realtime socket."""

    def __init__(
        self, server: str, *, tls: ssl.SSLContext | None = None, timeout: float = 10.0
    ) -> None:
        self.server = check_server(server)
        parts = urlsplit(self.server)
        scheme = "wss" if parts.scheme == "https" else "ws"
        self.ws_url = f"{scheme}://{parts.netloc}{parts.path}/ws"
        self.tls = tls
        self.timeout = timeout
        self.http = httpx.AsyncClient(
            base_url=self.server,
            verify=tls if tls is not None else True,
            timeout=timeout,
            headers={"User-Agent": USER_AGENT},
        )
        self.access: str | None = None
        self.user: dict[str, Any] = {}
        self.expires_at: float | None = None
        self.lost: ConnectionLost | None = None
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._refresher: asyncio.Task[None] | None = None
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._events: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._ids = itertools.count(1)

    # REST --------------------------------------------------------------------------------

    async def api(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
        auth: bool = True,
    ) -> Any:
        """Call the REST API; its errors (and the network's) become a `PlayError`."""
        headers = {"Authorization": f"Bearer {self.access}"} if auth and self.access else {}
        try:
            response = await self.http.request(
                method, path, json=body, params=params, headers=headers
            )
        except httpx.TimeoutException:
            raise PlayError(f"{self.server} did not answer within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise PlayError(_network_error(self.server, exc)) from None
        try:
            data = response.json() if response.content else None
        except ValueError:
            data = None
        if response.status_code >= 400:
            error = data.get("error") if isinstance(data, dict) else None
            if isinstance(error, dict) and error.get("message"):
                code = str(error.get("code") or "")
                message = str(error["message"])
                if code == "module_disabled":
                    message = "the pong module is disabled on this server"
                raise PlayError(message, code, response.status_code)
            raise PlayError(
                f"{self.server}{path} answered HTTP {response.status_code} "
                "(is this a Transcendence server?)",
                None,
                response.status_code,
            )
        if response.content and data is None:
            raise PlayError(
                f"{self.server}{path} did not answer JSON (is this a Transcendence server?)"
            )
        return data

    async def login(
        self, username: str, password: str, *, second_factor: Callable[[], str] | None = None
    ) -> dict[str, Any]:
        """Log in; `second_factor()` is asked for a code when the account uses 2FA."""
        try:
            body = await self.api(
                "POST",
                "/api/auth/login",
                body={"username": username, "password": password},
                auth=False,
            )
            if isinstance(body, dict) and body.get("mfa_required"):
                if second_factor is None:
                    raise PlayError("login failed: the account uses two-factor authentication")
                body = await self.api(
                    "POST",
                    "/api/auth/login/2fa",
                    body={"mfa_token": body.get("mfa_token"), "code": second_factor()},
                    auth=False,
                )
        except PlayError as exc:
            if exc.status is None:  # the network, not the account
                raise
            if exc.code == "validation_error":
                exc.message = "username and password must not be empty"
            raise PlayError(f"login failed: {exc.message}", exc.code, exc.status) from None
        if not isinstance(body, dict) or not isinstance(body.get("access"), str):
            raise PlayError("login failed: unexpected answer (is this a Transcendence server?)")
        self.access = body["access"]
        self.user = body.get("user") or {}
        return self.user

    @property
    def display_name(self) -> str:
        return str(self.user.get("display_name") or self.user.get("username") or "you")

    async def find_user(self, ref: str) -> dict[str, Any]:
        """A user by username (exact, any case) or by numeric id."""
        ref = ref.strip()
        if not ref:
            raise PlayError("--invite needs a username or a user id")
        items: list[dict[str, Any]] = []
        if len(ref) <= 32 and ref.isprintable():
            page = await self.api("GET", "/api/users/", params={"q": ref, "limit": 20})
            items = [i for i in (page or {}).get("items", []) if isinstance(i, dict)]
            for item in items:
                if str(item.get("username", "")).casefold() == ref.casefold():
                    return item
        if ref.isdigit():
            try:
                found = await self.api("GET", f"/api/users/{int(ref)}")
            except PlayError as exc:
                if exc.status == 404:
                    raise PlayError(f"no user with id {ref}") from None
                raise
            if isinstance(found, dict) and "id" in found:
                return found
        hint = ", ".join(str(i.get("username")) for i in items[:5])
        raise PlayError(f"no user named {ref!r}" + (f" (did you mean {hint}?)" if hint else ""))

    async def refresh(self) -> None:
        """A fresh access token (the refresh cookie from the login), also given to the socket."""
        body = await self.api("POST", "/api/auth/refresh", auth=False)
        if not isinstance(body, dict) or not isinstance(body.get("access"), str):
            raise PlayError("the token refresh answered something unexpected")
        self.access = body["access"]
        if self._ws is not None and self.lost is None:
            welcome = await self.request("auth", {"token": self.access})
            if isinstance(welcome, dict):
                self.expires_at = welcome.get("expires_at", self.expires_at)

    async def game(self, game_id: str) -> dict[str, Any]:
        return await self.api("GET", f"/api/pong/games/{game_id}")

    # the socket --------------------------------------------------------------------------

    async def connect(self) -> dict[str, Any]:
        """Open the socket and authenticate it; returns the server's `auth` reply data."""
        if self.access is None:
            raise PlayError("log in before connecting")
        kwargs: dict[str, Any] = {}
        if self.tls is not None:
            kwargs["ssl"] = self.tls
        try:
            ws = await connect(
                self.ws_url,
                open_timeout=self.timeout,
                ping_interval=None,  # the hub pings at the application level
                close_timeout=2,
                max_size=2**20,
                user_agent_header=USER_AGENT,
                **kwargs,
            )
        except InvalidStatus as exc:
            raise PlayError(
                f"the server refused the realtime socket (HTTP {exc.response.status_code})"
            ) from None
        except TimeoutError:
            raise PlayError(f"{self.ws_url} did not answer within {self.timeout:g} s") from None
        except (OSError, InvalidHandshake) as exc:
            raise PlayError(_network_error(self.server, exc)) from None
        try:
            await ws.send(
                json.dumps({"type": "auth", "id": "auth", "data": {"token": self.access}})
            )
            async with asyncio.timeout(self.timeout):
                while True:
                    frame = json.loads(await ws.recv())
                    if isinstance(frame, dict) and frame.get("type") == "ping":
                        await ws.send('{"type": "pong"}')
                        continue
                    break
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd else None
            raise PlayError(_close_message(code, exc.rcvd.reason if exc.rcvd else "")) from None
        except TimeoutError:
            await ws.close()
            raise PlayError("the server did not answer the socket's auth frame") from None
        except ValueError:
            await ws.close()
            raise PlayError("the server's first frame is not JSON") from None
        if not isinstance(frame, dict) or frame.get("type") != "auth":
            await ws.close()
            error = frame.get("error") if isinstance(frame, dict) else None
            message = error.get("message") if isinstance(error, dict) else None
            raise PlayError(f"the socket refused the login: {message or frame}")
        welcome = frame.get("data") or {}
        self.expires_at = welcome.get("expires_at")
        self._ws = ws
        self.lost = None
        self._reader = asyncio.create_task(self._read(ws), name="play-reader")
        if self._refresher is None or self._refresher.done():
            self._refresher = asyncio.create_task(self._keep_fresh(), name="play-refresh")
        return welcome

    async def _read(self, ws: ClientConnection) -> None:
        """Route every frame: pings answered, replies to their request, pushes queued."""
        try:
            async for raw in ws:
                try:
                    frame = json.loads(raw)
                except ValueError:
                    continue
                if not isinstance(frame, dict):
                    continue
                if frame.get("type") == "ping":
                    with contextlib.suppress(ConnectionClosed):
                        await ws.send('{"type": "pong"}')
                    continue
                waiter = self._pending.pop(str(frame["re"]), None) if "re" in frame else None
                if waiter is not None:
                    if not waiter.done():
                        waiter.set_result(frame)
                    continue
                self._events.put_nowait(frame)
            code = ws.close_code or 1000
            lost = ConnectionLost(_close_message(code, ws.close_reason or ""), code)
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd else 1006
            lost = ConnectionLost(_close_message(code, exc.rcvd.reason if exc.rcvd else ""), code)
        self.lost = lost
        for waiter in self._pending.values():
            if not waiter.done():
                waiter.set_exception(lost)
        self._pending.clear()
        self._events.put_nowait(None)

    async def _keep_fresh(self) -> None:
        """Refresh the access token a minute before it expires, for long sessions."""
        while self.expires_at is not None:
            await asyncio.sleep(max(5.0, float(self.expires_at) - time.time() - 60))
            with contextlib.suppress(PlayError):
                await self.refresh()

    def _socket(self) -> ClientConnection:
        if self.lost is not None:
            raise self.lost
        if self._ws is None:
            raise PlayError("not connected")
        return self._ws

    async def _send(self, frame: dict[str, Any]) -> None:
        ws = self._socket()
        try:
            await ws.send(json.dumps(frame))
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd else 1006
            raise ConnectionLost(
                _close_message(code, exc.rcvd.reason if exc.rcvd else ""), code
            ) from None

    async def send(self, type_: str, data: dict[str, Any] | None = None) -> None:
        """A frame without an id: the server answers only if it fails (an error push)."""
        frame: dict[str, Any] = {"type": type_}
        if data is not None:
            frame["data"] = data
        await self._send(frame)

    async def request(
        self, type_: str, data: dict[str, Any] | None = None, *, within: float | None = None
    ) -> Any:
        """Send a frame with an id and return the `data` of its answer (an error raises)."""
        frame_id = f"p{next(self._ids)}"
        frame: dict[str, Any] = {"type": type_, "id": frame_id}
        if data is not None:
            frame["data"] = data
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[frame_id] = waiter
        try:
            await self._send(frame)
            async with asyncio.timeout(within or self.timeout):
                answer = await waiter
        except TimeoutError:
            raise PlayError(f"the server did not answer {type_}") from None
        finally:
            self._pending.pop(frame_id, None)
        if answer.get("type") == "error":
            error = answer.get("error") or {}
            code = error.get("code")
            message = error.get("message") or code or "refused"
            if code == "module_disabled":
                message = "the pong module is disabled on this server"
            raise PlayError(str(message), code)
        return answer.get("data")

    async def next_event(self) -> dict[str, Any]:
        """The next push (any frame that is not a reply or a ping); raises once closed."""
        if self._events.empty() and self.lost is not None:
            raise self.lost
        frame = await self._events.get()
        if frame is None:
            raise self.lost or ConnectionLost("the connection closed", None)
        return frame

    async def disconnect(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
            self._ws = None

    async def close(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
        await self.disconnect()
        await self.http.aclose()
