"""Finding an app's hub: `get_hub(app)`, or `current_hub()` in the current app's context."""

from __future__ import annotations

from typing import TYPE_CHECKING

from quart import current_app, has_app_context

if TYPE_CHECKING:
    from quart import Quart

    from transcendence.hub.hub import Hub

EXTENSION = "transcendence.hub"


def get_hub(app: Quart | None = None) -> Hub:
    """The hub of `app` (or of the current app, in a request or a realtime handler)."""
    if app is None:
        hub = current_hub()
        if hub is None:
            raise RuntimeError("no realtime hub here: pass the app, or call from a request")
        return hub
    hub_of_app: Hub = app.extensions[EXTENSION]
    return hub_of_app


def current_hub() -> Hub | None:
    """The hub of the current app (a request, a realtime handler, an app context), else None.

    Code without an app context at hand gets the hub from the `core` its hooks receive
    (`core.hub`): there is no process-wide "last hub serving" to fall back on, so two apps
    in one process (tests, a CLI building one) never answer for each other.
    """
    if has_app_context():
        hub: Hub | None = current_app.extensions.get(EXTENSION)
        return hub
    return None


__all__ = ["EXTENSION", "current_hub", "get_hub"]
