"""Who sits in a seat, for readers in any language.

A match stores its players' names as text (`left_name`, `right_name`): an account's display
name, a guest's name typed at the keyboard, `SECOND_PLAYER` when none was typed, or
`ai_name(level)` for the AI. Those two are English: the API says what the seat is (`kind`:
`user`, `ai` with its `level`, `guest` with `named`) so that a browser words them itself.
"""

from __future__ import annotations

import re
from typing import Any

SECOND_PLAYER = "Player 2"  # the second player of a local game when no name was typed
_AI = re.compile(r"^AI \((easy|normal|hard)\)$")


def ai_name(level: str) -> str:
    return f"AI ({level})"


def seat(user_id: int | None, name: str, mode: str, side: str) -> dict[str, Any]:
    """`{"user_id", "name", "kind", ...}` for one side of a match."""
    if user_id is not None:
        return {"user_id": user_id, "name": name, "kind": "user"}
    ai = _AI.match(name)
    if ai and mode == "ai" and side == "right":
        return {"user_id": None, "name": name, "kind": "ai", "level": ai.group(1)}
    return {"user_id": None, "name": name, "kind": "guest", "named": name != SECOND_PLAYER}
