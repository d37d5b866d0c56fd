"""Tortoise configuration: one app per module, plus the core's own app."""

from __future__ import annotations

from typing import Any

from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.migrations.executor import MigrationExecutor
from tortoise.migrations.recorder import MigrationRecorder

from transcendence import db_transactions
from transcendence.plugins import ModuleSet
from transcendence.settings import Settings

db_transactions.install()  # a cancelled transaction start gives its connection back

CORE_APP = "core"


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


async def migrate(config: dict[str, Any], progress: Any = None) -> None:
    """Apply every pending migration of every app, on the connection already open."""
    executor = MigrationExecutor(get_connection("default"), config["apps"])
    await executor.migrate(None, progress=progress)


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
    from tortoise.context import TortoiseContext
    from tortoise.migrations.autodetector import MigrationAutodetector

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
