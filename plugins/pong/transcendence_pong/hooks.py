"""The pong module's hookimpls (its entry point, pyproject.toml); nothing imports this."""

from __future__ import annotations

from pathlib import Path

from transcendence import hookimpl
from transcendence_pong import hookspecs, terminal
from transcendence_pong import realtime as pong_realtime
from transcendence_pong.facade import Pong
from transcendence_pong.game import PONG
from transcendence_pong.routes import blueprint
from transcendence_pong.state import EXTENSION, facade

STATIC = Path(__file__).parent / "static"


@hookimpl
def module_info():
    return {
        "name": "pong",
        "title": "Pong",
        "description": "Server-authoritative Pong: local, remote (queue and invitations), "
        "against the AI, spectators, match records.",
        "requires": [],
    }


@hookimpl
def add_hookspecs(pm):
    pm.add_hookspecs(hookspecs)


@hookimpl
def register_games():
    """Pong for other modules (tournament, stats, chat): `transcendence.games`."""
    return [PONG]


@hookimpl
def register_models():
    return ["transcendence_pong.models"]


@hookimpl
def register_blueprints():
    return [blueprint]


@hookimpl
def register_realtime(hub):
    pong_realtime.register(hub)


@hookimpl
def register_commands(cli):
    """`transcendence play`: a terminal client for remote games (docs/play.md)."""
    terminal.register(cli)


@hookimpl
def web_assets():
    return {"static_dir": STATIC, "entry": "index.js", "styles": ["pong.css"]}


@hookimpl
async def startup(app, core):
    pong = Pong(core)
    app.extensions[EXTENSION] = pong
    await pong.games.start()
    pong.start_pairing()


@hookimpl
async def shutdown(app):
    found = app.extensions.pop(EXTENSION, None)
    if found is not None:
        await found.stop()


# --- hooks other modules declare (optional: pong works without them) ----------------------


@hookimpl(optionalhook=True)
async def chat_game_invite(app, sender_id, recipient_id, options):
    """chat: an invitation from a direct chat."""
    row = await facade(app).invite(sender_id, recipient_id, options)
    return int(row.id)


@hookimpl(optionalhook=True)
async def chat_game_answer(app, user_id, invite_id, accept):
    """chat: the invited player answers from the chat."""
    return {"game_id": await facade(app).answer_invite(user_id, invite_id, accept)}
