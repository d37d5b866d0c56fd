"""`/api/auth/...`: signup, login (with the 2FA step), refresh, logout, sessions, 2FA setup."""

from __future__ import annotations

from quart import Blueprint

auth_blueprint = Blueprint("auth", __name__, url_prefix="/api/auth")
