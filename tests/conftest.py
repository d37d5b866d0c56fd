"""Shared fixtures.

`pytest` alone runs on the embedded defaults (a SQLite file per test, in-process bus).
With `TEST_DATABASE_URL` / `TEST_REDIS_URL` set, the same tests run against real PostgreSQL
and Redis, and fail (never skip) when those are unreachable.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from testkit import Player, empty_tables
from transcendence.app import create_app
from transcendence.settings import Settings

SAMPLE_MODULES = ["transcendence_sample", "transcendence_sample.child"]
TEST_SECRET = "test-secret-" + "x" * 40


def _pg_admin_url(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


async def _create_pg_database(url: str) -> str:
    import asyncpg

    name = f"transcendence_test_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(_pg_admin_url(url), timeout=5)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


async def _drop_pg_database(url: str, test_url: str) -> None:
    import asyncpg

    name = test_url.rpartition("/")[2]
    conn = await asyncpg.connect(_pg_admin_url(url), timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_url() -> object:
    """A fresh PostgreSQL database for this run, or None on the embedded defaults."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield None
        return
    try:
        url = asyncio.run(_create_pg_database(base))
    except Exception as exc:
        pytest.fail(f"TEST_DATABASE_URL is set but PostgreSQL is unreachable: {exc}")
    yield url
    asyncio.run(_drop_pg_database(base, url))


@pytest.fixture(scope="session")
def redis_url() -> str | None:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        return None
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=3).ping()
    except Exception as exc:
        pytest.fail(f"TEST_REDIS_URL is set but Redis is unreachable: {exc}")
    return url


@pytest.fixture(scope="session", autouse=True)
def _redis_left_as_found():
    """The run deletes the Redis keys it created (games' sorted sets, checkpoints, presence,
    from this process and from the servers it starts): TEST_REDIS_URL's database is left as
    found. Keys that were there before the run are never touched."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        yield
        return
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        before = set(client.scan_iter(count=1000))
    except redis.RedisError:
        client.close()
        yield  # unreachable: the `redis_url` fixture fails the tests that need it
        return
    try:
        yield
        created = [key for key in client.scan_iter(count=1000) if key not in before]
        for start in range(0, len(created), 500):
            client.delete(*created[start : start + 500])
    finally:
        client.close()


# Migrates one SQLite file in a process of its own, exactly as an app's start would
# (`db.connect`, then `db.migrate`): the test's own event loop and Tortoise state stay
# untouched.
_MIGRATE_TEMPLATE = """
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


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """`template(modules)` → a SQLite file with every migration of those modules applied,
    made once per set of modules in the run.

    Migrating a fresh file costs seconds (Tortoise rebuilds its model state per migration)
    and every SQLite test starts from a fresh file: each copies the migrated template
    instead. PostgreSQL's database is migrated once per run by the first app already.
    """
    folder = tmp_path_factory.mktemp("sqlite-templates")
    made: dict[tuple[str, ...] | None, Path] = {}

    def template(modules: list[str] | None) -> Path:
        key = None if modules is None else tuple(modules)
        if key not in made:
            path = folder / f"template-{len(made)}.sqlite3"
            fields = {
                "modules": modules,
                "extra_modules": SAMPLE_MODULES,
                "env": "test",
                "var_dir": str(folder / "var"),
                "database_url": f"sqlite://{path}",
            }
            env = dict(os.environ)
            support = str(Path(__file__).parent / "support")
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [support, env.get("PYTHONPATH")]))
            subprocess.run(
                [sys.executable, "-c", _MIGRATE_TEMPLATE, json.dumps(fields)],
                env=env,
                check=True,
                timeout=300,  # a hang guard, not a wait
            )
            made[key] = path
        return made[key]

    return template


@pytest.fixture
def settings(
    request, tmp_path: Path, pg_url: str | None, redis_url: str | None, sqlite_template
) -> Settings:
    """Core tests load only the sample modules; `@pytest.mark.modules("pong", ...)` loads
    built-in modules too, and `@pytest.mark.modules("*")` every installed one.

    On SQLite the test's file starts as a copy of the migrated template of its modules;
    `fresh_database_url` gives a database nothing has migrated."""
    marker = request.node.get_closest_marker("modules")
    names = list(marker.args) if marker else []
    modules = None if names == ["*"] else names
    database_url = pg_url
    if database_url is None:
        database = tmp_path / "test.sqlite3"
        shutil.copyfile(sqlite_template(modules), database)
        database_url = f"sqlite://{database}"
    return Settings(
        modules=modules,
        _env_file=None,
        env="test",
        var_dir=tmp_path / "var",
        database_url=database_url,
        redis_url=redis_url,
        secret_key=TEST_SECRET,
        extra_modules=SAMPLE_MODULES,
        module_sync_interval=0.2,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator:
    app = create_app(settings)
    async with app.test_app():
        await empty_tables()
        # With Redis the login throttle's counters outlive the tables: start from none.
        await app.extensions["transcendence.accounts.throttle"].clear()
        await app.extensions["transcendence"].registry.refresh()
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    """`await make_user("alice")` → a Player (needs the `app` fixture's database)."""
    from transcendence.accounts import service

    async def make(
        username: str = "alice",
        *,
        password: str = "correct horse battery",
        email: str | None = None,
        role: str = "player",
        display_name: str | None = None,
    ):
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

    return make


@pytest.fixture
def fresh_database_url(pg_url: str | None, tmp_path: Path):
    """A database nothing has migrated yet: a new PostgreSQL database, or a new SQLite file."""
    if pg_url is None:
        yield f"sqlite://{tmp_path / 'fresh.sqlite3'}"
        return
    url = asyncio.run(_create_pg_database(pg_url))
    yield url
    asyncio.run(_drop_pg_database(pg_url, url))
