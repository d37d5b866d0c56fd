"""Shared fixtures.

`pytest` alone runs on the embedded defaults (a SQLite file per test, in-process bus).
With `TEST_DATABASE_URL` / `TEST_REDIS_URL` set, the same tests run against real PostgreSQL
and Redis, and fail (never skip) when those are unreachable.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from transcendence.settings import Settings
from transcendence.testing import (
    Player,
    create_postgres_database,
    drop_postgres_database,
    migrate_database,
    new_player,
    postgres_for_run,
    redis_for_run,
    running_app,
)

SAMPLE_MODULES = ["transcendence_sample", "transcendence_sample.child"]
# Helpers, and the sample third-party module's project, whose tests run on their own
# (tests/core/test_testing_plugin.py), not under this conftest.
collect_ignore = ["support"]
TEST_SECRET = "test-secret-" + "x" * 40


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory) -> object:
    """A fresh PostgreSQL database for this run, or None on the embedded defaults.

    It is migrated here, once, for every installed module (in a process of its own, as a
    SQLite template is): otherwise the run's first app would migrate it in its startup,
    which Quart's test app allows a few seconds only, and on a loaded machine the whole
    migration history takes longer than that."""
    with postgres_for_run() as url:
        if url is not None:
            migrate_database(
                {
                    "modules": None,
                    "extra_modules": SAMPLE_MODULES,
                    "env": "test",
                    "var_dir": str(tmp_path_factory.mktemp("pg-migrate")),
                    "database_url": url,
                },
                pythonpath=[str(Path(__file__).parent / "support")],
            )
        yield url


@pytest.fixture(scope="session")
def redis_url() -> str | None:
    return redis_for_run()


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


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """`template(modules)` → a SQLite file with every migration of those modules applied,
    made once per set of modules in the run.

    Migrating a fresh file costs seconds (Tortoise rebuilds its model state per migration)
    and every SQLite test starts from a fresh file: each copies the migrated template
    instead. PostgreSQL's database is migrated once per run by the first app already.
    """
    folder = tmp_path_factory.mktemp("sqlite-templates")
    made: dict[tuple[tuple[str, ...] | None, tuple[str, ...]], Path] = {}

    def template(modules: list[str] | None, extra: list[str] = SAMPLE_MODULES) -> Path:
        key = (None if modules is None else tuple(modules), tuple(extra))
        if key not in made:
            path = folder / f"template-{len(made)}.sqlite3"
            support = str(Path(__file__).parent / "support")
            migrate_database(
                {
                    "modules": modules,
                    "extra_modules": extra,
                    "env": "test",
                    "var_dir": str(folder / "var"),
                    "database_url": f"sqlite://{path}",
                },
                pythonpath=[support],
            )
            made[key] = path
        return made[key]

    return template


@pytest.fixture
def settings(
    request, tmp_path: Path, pg_url: str | None, redis_url: str | None, sqlite_template
) -> Settings:
    """Core tests load only the sample modules; `@pytest.mark.modules("pong", ...)` loads
    built-in modules too, and `@pytest.mark.modules("*")` every installed one;
    `@pytest.mark.support("transcendence_nim")` adds modules of tests/support (the second
    game) by import path.

    On SQLite the test's file starts as a copy of the migrated template of its modules;
    `fresh_database_url` gives a database nothing has migrated."""
    marker = request.node.get_closest_marker("modules")
    names = list(marker.args) if marker else []
    modules = None if names == ["*"] else names
    support = request.node.get_closest_marker("support")
    extra = SAMPLE_MODULES + (list(support.args) if support else [])
    database_url = pg_url
    if database_url is None:
        database = tmp_path / "test.sqlite3"
        shutil.copyfile(sqlite_template(modules, extra), database)
        database_url = f"sqlite://{database}"
    return Settings(
        modules=modules,
        _env_file=None,
        env="test",
        var_dir=tmp_path / "var",
        database_url=database_url,
        redis_url=redis_url,
        secret_key=TEST_SECRET,
        extra_modules=extra,
        module_sync_interval=0.2,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator:
    async with running_app(settings) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    """`await make_user("alice")` → a Player (needs the `app` fixture's database)."""

    async def make(username: str = "alice", **kwargs) -> Player:
        return await new_player(app, username, **kwargs)

    return make


@pytest.fixture
def fresh_database_url(pg_url: str | None, tmp_path: Path):
    """A database nothing has migrated yet: a new PostgreSQL database, or a new SQLite file."""
    if pg_url is None:
        yield f"sqlite://{tmp_path / 'fresh.sqlite3'}"
        return
    url = asyncio.run(create_postgres_database(pg_url))
    yield url
    asyncio.run(drop_postgres_database(pg_url, url))
