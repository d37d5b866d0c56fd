"""The chat module's hookimpls."""

from __future__ import annotations

from transcendence import hookimpl


@hookimpl
def module_info():
    return {
        "name": "chat",
        "title": "Chat",
        "description": "Direct, group and channel conversations delivered live, history, "
        "unread counts, blocking, game invitations and tournament notices.",
        "version": "0.1.0",
        "requires": [],
    }


@hookimpl
def register_models():
    return ["transcendence_chat.models"]


@hookimpl
def register_blueprints():
    from transcendence_chat.routes import blueprint, compat

    return [blueprint, (compat, "/api")]


@hookimpl
def register_realtime(hub):
    from transcendence_chat.realtime import register

    register(hub)
