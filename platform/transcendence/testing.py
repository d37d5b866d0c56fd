"""pytest fixtures for testing a Transcendence module, without copying the platform's tests.

Load the plugin from the top-level `conftest.py` of the module's project and say which
modules the test app loads:

    pytest_plugins = ["transcendence.testing"]


    @pytest.fixture
    def transcendence_extra_modules():
        return ["transcendence_guestbook"]  # an import path: no entry point needed

Then a test asks for `app` (the app, started, on a migrated database), `client` (Quart's
test client), `make_user` / `user` (players with a live session and the header that
authenticates them) and `socket` (realtime sockets to the app, over a real server).
docs/modules.md, "Testing your module", has an example of each.

The database is a fresh SQLite file per test (a copy of one migrated per set of modules),
or, with `TEST_DATABASE_URL` set, a PostgreSQL database made for the run and emptied
before each test; `TEST_REDIS_URL` puts the bus, presence and throttles on Redis. An
unreachable service fails the tests, never skips them.

The plugin is opt-in (not a `pytest11` entry point) because its `app` and `client`
fixtures would otherwise land in every pytest run of an environment where the platform is
installed. The functions below are the plugin's parts; the platform's own suite uses them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import secrets
import shutil
import socket as socket_lib
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import redis
from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config
from quart import Quart
from tortoise import Tortoise
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from transcendence.accounts import service
from transcendence.app import create_app
from transcendence.hub import get_hub
from transcendence.hub.protocol import TRANSPORT_MAX_MESSAGE
from transcendence.settings import Settings

__all__ = [
    "TIMEOUT",
    "Player",
    "Socket",
    "create_postgres_database",
    "drop_postgres_database",
    "empty_tables",
    "migrate_database",
    "new_player",
    "running_app",
    "serve_app",
]

# How long a socket waits for a frame it expects before the test fails (a hang guard).
TIMEOUT = 5.0


# --- the database -----------------------------------------------------------------------


def _pg_admin_url(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


async def create_postgres_database(admin_url: str) -> str:
    """A new, empty PostgreSQL database on the server of `admin_url`; its URL."""
    import asyncpg  # the PostgreSQL driver loads only for runs with TEST_DATABASE_URL

    name = f"transcendence_test_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(_pg_admin_url(admin_url), timeout=5)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}"


async def drop_postgres_database(admin_url: str, url: str) -> None:
    """Drop the database `create_postgres_database` made (connections and all)."""
    import asyncpg  # PostgreSQL runs only, as above

    name = url.rpartition("/")[2]
    conn = await asyncpg.connect(_pg_admin_url(admin_url), timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


# Migrates in a process of its own, exactly as an app's start would (`db.connect`, then
# `db.migrate`): the test's own event loop and Tortoise state stay untouched.
_MIGRATE = """
import asyncio, json, sys
from transcendence import db
from transcendence.plugins import load_modules
from transcendence.settings import Settings

settings = Settings(_env_file=None, **json.loads(sys.argv[1]))


async def main():
    config = await db.connect(settings, load_modules(settings.modules, settings.extra_modules))
    try:
        await db.migrate(config)
    finally:
        await db.close_db()


asyncio.run(main())
"""


def migrate_database(fields: dict[str, Any], *, pythonpath: Sequence[str] = ()) -> None:
    """Apply every migration of the modules that `Settings(**fields)` loads to its database.

    `pythonpath` is prepended to the migrating process's path (where modules loaded by
    import path live); it also gets this process's path, so it imports what the tests do.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [*pythonpath, *sys.path, env.get("PYTHONPATH")])
    )
    subprocess.run(
        [sys.executable, "-c", _MIGRATE, json.dumps(fields)],
        env=env,
        check=True,
        timeout=300,  # a hang guard, not a wait
    )


async def empty_tables() -> None:
    """Empty every table of the open PostgreSQL database (its database is shared by the
    run; a SQLite test starts from a fresh file instead)."""
    for app_models in Tortoise.apps.values():
        for model in app_models.values():
            conn = model._meta.db
            if conn.capabilities.dialect == "postgres":
                await conn.execute_script(
                    f'TRUNCATE TABLE "{model._meta.db_table}" RESTART IDENTITY CASCADE'
                )


# --- the app ----------------------------------------------------------------------------


