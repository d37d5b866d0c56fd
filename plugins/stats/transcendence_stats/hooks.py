"""The stats module's hookimpls."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Annotated

import typer

from transcendence import hookimpl
from transcendence.bus import InProcessBus
from transcendence.commands import CLIContext, console
from transcendence.core import core_of
from transcendence.games import HookSource
from transcendence.registry import Registry
from transcendence_stats import aggregation, dashboards
from transcendence_stats.routes import blueprint

log = logging.getLogger("transcendence.stats")
STATIC = Path(__file__).parent / "static"


@hookimpl
def module_info():
    return {
        "name": "stats",
        "title": "Statistics",
        "description": "User and game-session dashboards and a leaderboard, from aggregates "
        "kept up to date as matches of every game finish.",
        # No game required: it counts the matches of whichever games are enabled.
        "requires": [],
    }


@hookimpl
def web_assets():
    """The browser code: the dashboards, the leaderboard and the profile section."""
    return {"static_dir": STATIC, "entry": "index.js", "styles": ["stats.css"]}


@hookimpl
def register_models():
    return ["transcendence_stats.models"]


@hookimpl
def register_blueprints():
    return [blueprint]


@hookimpl
async def match_finished(result):
    # Any game's result (the game API). No guard: the core runs each module's match_finished
    # on its own and logs a failure with the module's name. A failed update is caught up
    # by the backfill at the next start, or by `transcendence stats backfill`.
    await aggregation.record_match(result)


@hookimpl
async def user_profile_extras(user):
    """The profile's totals and streaks, its latest matches and how many there are in all
    (the browser's profile section renders them: docs/stats.md, "On the profile")."""
    return {
        "stats": await dashboards.profile_summary(user.id),
        "matches": await dashboards.profile_history(user.id),
        "matches_total": await dashboards.history_count(user.id),
    }


async def _backfill(hooks: HookSource) -> None:
    try:
        applied = await aggregation.backfill(hooks)
        if applied:
            log.info("stats: caught up with %d match results", applied)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("stats: backfill failed")


@hookimpl
async def startup(app):
    # Matches that finished while the module was off (or whose update failed) are counted
    # now, in the background; each is applied once whichever node gets there first.
    backfill = _backfill(core_of(app))
    app.extensions["stats"] = asyncio.create_task(backfill, name="stats-backfill")


@hookimpl
async def shutdown(app):
    task = app.extensions.pop("stats", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@hookimpl
def register_commands(cli):
    app = typer.Typer(help="Statistics: catch up with finished matches.", no_args_is_help=True)

    @app.command()
    def backfill(
        batch: Annotated[int, typer.Option(min=1, max=5000, help="Matches per transaction.")] = 500,
    ):
        """Count every finished match the aggregates do not include yet (idempotent)."""
        ctx = CLIContext()

        async def run():
            async with ctx.database():
                registry = Registry(ctx.modules, InProcessBus())  # the enabled games
                await registry.refresh()
                return await aggregation.backfill(registry, batch=batch)

        applied = asyncio.run(run())
        console.print(f"stats: {applied} match results applied")

    cli.add_typer(app, name="stats")
