"""Request helpers of the login routes, public for modules that log people in (oauth42).

A module that opens a session sets the same refresh cookie as `/api/auth/login`, guards
its cookie-authenticated calls with the same origin check and records the same client
address; importing these keeps one definition of each.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from quart import Response, request

from transcendence.accounts import service
from transcendence.core import current_core
from transcendence.errors import APIError

COOKIE = "refresh_token"
COOKIE_PATH = "/api/auth"


def client_ip() -> str:
    """The request's client address (what sessions and rate limits record)."""
    return request.remote_addr or "unknown"


def secure_cookie() -> bool:
    """Whether cookies set now get `Secure`: over HTTPS, in production, or behind TLS."""
    settings = current_core().settings
    return request.scheme == "https" or settings.production or settings.behind_tls_proxy


def set_refresh_cookie(response: Response, token: str) -> None:
    """The session's refresh token, HttpOnly and SameSite=Strict, scoped to `/api/auth`."""
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(service.SESSION_TTL.total_seconds()),
        path=COOKIE_PATH,
        httponly=True,
        secure=secure_cookie(),
        samesite="Strict",
    )


def clear_refresh_cookie(response: Response) -> None:
    response.delete_cookie(
        COOKIE, path=COOKIE_PATH, httponly=True, secure=secure_cookie(), samesite="Strict"
    )


def check_origin() -> None:
    """Cookie-authenticated calls must come from our own pages (SameSite is the first guard)."""
    origin = request.headers.get("Origin")
    if origin and urlsplit(origin).netloc != request.host:
        raise APIError(403, "bad_origin", "cross-site request refused")