@asynccontextmanager
async def running_app(settings: Settings, *, namespace: str | None = None) -> AsyncIterator[Quart]:
    """The app of `settings`, started as a server starts it (its database connected and
    migrated, its modules started), with empty tables and throttles; stopped at the end.

    `namespace` keeps this app's realtime keys on Redis apart from other tests' apps that
    share the database (by default the hub derives it from the database).
    """
    app = create_app(settings)
    if namespace is not None:
        get_hub(app).namespace = namespace
    async with app.test_app():
        await empty_tables()
        # With Redis the login throttle's counters outlive the tables: start from none.
        await app.extensions["transcendence.accounts.throttle"].clear()
        await app.extensions["transcendence"].registry.refresh()
        yield app


class Player:
    """A user made for a test, with a live session and the header that authenticates it."""

    def __init__(self, user: Any, session: Any, access: str, refresh: str, password: str):
        self.user = user
        self.session = session
        self.access = access
        self.refresh = refresh
        self.password = password

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}


async def new_player(
    app: Quart,
    username: str = "alice",
    *,
    password: str = "correct horse battery",
    email: str | None = None,
    role: str = "player",
    display_name: str | None = None,
) -> Player:
    """A new account with a session started, as if it had just logged in to `app`."""
    user = await service.create_user(
        username,
        email or f"{username}@example.test",
        password,
        display_name=display_name,
        role=role,
    )
    session, refresh = await service.start_session(user)
    access = service.access_token_for(app.config["SECRET_KEY"], user, session)
    return Player(user, session, access, refresh, password)


# --- real sockets -----------------------------------------------------------------------


def _without_lifespan(app: Any) -> Callable[..., Awaitable[None]]:
    """The app for Hypercorn when the test already runs its lifespan (`app.test_app()`)."""

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
async def serve_app(app: Any, *, max_message: int = TRANSPORT_MAX_MESSAGE) -> AsyncIterator[int]:
    """Serve a started `app` with Hypercorn, in this loop, on a free port of 127.0.0.1
    until the block ends; yields the port.

    The listening socket is bound before Hypercorn starts (handed over as `fd://`), so
    there is no port race and nothing to wait for.
    """
    sock = socket_lib.socket()
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


class Socket:
    """A realtime socket speaking the envelope: `request()` waits for the answer to its id."""

    _ids = itertools.count(1)

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.welcome: dict[str, Any] = {}
        self.seen: list[dict[str, Any]] = []  # frames skipped while waiting for another

    @classmethod
    async def open(cls, url: str, who: Player | str | None = None, **kwargs: Any) -> Socket:
        """A socket to `url`, authenticated as `who` (a player or a raw token) unless None."""
        ws = await connect(url, ping_interval=None, max_size=2**24, open_timeout=TIMEOUT, **kwargs)
        opened = cls(ws)
        if who is not None:
            token = who if isinstance(who, str) else who.access
            opened.welcome = await opened.request("auth", {"token": token})
            assert opened.welcome["type"] == "auth", opened.welcome
        return opened

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

    async def take(self, type_: str, **kwargs: Any) -> dict[str, Any]:
        """The next frame of this type, including one that arrived (and went to `seen`)
        while awaiting another."""
        for frame in self.seen:
            if frame["type"] == type_:
                self.seen.remove(frame)
                return frame
        return await self.expect(type_, **kwargs)

    async def request(self, type_: str, data: Any = None, **kwargs: Any) -> dict[str, Any]:
        """Send a frame of this type and return the server's answer to it (its `data`, or
        its `error`)."""
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


# --- the fixtures -----------------------------------------------------------------------


@pytest.fixture
def transcendence_modules() -> list[str]:
    """Entry-point names of the installed modules the test app loads (`["pong"]`; `["*"]`:
    every installed module). Override it in your conftest.py, or per test with
    `@pytest.mark.parametrize("transcendence_modules", [["pong"]])`."""
    return []


@pytest.fixture
def transcendence_extra_modules() -> list[str]:
    """Import paths of modules the test app loads without an entry point (a module that is
    not installed, e.g. `["transcendence_guestbook"]` from the project's source tree)."""
    return []


@contextlib.contextmanager
def postgres_for_run() -> Iterator[str | None]:
    """A PostgreSQL database made from `TEST_DATABASE_URL` for one test run (dropped when
    the block ends), or None without it. An unreachable server fails the run, never skips."""
    admin_url = os.environ.get("TEST_DATABASE_URL")
    if not admin_url:
        yield None
        return
    try:
        url = asyncio.run(create_postgres_database(admin_url))
    except Exception as exc:
        pytest.fail(f"TEST_DATABASE_URL is set but PostgreSQL is unreachable: {exc}")
    try:
        yield url
    finally:
        asyncio.run(drop_postgres_database(admin_url, url))


