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
            tournament.owner_id,  # type: ignore[attr-defined]
            f"{tournament.name}: next match, {a} vs {b}",
            {"kind": "tournament.next", "tournament_id": tournament.id, "players": [a, b]},
        )
    elif view["winner"]:
        await notify(
            tournament.owner_id,
            "tournament.finished",  # type: ignore[attr-defined]
            {"tournament_id": tournament.id, "name": tournament.name, "winner": view["winner"]},
        )
        await _chat_notice(
            tournament.owner_id,  # type: ignore[attr-defined]
            f"{tournament.name}: {view['winner']} wins the tournament",
            {
                "kind": "tournament.finished",
                "tournament_id": tournament.id,
                "winner": view["winner"],
            },
        )


async def _chat_notice(user_id, text, data):
    """Also in the owner's chat notices, when the (optional) chat module is installed and
    enabled; post_notice does nothing while chat is disabled."""
    try:
        from transcendence_chat import post_notice
    except ImportError:
        return
    await post_notice(user_id, text, data)


@hookimpl
def register_commands(cli):
    from transcendence_tournament.cli import register

    app = typer.Typer(help="Tournaments: seed demo data, list them.", no_args_is_help=True)
    register(app)
    cli.add_typer(app, name="tournaments")
