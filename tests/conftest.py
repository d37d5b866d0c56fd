"""Shared fixtures.

`pytest` alone runs on the embedded defaults (a SQLite file per test, in-process bus).
With `TEST_DATABASE_URL` / `TEST_REDIS_URL` set, the same tests run against real PostgreSQL
and Redis, and fail (never skip) when those are unreachable.
"""

from __future__ import annotations

import asyncio
import os
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


@pytest.fixture
def settings(request, tmp_path: Path, pg_url: str | None, redis_url: str | None) -> Settings:
    """Core tests load only the sample modules; `@pytest.mark.modules("pong", ...)` loads
    built-in modules too, and `@pytest.mark.modules("*")` every installed one."""
    marker = request.node.get_closest_marker("modules")
    names = list(marker.args) if marker else []
    return Settings(
        modules=None if names == ["*"] else names,
        _env_file=None,
        env="test",
        var_dir=tmp_path / "var",
        database_url=pg_url or f"sqlite://{tmp_path / 'test.sqlite3'}",
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