def redis_for_run() -> str | None:
    """`TEST_REDIS_URL` once Redis answers, or None: the in-process bus. An unreachable
    server fails the run, never skips."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        return None
    client = redis.Redis.from_url(url, socket_timeout=3)
    try:
        client.ping()
    except Exception as exc:
        pytest.fail(f"TEST_REDIS_URL is set but Redis is unreachable: {exc}")
    finally:
        client.close()
    return url


@pytest.fixture(scope="session")
def transcendence_postgres_url() -> Iterator[str | None]:
    """A PostgreSQL database made for this run from `TEST_DATABASE_URL` (dropped at the
    end), or None: tests then run on SQLite."""
    with postgres_for_run() as url:
        yield url


@pytest.fixture(scope="session")
def transcendence_redis_url() -> str | None:
    """`TEST_REDIS_URL` once Redis answers, or None: the in-process bus."""
    return redis_for_run()


@pytest.fixture(scope="session")
def transcendence_sqlite_template(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[list[str] | None, list[str]], Path]:
    """`template(modules, extra_modules)` → a SQLite file with every migration of those
    modules applied, made once per set of modules: migrating costs seconds, copying none."""
    folder = tmp_path_factory.mktemp("transcendence-templates")
    made: dict[tuple[tuple[str, ...] | None, tuple[str, ...]], Path] = {}

    def template(modules: list[str] | None, extra_modules: list[str]) -> Path:
        key = (None if modules is None else tuple(modules), tuple(extra_modules))
        if key not in made:
            path = folder / f"template-{len(made)}.sqlite3"
            migrate_database(
                {
                    "modules": modules,
                    "extra_modules": extra_modules,
                    "env": "test",
                    "var_dir": str(folder / "var"),
                    "database_url": f"sqlite://{path}",
                }
            )
            made[key] = path
        return made[key]

    return template


@pytest.fixture
def transcendence_settings(
    tmp_path: Path,
    transcendence_modules: list[str],
    transcendence_extra_modules: list[str],
    transcendence_postgres_url: str | None,
    transcendence_redis_url: str | None,
    transcendence_sqlite_template: Callable[[list[str] | None, list[str]], Path],
) -> Settings:
    """The test app's settings (override it to change one: `settings.model_copy(update=...)`)."""
    modules = None if list(transcendence_modules) == ["*"] else list(transcendence_modules)
    extra = list(transcendence_extra_modules)
    database_url = transcendence_postgres_url
    if database_url is None:
        database = tmp_path / "test.sqlite3"
        shutil.copyfile(transcendence_sqlite_template(modules, extra), database)
        database_url = f"sqlite://{database}"
    return Settings(
        _env_file=None,
        env="test",
        modules=modules,
        extra_modules=extra,
        var_dir=tmp_path / "var",
        database_url=database_url,
        redis_url=transcendence_redis_url,
        secret_key=secrets.token_urlsafe(48),
        # With the in-process bus a toggle is seen by polling: keep tests quick.
        module_sync_interval=0.2,
    )


@pytest_asyncio.fixture
async def app(transcendence_settings: Settings) -> AsyncIterator[Quart]:
    """The app, started (database migrated, modules started), with empty tables."""
    async with running_app(transcendence_settings, namespace=uuid.uuid4().hex[:10]) as app:
        yield app


@pytest.fixture
def client(app: Quart) -> Any:
    """Quart's test client of `app`: `await client.get("/api/...", headers=user.headers)`."""
    return app.test_client()


@pytest.fixture
def make_user(app: Quart) -> Callable[..., Awaitable[Player]]:
    """`await make_user("bob")` → a Player: `.user`, `.id`, `.headers`, `.access`, ..."""

    async def make(username: str = "alice", **kwargs: Any) -> Player:
        return await new_player(app, username, **kwargs)

    return make


@pytest_asyncio.fixture
async def user(make_user: Callable[..., Awaitable[Player]]) -> Player:
    """A logged-in player, "alice"."""
    return await make_user("alice")


@pytest_asyncio.fixture
async def socket(app: Quart) -> AsyncIterator[Callable[..., Awaitable[Socket]]]:
    """`ws = await socket(user)` → a realtime Socket to `app` served over a real server,
    authenticated as that player (or raw token; `await socket()`: not authenticated).
    Every socket opened is closed when the test ends."""
    opened: list[Socket] = []
    async with serve_app(app) as port:

        async def open_socket(who: Player | str | None = None, **kwargs: Any) -> Socket:
            ws = await Socket.open(f"ws://127.0.0.1:{port}/ws", who, **kwargs)
            opened.append(ws)
            return ws

        try:
            yield open_socket
        finally:
            for ws in opened:
                await ws.close()
