"""The stats module's hookimpls."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Annotated

import typer

from transcendence import hookimpl
from transcendence.commands import CLIContext, console
from transcendence_pong.api import Match
from transcendence_stats import service
from transcendence_stats.routes import blueprint

log = logging.getLogger("transcendence.stats")
STATIC = Path(__file__).parent / "static"


@hookimpl
def module_info():
    return {
        "name": "stats",
        "title": "Statistics",
        "description": "User and game-session dashboards and a leaderboard, from aggregates "
        "kept up to date as matches finish.",
        "requires": ["pong"],
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
    # No guard: the core runs each module's match_finished on its own and logs a failure
    # with the module's name. A failed update is caught up by the backfill at the next
    # start, or by `transcendence stats backfill`.
    if result.game == "pong":  # the aggregates read pong's matches today
        await service.record_match(await Match.get(id=result.id))


@hookimpl
async def user_profile_extras(user):
    """The profile's totals and streaks, its latest matches and how many there are in all
    (the browser's profile section renders them: docs/stats.md, "On the profile")."""
    return {
        "stats": await service.profile_summary(user.id),
        "matches": await service.profile_history(user.id),
        "matches_total": await service.history_count(user.id),
    }


async def _backfill() -> None:
    try:
        applied = await service.backfill()
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
    app.extensions["stats"] = asyncio.create_task(_backfill(), name="stats-backfill")


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
                return await service.backfill(batch=batch)

        applied = asyncio.run(run())
        console.print(f"stats: {applied} match results applied")

    cli.add_typer(app, name="stats")
