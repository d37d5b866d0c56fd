"""Where the pong module keeps its per-app state (`Pong` in facade.py, made by its `startup`
hook).

A leaf of the module, so its routes and realtime handlers (which the hooks import) reach the
state without importing the facade and what it imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from quart import Quart

from transcendence_pong.errors import GameError

if TYPE_CHECKING:
    from transcendence_pong.facade import Pong

EXTENSION = "pong"


def facade(app: Quart) -> Pong:
    """The module's state in this app (created when the module starts)."""
    found: Pong | None = app.extensions.get(EXTENSION)
    if found is None:
        raise GameError(503, "unavailable", "the pong module is not running")
    return found


__all__ = ["EXTENSION", "facade"]
