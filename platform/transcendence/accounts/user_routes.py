"""`/api/me/` and `/api/users/...`: profiles, edits, avatars, friends, blocking, data export."""

from __future__ import annotations

from quart import Blueprint

users_blueprint = Blueprint("users", __name__)
