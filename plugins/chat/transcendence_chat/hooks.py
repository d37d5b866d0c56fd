"""The chat module's hookimpls."""

from __future__ import annotations

import json
from pathlib import Path

from transcendence import hookimpl
from transcendence_chat.notices import post_notice

HERE = Path(__file__).parent
STATIC = HERE / "static"


@hookimpl
def module_info():
    return {
        "name": "chat",
        "title": "Chat",
        "description": "Direct, group and channel conversations delivered live, history, "
        "unread counts, blocking, game invitations and tournament notices.",
        "requires": [],
        # The title and description in the platform's other languages (for /about and home).
        "translations": json.loads((HERE / "translations.json").read_text("utf-8")),
    }


@hookimpl
def register_models():
    return ["transcendence_chat.models"]


@hookimpl
def register_blueprints():
    # CLI start-up: every `transcendence` run loads the hooks; the chat's rules and
    # schemas (~25 ms) load only when an app is built.
    from transcendence_chat.routes import blueprint, compat

    return [blueprint, (compat, "/api")]


@hookimpl
def register_realtime(hub):
    from transcendence_chat.realtime import register  # CLI start-up, as above

    register(hub)


@hookimpl
async def startup(app):
    """Each chat's members, kept on this node for sending and forgotten over the bus."""
    from transcendence_chat import roster  # CLI start-up, as above

    await roster.start(app)


@hookimpl
async def shutdown(app):
    from transcendence_chat import roster  # CLI start-up, as above

    await roster.stop(app)


@hookimpl
def web_assets():
    """The browser code: the /chat view, the chat pop-up and the profile's "Message" button."""
    return {"static_dir": STATIC, "entry": "index.js", "styles": ["chat.css"]}


# --- hooks other modules declare (optional: chat works without them) ----------------------


@hookimpl(optionalhook=True)
async def tournament_notice(app, user_id, text, data):
    """tournament: its announcements land in the user's notices conversation."""
    await post_notice(user_id, text, data, app=app)
