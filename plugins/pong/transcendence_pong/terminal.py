"""`transcendence play`: remote Pong in a terminal, against a web user or the AI.

The command belongs to the pong module (its `register_commands` hookimpl), so it exists
exactly while pong is enabled. It only speaks the public API: REST to log in and look
people up, the realtime socket (`/ws`) to get a seat and play. Three layers, each usable
without the next:

- **Protocol** — `PongClient` logs in, opens the socket (`auth` first), sends frames
  (a request waits for the answer carrying its id), answers server pings, and queues every
  push for `next_event()`. `find_game()` gets a seat (queue, invitation sent or accepted,
  AI game) and returns a `Game`. No terminal code in either.
- **UI** — `KeyParser` (bytes → keys), `KeyHolder` (terminals report presses only: a press
  is held for `hold` seconds and autorepeat extends it; then the release is sent),
  `render()` (a `pong.state` → lines of text), `Terminal` (raw mode, alternate screen)
  and `Screen` (redraws at most 30 times a second). No protocol code.
- **Glue** — `play_game()` feeds keys to the client and states to the screen until the
  match ends; `play()` runs the whole thing and `register()` adds the Typer command.

User documentation: docs/play.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import os
import shutil
import signal
import ssl
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Protocol, TextIO
from urllib.parse import urlsplit

import httpx
import typer
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from transcendence.commands import CLIError, console
from transcendence_pong.engine import HEIGHT, PADDLE_INSET, PADDLE_WIDTH, WIDTH

DEFAULT_SERVER = "http://127.0.0.1:8000"
DEFAULT_HOLD_MS = 120
USER_AGENT = "transcendence-play/0.1"
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
# Close codes after which the client should come back (docs/realtime.md), and how long it
# tries: the room gives an absent player 30 s before they forfeit.
RECONNECT_CODES = {1001, 1006, 1011, 1012, 1013, 4408}
RECONNECT_FOR = 25.0
# A running room sends a state at least every second (even paused): this much silence
# means the game is gone (its node restarted, say).
STALL_AFTER = 10.0
FPS = 30


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


# --- protocol ---------------------------------------------------------------------------


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


@dataclass
class Game:
    """A seat in a running game."""

    game_id: str
    side: str  # "left" or "right"
    mode: str
    me: str
    opponent: str

    @property
    def names(self) -> dict[str, str]:
        other = "right" if self.side == "left" else "left"
        return {self.side: self.me, other: self.opponent}


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


@dataclass
class Plan:
    """How to get a seat: `queue`, `invite` (user_id), `accept` or `ai` (level)."""

    how: str
    options: dict[str, Any] = field(default_factory=dict)
    user_id: int | None = None
    level: str = "normal"


async def _wait_for(client: PongClient, wanted: Callable[[dict[str, Any]], bool]):
    """The next push that satisfies `wanted`; the others (presence, chat...) are dropped."""
    while True:
        frame = await client.next_event()
        if wanted(frame):
            return frame


def _notification(frame: dict[str, Any], kind: str) -> dict[str, Any] | None:
    note = frame.get("data") if frame.get("type") == "notify" else None
    if isinstance(note, dict) and note.get("kind") == kind and isinstance(note.get("data"), dict):
        return note["data"]
    return None


async def find_game(
    client: PongClient, plan: Plan, status: Callable[[str], None] = lambda _: None
) -> Game:
    """Get a seat as `plan` says and follow the game; `status` hears what is going on."""
    me = client.display_name
    if plan.how == "ai":
        status(f"Starting a game against the AI ({plan.level})...")
        created = await client.request(
            "pong.create", {"mode": "ai", "level": plan.level, "options": plan.options}
        )
        return Game(
            created["game_id"], created.get("side") or "left", "ai", me, f"AI ({plan.level})"
        )

    expected: str | None = None
    declined_invite: int | None = None
    if plan.how == "queue":
        status("Looking for an opponent... (q cancels)")
        queued = await client.request("pong.queue", {"options": plan.options})
        expected = (queued or {}).get("game_id")
    elif plan.how == "invite":
        sent = await client.request(
            "pong.invite", {"user_id": plan.user_id, "options": plan.options}
        )
        declined_invite = sent["invite_id"]
        status("Invitation sent: waiting for an answer... (q cancels)")
    elif plan.how == "accept":
        status("Waiting for an invitation... (q quits)")
        note = await _wait_for(client, lambda f: _notification(f, "pong.invite") is not None)
        invite = _notification(note, "pong.invite") or {}
        sender = (invite.get("from") or {}).get("display_name", "someone")
        status(f"Accepting the invitation of {sender}...")
        answered = await client.request(
            "pong.answer", {"invite_id": invite.get("invite_id"), "accept": True}
        )
        expected = (answered or {}).get("game_id")
    else:
        raise PlayError(f"unknown way to start a game: {plan.how}")

    def matched_or_declined(frame: dict[str, Any]) -> bool:
        if frame.get("type") == "pong.matched":
            data = frame.get("data") or {}
            return expected is None or data.get("game_id") == expected
        declined = _notification(frame, "pong.invite_declined")
        return declined is not None and declined.get("invite_id") == declined_invite

    frame = await _wait_for(client, matched_or_declined)
    if frame.get("type") != "pong.matched":
        by = (_notification(frame, "pong.invite_declined") or {}).get("by", "they")
        raise PlayError(f"{by} declined the invitation")
    matched = frame["data"]
    opponent = (matched.get("opponent") or {}).get("display_name", "opponent")
    try:
        joined = await client.request("pong.join", {"game_id": matched["game_id"]})
    except PlayError as exc:
        if exc.code == "not_found":
            raise PlayError("the game was over before it could be joined") from None
        raise
    side = (joined or {}).get("side") or matched.get("side") or "left"
    return Game(matched["game_id"], side, matched.get("mode", "remote"), me, opponent)


# --- UI: keys ---------------------------------------------------------------------------


class KeyParser:
    """Bytes typed in a raw terminal → keys: up, down, power, quit, interrupt."""

    BINDINGS = {
        b"w": "up",
        b"W": "up",
        b"s": "down",
        b"S": "down",
        b" ": "power",
        b"q": "quit",
        b"Q": "quit",
        b"\x03": "interrupt",  # Ctrl+C (the terminal's signals are off in raw mode)
        b"\x04": "interrupt",  # Ctrl+D
    }
    ARROWS = {"A": "up", "B": "down"}

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, data: bytes) -> list[str]:
        buf = self._pending + data
        keys: list[str] = []
        i = 0
        while i < len(buf):
            if buf[i] != 0x1B:
                key = self.BINDINGS.get(buf[i : i + 1])
                if key:
                    keys.append(key)
                i += 1
                continue
            # An escape sequence: ESC [ params final (CSI) or ESC O final (SS3).
            if i + 1 >= len(buf):
                break  # the rest is still on its way
            intro = buf[i + 1]
            if intro == ord("O"):
                if i + 2 >= len(buf):
                    break
                found = self.ARROWS.get(chr(buf[i + 2]))
                if found:
                    keys.append(found)
                i += 3
            elif intro == ord("["):
                j = i + 2
                while j < len(buf) and 0x20 <= buf[j] <= 0x3F:
                    j += 1
                if j >= len(buf):
                    break
                found = self.ARROWS.get(chr(buf[j]))
                if found:
                    keys.append(found)
                i = j + 1
            else:
                i += 1  # a lone Escape key: ignored
        self._pending = buf[i:] if len(buf) - i < 32 else b""
        return keys


class KeyHolder:
    """Terminals report presses, never releases. A press of up or down is sent as pressed
    and held for `hold` seconds; another press of the same key (the terminal's autorepeat
    while it is held down) extends the hold, so the release goes out `hold` seconds after
    the last repeat. Pressing the other direction releases the first one at once."""

    def __init__(self, hold: float) -> None:
        self.hold = hold
        self.until: dict[str, float] = {}

    def press(self, key: str, now: float) -> list[tuple[str, bool]]:
        events: list[tuple[str, bool]] = []
        other = "down" if key == "up" else "up"
        if self.until.pop(other, None) is not None:
            events.append((other, False))
        if key not in self.until:
            events.append((key, True))
        self.until[key] = now + self.hold
        return events

    def expire(self, now: float) -> list[tuple[str, bool]]:
        done = [key for key, until in self.until.items() if until <= now]
        for key in done:
            del self.until[key]
        return [(key, False) for key in done]

    def release_all(self) -> list[tuple[str, bool]]:
        done = [(key, False) for key in self.until]
        self.until.clear()
        return done

    def next_deadline(self) -> float | None:
        return min(self.until.values(), default=None)


# --- UI: drawing ------------------------------------------------------------------------

MIN_COLS, MIN_ROWS = 24, 10


def _centre(text: str, width: int) -> str:
    text = text[:width]
    left = (width - len(text)) // 2
    return (" " * left + text).ljust(width)


def render_message(lines: list[str], cols: int, rows: int) -> list[str]:
    """A few lines in the middle of the screen."""
    top = max(0, (rows - len(lines)) // 2)
    out = [" " * cols] * top + [_centre(line, cols) for line in lines]
    return (out + [" " * cols] * rows)[:rows]


def _notice(state: dict[str, Any], game: Game) -> str:
    if state.get("cancelled"):
        return "Game cancelled: it counts for no one"
    if state.get("phase") == "finished":
        winner = state.get("winner")
        return f"{game.names.get(winner, winner)} wins!" if winner else "Game over"
    paused = state.get("paused")
    if paused and paused.get("seconds_left") is None:
        return "Paused"
    if paused:
        who = "You are" if paused.get("side") == game.side else f"{game.opponent} is"
        return f"{who} disconnected: forfeit in {paused.get('seconds_left', 0):.0f} s"
    if state.get("waiting"):
        return f"Waiting for {game.opponent} to join..."
    if state.get("countdown") is not None:
        return f"Starting in {state['countdown']:.1f} s"
    if state.get("phase") == "serving":
        return "Get ready..."
    return ""


def render(
    state: dict[str, Any],
    game: Game,
    cols: int,
    rows: int,
    *,
    unicode: bool = True,
    flash: str = "",
) -> list[str]:
    """One frame of the game: the score line, the field in a frame, a status line.

    The field keeps the game's 4:3 proportions on cells about twice as tall as wide; with
    half-block characters each cell holds two vertical "pixels".
    """
    if cols < MIN_COLS or rows < MIN_ROWS:
        return render_message(["Terminal too small", f"(need {MIN_COLS}x{MIN_ROWS})"], cols, rows)
    inner_w = min(cols - 2, int((rows - 4) * 8 / 3))
    inner_h = min(rows - 4, max(3, round(inner_w * 3 / 8)))
    pad = " " * ((cols - inner_w - 2) // 2)
    sub_h = inner_h * 2

    def column(x: float) -> int:
        return min(inner_w - 1, max(0, int(x / WIDTH * inner_w)))

    def sub_row(y: float) -> int:
        return min(sub_h - 1, max(0, int(y / HEIGHT * sub_h)))

    pixels = [[False] * inner_w for _ in range(sub_h)]
    paddles = state.get("paddles") or {}
    for side, x in (
        ("left", PADDLE_INSET + PADDLE_WIDTH / 2),
        ("right", WIDTH - PADDLE_INSET - PADDLE_WIDTH / 2),
    ):
        paddle = paddles.get(side) or {}
        y, height = float(paddle.get("y", HEIGHT / 2)), float(paddle.get("height", 0))
        if height <= 0:
            continue
        top = sub_row(y - height / 2)
        bottom = max(top, min(sub_h - 1, math.ceil((y + height / 2) / HEIGHT * sub_h) - 1))
        for r in range(top, bottom + 1):
            pixels[r][column(x)] = True
    ball = state.get("ball") or {}
    if state.get("phase") != "finished" and "x" in ball:
        pixels[sub_row(float(ball["y"]))][column(float(ball["x"]))] = True
    powerup = state.get("powerup") or None
    bonus = (column(float(powerup["x"])), sub_row(float(powerup["y"])) // 2) if powerup else None

    glyphs = {
        (True, True): "█" if unicode else "#",
        (True, False): "▀" if unicode else "'",
        (False, True): "▄" if unicode else ".",
    }
    net, side_bar = ("┊", "│") if unicode else (":", "|")
    middle = inner_w // 2
    field_lines = []
    for r in range(inner_h):
        cells = []
        for c in range(inner_w):
            glyph = glyphs.get((pixels[2 * r][c], pixels[2 * r + 1][c]))
            if glyph is None:
                if bonus == (c, r):
                    glyph = "◆" if unicode else "+"
                elif c == middle and r % 2 == 0:
                    glyph = net
                else:
                    glyph = " "
            cells.append(glyph)
        field_lines.append(pad + side_bar + "".join(cells) + side_bar)

    scores = state.get("scores") or {}
    names = game.names
    you = {side: " (you)" if side == game.side else "" for side in ("left", "right")}
    left = f"{names['left']}{you['left']}  {scores.get('left', 0)}"
    right = f"{scores.get('right', 0)}  {names['right']}{you['right']}"
    half = max(0, (cols - 3) // 2)
    header = left[:half].rjust(half) + " : " + right[:half].ljust(half)
    h, corners = ("─", "┌┐└┘") if unicode else ("-", "++++")
    keys = "W/Up up  S/Down down  q leave"
    power = (paddles.get(game.side) or {}).get("power")
    if power:
        keys += f"  Space: {power}"
    status = flash or _notice(state, game) or keys
    lines = [
        header.ljust(cols)[:cols],
        (pad + corners[0] + h * inner_w + corners[1]).ljust(cols),
        *(line.ljust(cols) for line in field_lines),
        (pad + corners[2] + h * inner_w + corners[3]).ljust(cols),
        _centre(status, cols),
    ]
    return (lines + [" " * cols] * rows)[:rows]


class Terminal:
    """The controlling terminal in raw mode on the alternate screen, restored on exit."""

    def __init__(self, stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.fd = self.stdin.fileno()
        self._saved: list[Any] | None = None
        self._painted: list[str] = []
        encoding = (getattr(self.stdout, "encoding", None) or "").lower().replace("-", "")
        self.unicode = encoding == "utf8"

    def __enter__(self) -> Terminal:
        import termios  # Unix only: the terminal client runs where it exists

        self._saved = termios.tcgetattr(self.fd)
        mode = termios.tcgetattr(self.fd)
        mode[0] &= ~(termios.IXON | termios.ICRNL | termios.BRKINT | termios.ISTRIP)
        mode[3] &= ~(termios.ECHO | termios.ICANON | termios.ISIG | termios.IEXTEN)
        mode[6][termios.VMIN] = 1
        mode[6][termios.VTIME] = 0
        termios.tcsetattr(self.fd, termios.TCSANOW, mode)
        self.write("\x1b[?1049h\x1b[?25l\x1b[2J\x1b[H")  # alternate screen, no cursor
        return self

    def __exit__(self, *exc_info: object) -> None:
        import termios  # Unix only: the terminal client runs where it exists

        with contextlib.suppress(OSError):
            self.write("\x1b[0m\x1b[?25h\x1b[?1049l")
        if self._saved is not None:
            with contextlib.suppress(termios.error):
                termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)

    def size(self) -> tuple[int, int]:
        try:
            size = os.get_terminal_size(self.stdout.fileno())
            if size.columns > 0 and size.lines > 0:
                return size.columns, size.lines
        except OSError:
            pass
        fallback = shutil.get_terminal_size((80, 24))  # LINES / COLUMNS
        return fallback.columns, fallback.lines

    def write(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def paint(self, lines: list[str]) -> None:
        """Show these lines; only those that changed since the last call are rewritten
        (a rally moves a few cells: this keeps a slow link, e.g. SSH, at 30 frames/s)."""
        if len(lines) != len(self._painted):
            self._painted = []
            out = ["\x1b[H\x1b[2J"]
        else:
            out = []
        for row, line in enumerate(lines):
            if row >= len(self._painted) or self._painted[row] != line:
                # Trailing blanks are cleared, not written: the last column is never
                # reached, so the terminal has no line wrap to decide on.
                out.append(f"\x1b[{row + 1};1H{line.rstrip()}\x1b[K")
        self._painted = list(lines)
        if out:
            self.write("".join(out))

    def read_keys(self, on_key: Callable[[str], None]) -> Callable[[], None]:
        """Call `on_key` for each key typed; returns the function that stops reading."""
        loop = asyncio.get_running_loop()
        parser = KeyParser()

        def readable() -> None:
            try:
                data = os.read(self.fd, 1024)
            except OSError:
                data = b""
            if not data:  # the terminal went away
                loop.remove_reader(self.fd)
                on_key("interrupt")
                return
            for key in parser.feed(data):
                on_key(key)

        loop.add_reader(self.fd, readable)

        def stop() -> None:
            loop.remove_reader(self.fd)

        return stop


class Display(Protocol):
    def status(self, text: str) -> None: ...
    def show(self, game: Game, state: dict[str, Any]) -> None: ...
    def flash(self, text: str) -> None: ...


class Screen:
    """What the terminal shows, redrawn at most `FPS` times a second when it changed."""

    def __init__(self, terminal: Terminal, *, heading: str = "") -> None:
        self.terminal = terminal
        self.heading = heading
        self._message = ""
        self._game: Game | None = None
        self._state: dict[str, Any] | None = None
        self._flash = ""
        self._flash_until = 0.0
        self._dirty = asyncio.Event()
        self._dirty.set()

    def status(self, text: str) -> None:
        self._message = text
        self._dirty.set()

    def show(self, game: Game, state: dict[str, Any]) -> None:
        self._game, self._state = game, state
        self._dirty.set()

    def flash(self, text: str) -> None:
        self._flash, self._flash_until = text, time.monotonic() + 3
        self._dirty.set()

    def redraw(self) -> None:
        self._dirty.set()

    def frame(self) -> list[str]:
        cols, rows = self.terminal.size()
        flash = self._flash if time.monotonic() < self._flash_until else ""
        if self._game is not None and self._state is not None:
            return render(
                self._state, self._game, cols, rows, unicode=self.terminal.unicode, flash=flash
            )
        lines = ["TRANSCENDENCE PONG", "", self.heading, "", self._message]
        if flash:
            lines += ["", flash]
        return render_message(lines, cols, rows)

    async def run(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            self.terminal.paint(self.frame())
            await asyncio.sleep(1 / FPS)  # pace the redraws


# --- glue -------------------------------------------------------------------------------


@dataclass
class Outcome:
    game: Game
    scores: dict[str, int]
    winner: str | None
    forfeit: str | None = None  # the side that gave up
    interrupted: bool = False
    cancelled: bool = False  # counts for no one (a no-show, or abandoned before any point)

    def summary(self) -> list[str]:
        names = self.game.names
        line = (
            f"Final score: {names['left']} {self.scores.get('left', 0)} - "
            f"{self.scores.get('right', 0)} {names['right']}"
        )
        if self.cancelled:
            return [line, "Game cancelled: it counts for no one"]
        if self.winner is None:
            return [line, "Winner: none"]
        who = names.get(self.winner, self.winner)
        you = " (you)" if self.winner == self.game.side else ""
        how = ""
        if self.forfeit:
            quitter = names.get(self.forfeit, self.forfeit)
            how = f", {quitter} left the game"
        return [line, f"Winner: {who}{you}{how}"]


def _outcome(game: Game, state: dict[str, Any], forfeit: str | None) -> Outcome:
    if state.get("cancelled"):
        return Outcome(game, dict(state.get("scores") or {}), None, cancelled=True)
    return Outcome(game, dict(state.get("scores") or {}), state.get("winner"), forfeit)


async def _recorded_outcome(client: PongClient, game: Game, forfeit: str | None) -> Outcome:
    """The result as the server stored it (a few tenths of a second after the last frame)."""
    deadline = time.monotonic() + 5
    while True:
        body = await client.game(game.game_id)
        live = body.get("live") or {}
        if body.get("status") == "cancelled":
            return Outcome(game, dict(body.get("score") or {}), None, cancelled=True)
        if body.get("status") == "finished":
            quitter = forfeit
            if body.get("forfeit") and quitter is None and body.get("winner"):
                quitter = "left" if body["winner"] == "right" else "right"
            return Outcome(game, dict(body.get("score") or {}), body.get("winner"), quitter)
        # A game given up at 0-0 may still become "cancelled" as it is recorded: only a
        # score (or the cancellation itself) makes the live frame final.
        if live.get("phase") == "finished" and (
            live.get("cancelled") or any((live.get("scores") or {}).values())
        ):
            return _outcome(game, live, forfeit)
        if time.monotonic() > deadline:
            raise PlayError("the game did not finish on the server")
        await asyncio.sleep(0.1)  # the record is written right after the last frame


async def _send_keys(
    client: PongClient, game: Game, seq: itertools.count, events: list[tuple[str, bool]]
) -> None:
    for key, pressed in events:
        with contextlib.suppress(PlayError):  # best effort: a reconnection may be under way
            await client.send(
                "pong.input",
                {"game_id": game.game_id, "key": key, "pressed": pressed, "seq": next(seq)},
            )


async def _rejoin(client: PongClient, game: Game, display: Display) -> bool:
    """Reconnect after a dropped socket; False when the game ended meanwhile."""
    deadline = time.monotonic() + RECONNECT_FOR
    delay = 0.5
    while True:
        display.flash("Connection lost: reconnecting...")
        try:
            await client.disconnect()
            await client.connect()
            await client.request("pong.join", {"game_id": game.game_id})
            display.flash("Reconnected")
            return True
        except PlayError as exc:
            if exc.code == "not_found":
                return False
            if time.monotonic() + delay > deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 4.0)


async def play_game(
    client: PongClient,
    game: Game,
    display: Display,
    keys: asyncio.Queue[str],
    *,
    hold: float = DEFAULT_HOLD_MS / 1000,
) -> Outcome:
    """Play until the match ends (or the player leaves): keys in, states out."""
    loop = asyncio.get_running_loop()
    holder = KeyHolder(hold)
    seq = itertools.count(1)
    forfeit: list[str | None] = [None]

    async def keyboard() -> str:
        while True:
            deadline = holder.next_deadline()
            timeout = None if deadline is None else max(0.0, deadline - loop.time())
            try:
                async with asyncio.timeout(timeout):
                    key = await keys.get()
            except TimeoutError:
                await _send_keys(client, game, seq, holder.expire(loop.time()))
                continue
            if key in ("quit", "interrupt"):
                await _send_keys(client, game, seq, holder.release_all())
                return key
            if key == "power":
                await _send_keys(client, game, seq, [("power", True)])
            elif key in ("up", "down"):
                await _send_keys(client, game, seq, holder.press(key, loop.time()))

    async def frames() -> Outcome:
        heard = loop.time()  # when the last state came: a running room sends one a second
        while True:
            try:
                async with asyncio.timeout_at(heard + STALL_AFTER):
                    frame = await client.next_event()
            except ConnectionLost as exc:
                if exc.close_code not in RECONNECT_CODES:
                    raise
                if not await _rejoin(client, game, display):
                    return await _recorded_outcome(client, game, forfeit[0])
                heard = loop.time()
                continue
            except TimeoutError:
                if (await client.game(game.game_id)).get("status") == "finished":
                    return await _recorded_outcome(client, game, forfeit[0])
                raise PlayError(
                    f"the game stopped: no news from the server for {STALL_AFTER:g} s"
                ) from None
            kind = frame.get("type")
            data = frame.get("data") or {}
            if kind == "pong.state" and data.get("game_id", game.game_id) == game.game_id:
                heard = loop.time()
                for event in data.get("events") or ():
                    if event.get("kind") == "forfeit":
                        forfeit[0] = event.get("side")
                display.show(game, data)
                if data.get("phase") == "finished":
                    return _outcome(game, data, forfeit[0])
            elif kind == "error":
                error = frame.get("error") or {}
                display.flash(str(error.get("message") or error.get("code") or "error"))

    playing = asyncio.create_task(frames(), name="play-frames")
    typing = asyncio.create_task(keyboard(), name="play-keys")
    try:
        await asyncio.wait({playing, typing}, return_when=asyncio.FIRST_COMPLETED)
        if playing.done():
            return playing.result()
        key = typing.result()
        # Leaving: the opponent wins by forfeit. The server stops sending us the game's
        # frames as it answers, so the result is read back over REST.
        display.flash("Leaving the game...")
        with contextlib.suppress(PlayError):
            await client.request("pong.leave", {"game_id": game.game_id})
        if playing.done() and playing.exception() is None:
            outcome = playing.result()
        else:
            outcome = await _recorded_outcome(client, game, game.side)
        outcome.interrupted = key == "interrupt"
        return outcome
    finally:
        for task in (playing, typing):
            task.cancel()
        for task in (playing, typing):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


class Cancelled(Exception):
    """The player quit before a game started."""


async def _until_quit(keys: asyncio.Queue[str]) -> str:
    while (key := await keys.get()) not in ("quit", "interrupt"):
        pass
    return key


async def play(
    client: PongClient,
    plan: Plan,
    *,
    username: str,
    password: str,
    second_factor: Callable[[], str] | None = None,
    invitee: str | None = None,
    hold: float = DEFAULT_HOLD_MS / 1000,
    terminal: Terminal | None = None,
) -> Outcome:
    """Log in, get a seat, play in the terminal; the terminal is restored before returning."""
    try:
        await client.login(username, password, second_factor=second_factor)
        heading = f"Logged in as {client.display_name}"
        if invitee is not None:
            target = await client.find_user(invitee)
            if target.get("id") == client.user.get("id"):
                raise PlayError("you cannot invite yourself")
            plan.user_id = int(target["id"])
            heading += f"; inviting {target.get('display_name') or target.get('username')}"
        await client.connect()
        keys: asyncio.Queue[str] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        with terminal or Terminal() as term:
            screen = Screen(term, heading=heading)
            stop_reading = term.read_keys(keys.put_nowait)
            for sig in (signal.SIGTERM, signal.SIGHUP):
                loop.add_signal_handler(sig, keys.put_nowait, "interrupt")
            loop.add_signal_handler(signal.SIGWINCH, screen.redraw)
            drawing = asyncio.create_task(screen.run(), name="play-screen")
            try:
                seat = asyncio.create_task(find_game(client, plan, screen.status))
                quitting = asyncio.create_task(_until_quit(keys))
                await asyncio.wait({seat, quitting}, return_when=asyncio.FIRST_COMPLETED)
                if not seat.done():
                    seat.cancel()
                    with contextlib.suppress(asyncio.CancelledError, PlayError):
                        await seat
                    if plan.how == "queue":
                        with contextlib.suppress(PlayError):
                            await client.request("pong.unqueue", within=2)
                    raise Cancelled()
                quitting.cancel()
                return await play_game(client, seat.result(), screen, keys, hold=hold)
            finally:
                drawing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await drawing
                stop_reading()
                for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGWINCH):
                    loop.remove_signal_handler(sig)
    finally:
        await client.close()


# --- the command ------------------------------------------------------------------------


class Level(StrEnum):
    easy = "easy"
    normal = "normal"
    hard = "hard"


def register(cli: typer.Typer) -> None:
    """Add `transcendence play` to the CLI."""

    @cli.command("play")
    def play_command(
        server: Annotated[
            str, typer.Option(help="The server, http(s)://host:port.")
        ] = DEFAULT_SERVER,
        username: Annotated[
            str | None, typer.Option(help="Your username or email (asked when absent).")
        ] = None,
        password: Annotated[
            str | None,
            typer.Option(
                help="Your password (asked without echo when absent).",
                envvar="TRANSCENDENCE_PLAY_PASSWORD",
                show_envvar=True,
            ),
        ] = None,
        queue: Annotated[
            bool, typer.Option("--queue", help="Join the queue for a remote opponent.")
        ] = False,
        invite: Annotated[
            str | None,
            typer.Option(metavar="USERNAME_OR_ID", help="Invite this player and play them."),
        ] = None,
        accept: Annotated[
            bool, typer.Option("--accept", help="Wait for the next invitation and accept it.")
        ] = False,
        ai: Annotated[
            Level | None, typer.Option(help="Play the AI at this level.", case_sensitive=False)
        ] = None,
        score_limit: Annotated[
            int | None, typer.Option(min=1, max=21, help="Points to win (queue/invite/ai).")
        ] = None,
        paddle_height: Annotated[
            float | None, typer.Option(min=20, max=600, help="Paddle height, field is 600.")
        ] = None,
        ball_speed: Annotated[
            float | None, typer.Option(min=100, max=1100, help="Serve speed, units/s.")
        ] = None,
        powerups: Annotated[
            bool | None, typer.Option("--powerups/--no-powerups", help="Power-ups on the field.")
        ] = None,
        insecure: Annotated[
            bool,
            typer.Option("--insecure", help="Accept any TLS certificate (self-signed servers)."),
        ] = False,
        cafile: Annotated[
            Path | None,
            typer.Option(
                exists=True, dir_okay=False, help="Trust the CA (or certificate) in this file."
            ),
        ] = None,
        hold: Annotated[
            int,
            typer.Option(
                min=30,
                max=2000,
                help="Milliseconds a key press lasts when the key does not repeat.",
            ),
        ] = DEFAULT_HOLD_MS,
        timeout: Annotated[
            float, typer.Option(min=1, max=120, help="Network timeout in seconds.")
        ] = 10.0,
    ):
        """Play Pong in this terminal against a web user (or the AI): W/S or arrows, q leaves."""
        chosen = [
            name
            for name, on in (
                ("--queue", queue),
                ("--invite", invite is not None),
                ("--accept", accept),
                ("--ai", ai is not None),
            )
            if on
        ]
        if len(chosen) != 1:
            raise typer.BadParameter(
                "choose exactly one of --queue, --invite USER, --accept, --ai LEVEL"
                + (f" (got {', '.join(chosen)})" if chosen else "")
            )
        try:
            base = check_server(server)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--server") from None
        if insecure and cafile is not None:
            raise typer.BadParameter("--insecure and --cafile exclude each other")
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise CLIError("play needs an interactive terminal (stdin and stdout must be a TTY)")

        options: dict[str, Any] = {}
        for key, value in (
            ("score_limit", score_limit),
            ("paddle_height", paddle_height),
            ("ball_speed", ball_speed),
            ("powerups", powerups),
        ):
            if value is not None:
                options[key] = value
        how = chosen[0].lstrip("-")
        plan = Plan(how, options, level=(ai or Level.normal).value)

        if not username:
            username = typer.prompt("Username").strip()
        if password is None:
            password = typer.prompt("Password", hide_input=True)

        def second_factor() -> str:
            return typer.prompt("Two-factor code").strip()

        async def main() -> Outcome:
            tls = tls_context(base, insecure=insecure, cafile=cafile)
            client = PongClient(base, tls=tls, timeout=timeout)
            return await play(
                client,
                plan,
                username=username,
                password=password,
                second_factor=second_factor,
                invitee=invite,
                hold=hold / 1000,
            )

        try:
            outcome = asyncio.run(main())
        except Cancelled:
            console.print("No game was played.", highlight=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except PlayError as exc:
            raise CLIError(exc.message) from None
        for line in outcome.summary():
            console.print(line, highlight=False, markup=False)
        raise typer.Exit(EXIT_INTERRUPTED if outcome.interrupted else EXIT_OK)
