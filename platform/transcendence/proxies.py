"""The client's real address, scheme and host behind a reverse proxy we trust.

Behind nginx every connection comes from nginx: without this, every client would share its
address (one client's failed logins would throttle everyone) and the app would believe it
is served over plain HTTP on nginx's upstream host. Hypercorn's `ProxyFixMiddleware` reads
`X-Forwarded-For` / `-Proto` / `-Host` (the last value of each, the one our proxy wrote),
but believes whoever sends them; so it runs only for a socket peer inside the configured
`TRANSCENDENCE_TRUSTED_PROXIES`. Anyone else's forwarded headers change nothing.

It rewrites the ASGI scope (`client`, `scheme`, the `Host` header), so everything reading
`request.remote_addr`, `request.scheme` or `request.host` (login throttles, sessions, the
refresh cookie's `Secure`, the Origin check, HSTS) sees the corrected
values without knowing about proxies.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from hypercorn.middleware import ProxyFixMiddleware

from transcendence.settings import Network

ASGIApp = Callable[..., Awaitable[None]]

# One proxy (the bundled nginx) writes the last value of each header.
TRUSTED_HOPS = 1


def peer_is_trusted(client: object, networks: Sequence[Network]) -> bool:
    """Whether a scope's `client` (host, port) lies in one of `networks`."""
    if not networks or not isinstance(client, list | tuple) or not client:
        return False
    try:
        address = ipaddress.ip_address(str(client[0]))
    except ValueError:  # a Unix socket path, or nothing usable
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        # A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d.
        address = address.ipv4_mapped
    return any(address in network for network in networks)


class _WebSocketScheme:
    """X-Forwarded-Proto says `https`; a socket's ASGI scheme is `wss` (and `http` → `ws`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket" and scope.get("scheme") in ("http", "https"):
            scope = {**scope, "scheme": "wss" if scope["scheme"] == "https" else "ws"}
        await self.app(scope, receive, send)


class TrustedProxies:
    """ASGI middleware: apply the forwarded headers only when the peer is a trusted proxy."""

    def __init__(self, app: ASGIApp, networks: Sequence[Network]) -> None:
        self.app = app
        self.networks = tuple(networks)
        self.fixed = ProxyFixMiddleware(
            _WebSocketScheme(app),  # type: ignore[arg-type]
            mode="legacy",  # X-Forwarded-*, what nginx sends; `Forwarded` is ignored
            trusted_hops=TRUSTED_HOPS,
        )

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket") and peer_is_trusted(
            scope.get("client"), self.networks
        ):
            await self.fixed(scope, receive, send)  # type: ignore[arg-type]
        else:
            await self.app(scope, receive, send)


def install(app: Any, networks: Sequence[Network]) -> None:
    """Wrap `app.asgi_app` (outermost: after every other wrapper, so `/ws` is covered too)."""
    if networks:
        app.asgi_app = TrustedProxies(app.asgi_app, networks)
