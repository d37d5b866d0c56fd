"""The tournament module's hookimpls."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from transcendence import hookimpl
from transcendence.hub import notify
from transcendence_tournament import cli as commands
from transcendence_tournament import hookspecs, realtime, service
from transcendence_tournament.online import calls, presentation
from transcendence_tournament.routes import blueprint

HERE = Path(__file__).parent


@hookimpl
def module_info():
    return {
        "name": "tournament",
        "title": "Tournaments",
        "description": "Local tournaments at one keyboard and online ones (join with an "
        "alias, start on time or when full, live match calls, no-show forfeits); single "
        "elimination or round robin; of any game (pong by default).",
        # Any game module will do (`transcendence.games`): none is required.
        "requires": [],
        # The title and description in the platform's other languages (for /about and home).
        "translations": json.loads((HERE / "translations.json").read_text("utf-8")),
    }


@hookimpl
def add_hookspecs(pm):
    pm.add_hookspecs(hookspecs)


@hookimpl
def register_models():
    return ["transcendence_tournament.models"]


@hookimpl
def register_blueprints():
    return [blueprint]


@hookimpl
def register_realtime(hub):
    realtime.register(hub)


@hookimpl
def web_assets():
    """The browser code: /tournaments and the bracket views (docs/tournament.md, Browser)."""
    static = Path(__file__).parent / "static"
    return {"static_dir": static, "entry": "index.js", "styles": ["tournament.css"]}


@hookimpl
async def startup(app):
    """Arm this node's timers again from the database (starts on time, no-show deadlines)."""
    await calls.rearm(app)


@hookimpl
async def shutdown(app):
    timers = app.extensions.pop("tournament", None)
    if timers is not None:
        await timers.stop()


@hookimpl
async def match_player_joined(game, match_id, user_id, core):
    # A failure is logged by the core (with this module's name); the no-show deadline
    # still decides.
    await calls.player_joined(core.app, game, match_id, user_id)


@hookimpl
async def match_interrupted(result, core):
    """Its match was lost with its node: offer (local) or call (online) the match again."""
    tournament = await service.forget_game(result.id)
    if tournament is not None and tournament.kind == "online":
        await calls.advance(core.app, tournament)
        await presentation.broadcast(core.app, tournament)


@hookimpl
async def match_finished(result, core):
    app = core.app if core is not None else None  # None: `tournaments seed --play`
    # No guard: the core runs every module's match_finished on its own and logs a failure.
    if app is not None and await calls.match_finished(app, result):
        return
    tournament = await service.record_result(result)
    if tournament is None or tournament.owner_id is None:  # type: ignore[attr-defined]
        return
    view = await service.local_view(tournament)
    if view["next"]:
        a, b = view["next"]["players"]
        await notify(
            tournament.owner_id,
            "tournament.next",  # type: ignore[attr-defined]
            {
                "tournament_id": tournament.id,
                "name": tournament.name,
                "players": [a, b],
                "message": f"Next match: {a} vs {b}",
            },
        )
        await _chat_notice(
            app,
            tournament.owner_id,  # type: ignore[attr-defined]
            f"{tournament.name}: next match, {a} vs {b}",
            {
                "kind": "tournament.next",
                "tournament_id": tournament.id,
                "name": tournament.name,
                "players": [a, b],
                "left": a,
                "right": b,
            },
        )
    elif view["winner"]:
        await notify(
            tournament.owner_id,
            "tournament.finished",  # type: ignore[attr-defined]
            {"tournament_id": tournament.id, "name": tournament.name, "winner": view["winner"]},
        )
        await _chat_notice(
            app,
            tournament.owner_id,  # type: ignore[attr-defined]
            f"{tournament.name}: {view['winner']} wins the tournament",
            {
                "kind": "tournament.finished",
                "tournament_id": tournament.id,
                "name": tournament.name,
                "winner": view["winner"],
            },
        )


async def _chat_notice(app, user_id, text, data):
    """Also in the owner's chat notices (`tournament_notice`: chat implements it)."""
    if app is not None:
        await presentation.chat_notice(app, user_id, text, data)


@hookimpl
def register_commands(cli):
    app = typer.Typer(help="Tournaments: seed demo data, list them.", no_args_is_help=True)
    commands.register(app)
    cli.add_typer(app, name="tournaments")
