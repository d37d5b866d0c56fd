"""Authentication for every route: on by default, with one explicit public list.

A route is public only when its endpoint is in `PUBLIC_ENDPOINTS` below or its view is
decorated with `@public` (modules use the decorator; `GET /api/modules` lists them under
each module's `provides.public`). Everything else needs `Authorization: Bearer <access>`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from quart import Quart, current_app, g, request

from transcendence.accounts import revocation, throttle
from transcendence.accounts.models import User
from transcendence.accounts.tokens import AccessClaims, TokenError, decode_access
from transcendence.core import core_of
from transcendence.errors import APIError

F = TypeVar("F", bound=Callable[..., Any])

# The core's public endpoints: operations, introspection, the shell, API docs and the
# steps of logging in. This is the list a reviewer reads.
PUBLIC_ENDPOINTS = frozenset(
    {
        "core.healthz",
        "core.readyz",
        "core.metrics",
        "core.list_modules",
        "core.module_detail",
        "core.index",
        "core.web_asset",
        "module_static",
        "openapi",
        "core.api_docs",
        "auth.signup",
        "auth.login",
        "auth.login_second_factor",
        "auth.refresh",
        "auth.logout",
        "users.avatar",
    }
)


def public(view: F) -> F:
    """Mark a module's view as reachable without a token."""
    view._transcendence_public = True  # type: ignore[attr-defined]
    return view


def is_public(app: Quart, endpoint: str) -> bool:
    if endpoint in PUBLIC_ENDPOINTS:
        return True
    view = app.view_functions.get(endpoint)
    return bool(getattr(view, "_transcendence_public", False))


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def unauthorized(code: str, message: str) -> APIError:
    return APIError(401, code, message, headers={"WWW-Authenticate": 'Bearer realm="api"'})


def claims_from_request(secret: str) -> AccessClaims:
    token = _bearer()
    if token is None:
        raise unauthorized(
            "unauthorized", "authentication required: send Authorization: Bearer <access token>"
        )
    try:
        return decode_access(secret, token)
    except TokenError as exc:
        raise unauthorized(exc.code, exc.message) from exc


def install(app: Quart) -> None:
    """The token guard, this node's set of ended sessions and the login throttle."""
    core = core_of(app)
    namespace = namespace_of(core.settings)
    revoked = revocation.Revocations(core.bus, namespace)
    app.extensions[revocation.EXTENSION] = revoked
    app.extensions[throttle.EXTENSION] = throttle.make_throttle(
        core.settings.redis_url, namespace, signup_limit=core.settings.signups_per_hour
    )

    @app.before_request
    async def _authenticate() -> None:
        endpoint = request.endpoint
        if endpoint is None or is_public(app, endpoint):
            return
        claims = claims_from_request(app.config["SECRET_KEY"])
        if claims.session_id in revoked:
            raise unauthorized("token_revoked", "this session has ended; log in again")
        g.claims = claims


def namespace_of(settings: Any) -> str:
    """Keys and topics of deployments that share a Redis but not a database stay apart
    (the hub derives its own the same way)."""
    return hashlib.sha256(settings.effective_database_url.encode()).hexdigest()[:10]


async def start(app: Quart) -> None:
    """Once the database and the bus are up: load the ended sessions and follow them."""
    revoked: revocation.Revocations = app.extensions[revocation.EXTENSION]
    revoked.on_revoked(core_of(app).hub.close_sessions)
    await revoked.start()


async def stop(app: Quart) -> None:
    await app.extensions[revocation.EXTENSION].stop()
    await app.extensions[throttle.EXTENSION].close()


def current_claims() -> AccessClaims:
    claims = getattr(g, "claims", None)
    if claims is None:
        raise unauthorized("unauthorized", "authentication required")
    return claims


async def current_user() -> User:
    """The authenticated user, loaded once per request; 401 if the token was revoked since."""
    cached = getattr(g, "user", None)
    if cached is not None:
        return cached
    claims = current_claims()
    user = await User.get_or_none(id=claims.user_id)
    if user is None or user.anonymised or user.token_version != claims.token_version:
        raise unauthorized("token_revoked", "this session has ended; log in again")
    g.user = user
    return user


def admin_required(view: F) -> F:
    """403 for players: the route is for admins only."""

    @wraps(view)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        user = await current_user()
        if not user.is_admin:
            raise APIError(403, "forbidden", "this is for admins only")
        return await current_app.ensure_async(view)(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
