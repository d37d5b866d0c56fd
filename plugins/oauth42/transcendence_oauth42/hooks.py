"""The oauth42 module's hookimpls."""

from __future__ import annotations

import json
from pathlib import Path

from transcendence import hookimpl
from transcendence_oauth42.config import settings_of
from transcendence_oauth42.routes import blueprint

HERE = Path(__file__).parent
STATIC = HERE / "static"


@hookimpl
def module_info():
    return {
        "name": "oauth42",
        "title": "Log in with 42",
        "description": "Log in with the 42 intra (OAuth 2.0 authorization code with state and "
        "PKCE, run by the server); link and unlink a 42 account from the settings.",
        "requires": [],
        # The title and description in the platform's other languages (for /about and home).
        "translations": json.loads((HERE / "translations.json").read_text("utf-8")),
    }


@hookimpl
def module_status(app):
    """Without OAUTH42_CLIENT_ID and OAUTH42_CLIENT_SECRET the login answers
    `not_configured` (and `GET /api/oauth42/status` tells the SPA to hide its button)."""
    settings = settings_of(app)
    return {"configured": settings.configured, "message": settings.missing}


@hookimpl
def web_assets():
    """The browser code: the "Log in with 42" button, /login/42, the settings section."""
    return {"static_dir": STATIC, "entry": "index.js", "styles": ["oauth42.css"]}


@hookimpl
def register_models():
    return ["transcendence_oauth42.models"]


@hookimpl
def register_blueprints():
    return [blueprint]
