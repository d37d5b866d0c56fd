"""Migrations: they build the schema the models describe, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio

from transcendence import db
from transcendence.plugins import load_modules


async def test_every_model_change_has_its_migration(settings):
    modules = load_modules(settings.modules, settings.extra_modules)
    pending = await db.detect_changes(db.tortoise_config(settings, modules))
    assert [f"{w.app_label}.{w.name}" for w in pending] == [], (
        "run `transcendence db makemigrations` and commit the files"
    )


async def test_migrations_are_applied_and_recorded(app):
    applied = await db.applied_migrations()
    assert ("core", "0001_initial") in applied
    assert ("sample", "0001_initial") in applied
    assert await db.pending_migrations(app.extensions["transcendence"].db_config) == []


async def test_two_nodes_migrating_a_fresh_database_together_both_succeed(
    settings, fresh_database_url
):
    """Two nodes with auto-migrate on, started at once: each has its own connections (its
    own Tortoise context); both migrations succeed and the schema is applied once."""
    from tortoise.context import TortoiseContext

    settings = settings.model_copy(update={"database_url": fresh_database_url})
    modules = load_modules(settings.modules, settings.extra_modules)
    config = db.tortoise_config(settings, modules)

    async def node() -> list[tuple[str, str]]:
        async with TortoiseContext() as ctx:
            await ctx.init(config=config)
            await db.migrate(config)
            return sorted(await db.applied_migrations())

    first, second = await asyncio.gather(node(), node())
    assert first == second
    assert ("core", "0001_initial") in first and ("sample", "0001_initial") in first
