"""Migrations: they build the schema the models describe, on SQLite and PostgreSQL alike."""

from __future__ import annotations

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
