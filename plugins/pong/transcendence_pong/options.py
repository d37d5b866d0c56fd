"""Game options from a request or a stored row: the engine's `Options`, or a GameError
`invalid_options`. A leaf of pong's layers (the engine and the errors below it)."""

from __future__ import annotations

from typing import Any

from transcendence_pong.engine import Options
from transcendence_pong.errors import GameError


def parse_options(raw: dict[str, Any] | None) -> Options:
    """Options players may choose (engine.LIMITS, THEMES); unset ones are the defaults."""
    try:
        options = Options(**(raw or {}))
        options.check_offered()
    except (TypeError, ValueError) as exc:
        raise GameError(400, "invalid_options", str(exc)) from None
    return options
