"""Tortoise configuration: one app per module, plus the core's own app.

Opening the database (`connect`) and migrating it (`migrate`) are separate on purpose:
nothing migrates unless asked to (`transcendence db migrate`, or `serve` with
auto-migrate on), and whoever opens an unmigrated database is told to run the migration.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.executor import MigrationExecutor
from tortoise.migrations.recorder import MigrationRecorder

from transcendence import db_transactions
from transcendence.plugins import ModuleSet
from transcendence.settings import Settings

db_transactions.install()  # a cancelled transaction start gives its connection back

CORE_APP = "core"
# pg_advisory_lock key held while migrating: two nodes starting together on a fresh
# PostgreSQL would otherwise both create the same tables (an IntegrityError on pg_type).
# Any fixed 64-bit number works; this one spells "trnscndc" in ASCII.
MIGRATION_LOCK_KEY = 0x74726E73636E6463
# How long opening the database may take before it counts as unreachable (asyncpg's own
# default is 60 s per connection attempt).
CONNECT_TIMEOUT = 10.0


class DatabaseUnavailable(Exception):
    """The database cannot be opened; the message is one line naming what to check."""


class NotMigrated(Exception):
    """The schema is behind the code; the message says to run `transcendence db migrate`."""


def model_modules(modules: ModuleSet) -> dict[str, list[str]]:
    """App label → model import paths, for the core and every installed module."""
    apps: dict[str, list[str]] = {
        CORE_APP: ["transcendence.models", "transcendence.accounts.models"]
    }
    for module in modules:
        paths = modules.call_for(module, "register_models") or []
        if paths:
            apps[module.name] = list(paths)
    return apps


def tortoise_config(settings: Settings, modules: ModuleSet) -> dict[str, Any]:
    apps = {}
    for label, paths in model_modules(modules).items():
        base = paths[0].rsplit(".", 1)[0]
        apps[label] = {
            "models": paths,
            "default_connection": "default",
            "migrations": f"{base}.migrations",
        }
    return {
        "connections": {"default": settings.effective_database_url},
        "apps": apps,
        "use_tz": True,
        "timezone": "UTC",
    }


async def init_db(settings: Settings, modules: ModuleSet) -> dict[str, Any]:
    if settings.uses_sqlite:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    config = tortoise_config(settings, modules)
    # Startup runs in another task than the requests (Hypercorn's lifespan), and Tortoise
    # 1.x keeps its context in a contextvar: the global fallback makes it reach them all.
    await Tortoise.init(config=config, _enable_global_fallback=True)
    return config


def _sqlite_file(url: str) -> str:
    return url.removeprefix("sqlite://").split("?", 1)[0]


def describe_target(url: str) -> str:
    """Where a database URL points, without its credentials, for messages."""
    if url.startswith("sqlite://"):
        return f"the SQLite database {_sqlite_file(url)}"
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"PostgreSQL at {host}{port}{parts.path}"


async def connect(settings: Settings, modules: ModuleSet) -> dict[str, Any]:
    """`init_db`, then one query, so that an unreachable database is one readable error.

    Tortoise opens connections lazily, and a first connection that fails leaves its SQLite
    client's lock held: every later query would wait for ever. Checking once here, and
    closing on failure, turns both into `DatabaseUnavailable`.
    """
    url = settings.effective_database_url
    if settings.uses_sqlite:
        folder = Path(_sqlite_file(url)).parent
        if not folder.is_dir():
            # Checked first: a failed open leaves aiosqlite's thread finishing after the
            # event loop closed, which prints its own traceback on the way out.
            raise DatabaseUnavailable(
                f"cannot open {describe_target(url)}: the directory {folder} does not exist "
                "(create it, or point DATABASE_URL elsewhere)"
            )
    config = await init_db(settings, modules)
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT):
            await ping()
    except Exception as exc:
        await close_db()
        raise DatabaseUnavailable(_unavailable(url, exc)) from exc
    return config


def _unavailable(url: str, exc: Exception) -> str:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, TimeoutError):
        reason = f"no answer within {CONNECT_TIMEOUT:g} s"
    reason = reason or type(exc).__name__
    fix = "check DATABASE_URL and that PostgreSQL is running"
    if url.startswith("sqlite://"):
        fix = "check DATABASE_URL and the file's permissions"
    return f"cannot open {describe_target(url)}: {reason} ({fix})"


async def require_migrated(config: dict[str, Any]) -> None:
    """Refuse a schema that is behind the code, naming the command that fixes it."""
    pending = await pending_migrations(config)
    if pending:
        raise NotMigrated(
            f"the database is not migrated ({len(pending)} pending migration(s), first "
            f"{'.'.join(pending[0])}): run `transcendence db migrate`"
        )


async def migrate(config: dict[str, Any], progress: Any = None) -> None:
    """Apply every pending migration of every app, on the connection already open.

    Concurrent callers (nodes starting together with auto-migrate on) are serialized: the
    second one waits, then finds nothing left to apply. On PostgreSQL by an advisory lock;
    on SQLite by a lock file beside the database (SQLite's own locking covers single
    statements only, and two migrators both see the tables missing and both create them).
    """
    connection = get_connection("default")
    executor = MigrationExecutor(connection, config["apps"])
    if connection.capabilities.dialect != "postgres":
        async with _file_lock(getattr(connection, "filename", ":memory:")):
            await executor.migrate(None, progress=progress)
        return
    # A session-level lock on a connection of its own, released explicitly: the pool
    # keeps the session open after this, and the lock must not stay with it.
    async with connection.acquire_connection() as lock_connection:
        await lock_connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        try:
            await executor.migrate(None, progress=progress)
        finally:
            await lock_connection.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)


@contextlib.asynccontextmanager
async def _file_lock(database_file: str) -> AsyncIterator[None]:
    if database_file == ":memory:":  # private to this process: nobody to race with
        yield
        return
    fd = os.open(f"{database_file}.migrate-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


async def pending_migrations(config: dict[str, Any]) -> list[tuple[str, str]]:
    executor = MigrationExecutor(get_connection("default"), config["apps"])
    plan = await executor.plan(None)
    return [(step.migration.app_label, step.migration.name) for step in plan if not step.backward]


async def applied_migrations() -> list[tuple[str, str]]:
    recorder = MigrationRecorder(get_connection("default"))
    return [(key.app_label, key.name) for key in await recorder.applied_migrations()]


async def close_db() -> None:
    await Tortoise.close_connections()


async def ping() -> None:
    await get_connection("default").execute_query("SELECT 1")


async def detect_changes(config: dict[str, Any], app_labels: list[str] | None = None) -> list[Any]:
    """Migration writers for model changes not yet in migration files (empty when in sync).

    Uses Tortoise's own autodetector, exactly as `tortoise makemigrations` does.
    """
    # Every app is loaded (a module's models point at the core's users); only the
    # selected ones get migrations.
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        assert ctx.apps is not None
        writers = await MigrationAutodetector(ctx.apps, config["apps"]).changes()
    return [w for w in writers if not app_labels or w.app_label in app_labels]


async def make_migrations(config: dict[str, Any], app_labels: list[str] | None = None) -> list[str]:
    """Write migration files for model changes (for module authors); returns what was written."""
    return [
        f"{writer.app_label}.{writer.name} ({writer.write()})"
        for writer in await detect_changes(config, app_labels)
    ]
