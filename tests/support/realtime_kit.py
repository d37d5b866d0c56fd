"""Real sockets for the hub's tests: the app served by Hypercorn in the test's own loop
(`transcendence.testing.serve_app`), and its socket client (`Client`, the testing plugin's
`Socket`), with a fresh app whose hub the test configures.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from transcendence.app import create_app
from transcendence.hub import get_hub
from transcendence.hub.protocol import TRANSPORT_MAX_MESSAGE
from transcendence.settings import Settings
from transcendence.testing import TIMEOUT, empty_tables, serve_app
from transcendence.testing import Socket as Client

__all__ = ["RT_MODULES", "TIMEOUT", "Client", "Server", "User", "realtime_server"]

RT_MODULES = ["transcendence_rtsample"]


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
        token = who if who is None or isinstance(who, str) else who.access
        return await Client.open(self.url, token, **kwargs)


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
        port = await stack.enter_async_context(serve_app(app, max_message=max_message))
        yield Server(app, port)
