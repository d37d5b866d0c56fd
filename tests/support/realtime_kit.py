"""Real sockets for the hub's tests: the app served by Hypercorn in the test's own loop,
and a small client over the `websockets` library.

The app's lifespan is run by the test (`app.test_app()`, as the `app` fixture does), so
Hypercorn is given the app without it; the listening socket is bound before Hypercorn
starts (handed over as `fd://`), so there is no port race and nothing to wait for.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from testkit import empty_tables
from transcendence.app import create_app
from transcendence.hub import get_hub
from transcendence.hub.protocol import TRANSPORT_MAX_MESSAGE
from transcendence.settings import Settings

TIMEOUT = 5.0
RT_MODULES = ["transcendence_rtsample"]


def _without_lifespan(app: Any) -> Callable[..., Awaitable[None]]:
    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await app(scope, receive, send)

    return asgi


@asynccontextmanager
async def hypercorn(app: Any, *, max_message: int = TRANSPORT_MAX_MESSAGE) -> AsyncIterator[int]:
    """Serve `app` on a free port of 127.0.0.1 until the block ends; yields the port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    config = Config()
    config.bind = [f"fd://{sock.detach()}"]
    config.websocket_max_message_size = max_message
    config.graceful_timeout = 1.0
    config.accesslog = None
    stop = asyncio.Event()
    task = asyncio.create_task(
        hypercorn_serve(_without_lifespan(app), config, shutdown_trigger=stop.wait, mode="asgi")
    )
    try:
        yield port
    finally:
        stop.set()
        await task


@dataclass
class User:
    id: int
    access: str
    session_id: str


class Server:
    def __init__(self, app: Any, port: int) -> None:
        self.app = app
        self.port = port

    @property
    def hub(self):
        return get_hub(self.app)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def user(self, name: str, *, token_ttl: int | None = None) -> User:
        from transcendence.accounts import service

        user = await service.create_user(name, f"{name}@example.test", None)
        session, _ = await service.start_session(user)
        return User(user.id, self.token(user.id, str(session.id), ttl=token_ttl), str(session.id))

    def token(self, user_id: int, session_id: str = "s", *, ttl: int | None = None, tv: int = 0):
        from transcendence.accounts import tokens

        secret = self.app.config["SECRET_KEY"]
        if ttl is None:
            return tokens.issue_access(secret, user_id, tv, session_id)
        return tokens.issue_access(secret, user_id, tv, session_id, ttl=ttl)

    async def connect(self, who: User | str | None = None, **kwargs: Any) -> Client:
        """A socket, authenticated as `who` (a user or a raw token) unless None."""
        ws = await connect(
            self.url, ping_interval=None, max_size=2**24, open_timeout=TIMEOUT, **kwargs
        )
        client = Client(ws)
        if who is not None:
            token = who if isinstance(who, str) else who.access
            client.welcome = await client.request("auth", {"token": token})
            assert client.welcome["type"] == "auth", client.welcome
        return client


@asynccontextmanager
async def realtime_server(
    settings: Settings, *, max_message: int = TRANSPORT_MAX_MESSAGE, **config: Any
) -> AsyncIterator[Server]:
    """A fresh app (its hub configured with `config`) served over real sockets."""
    app = create_app(settings)
    hub = get_hub(app)
    # Tests share one Redis (and, on PostgreSQL, one database whose ids restart): a
    # namespace of their own keeps another test's presence entries out of this one.
    hub.namespace = uuid.uuid4().hex[:10]
    for key, value in config.items():
        if not hasattr(hub.config, key):
            raise AttributeError(f"HubConfig has no {key!r}")
        setattr(hub.config, key, value)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(app.test_app())
        await empty_tables()
        await app.extensions["transcendence"].registry.refresh()
        port = await stack.enter_async_context(hypercorn(app, max_message=max_message))
        yield Server(app, port)


class Client:
    """A socket speaking the envelope: `request()` waits for the answer to its id."""

    _ids = itertools.count(1)

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.welcome: dict[str, Any] = {}
        self.seen: list[dict[str, Any]] = []  # frames skipped while waiting for another

    async def send(self, frame: Any) -> None:
        await self.ws.send(
            frame if isinstance(frame, str | bytes) else json.dumps(frame, ensure_ascii=False)
        )

    async def recv(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            return json.loads(await self.ws.recv())

    async def expect(
        self,
        type_: str | None = None,
        *,
        re: Any = None,
        timeout: float = TIMEOUT,
        skip: tuple[str, ...] = ("ping",),
    ) -> dict[str, Any]:
        """The next frame of this type (and `re`), keeping others in `seen`."""
        async with asyncio.timeout(timeout):
            while True:
                frame = json.loads(await self.ws.recv())
                wanted = (type_ is None or frame["type"] == type_) and (
                    re is None or frame.get("re") == re
                )
                if wanted and (type_ is not None or frame["type"] not in skip):
                    return frame
                if frame["type"] not in skip:
                    self.seen.append(frame)

    async def request(self, type_: str, data: Any = None, **kwargs: Any) -> dict[str, Any]:
        frame_id = f"r{next(self._ids)}"
        frame: dict[str, Any] = {"type": type_, "id": frame_id}
        if data is not None:
            frame["data"] = data
        await self.send(frame)
        return await self.expect(re=frame_id, **kwargs)

    async def closed(self, timeout: float = TIMEOUT) -> tuple[int | None, str | None]:
        """Read until the server closes; the close code and reason it sent."""
        async with asyncio.timeout(timeout):
            try:
                while True:
                    await self.ws.recv()
            except ConnectionClosed:
                pass
        return self.ws.close_code, self.ws.close_reason

    async def close(self) -> None:
        await self.ws.close()
