"""The tournament module's hookimpls."""

from __future__ import annotations

import typer

from transcendence import hookimpl
from transcendence_tournament import service


@hookimpl
def module_info():
    return {
        "name": "tournament",
        "title": "Tournaments",
        "description": "Local tournaments at one keyboard (aliases, brackets, next-match "
        "calls); single elimination or round robin.",
        "version": "0.1.0",
        "requires": ["pong"],
    }


@hookimpl
def register_models():
    return ["transcendence_tournament.models"]


@hookimpl
def register_blueprints():
    from transcendence_tournament.routes import blueprint

    return [blueprint]


@hookimpl
async def match_finished(match):
    tournament = await service.record_result(match)
    if tournament is None or tournament.owner_id is None:  # type: ignore[attr-defined]
        return
    from transcendence.hub import notify

    view = await service.view(tournament)
    if view["next"]:
        a, b = view["next"]["players"]
        await notify(tournament.owner_id, "tournament.next",  # type: ignore[attr-defined]
                     {"tournament_id": tournament.id, "name": tournament.name,
                      "players": [a, b], "message": f"Next match: {a} vs {b}"})
    elif view["winner"]:
        await notify(tournament.owner_id, "tournament.finished",  # type: ignore[attr-defined]
                     {"tournament_id": tournament.id, "name": tournament.name,
                      "winner": view["winner"]})


@hookimpl
def register_commands(cli):
    from transcendence_tournament.cli import register

    app = typer.Typer(help="Tournaments: seed demo data, list them.", no_args_is_help=True)
    register(app)
    cli.add_typer(app, name="tournaments")
