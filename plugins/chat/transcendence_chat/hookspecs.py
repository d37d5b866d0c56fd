"""Hooks the chat module declares (added through `add_hookspecs`).

Chat does not require pong: it declares what it needs from a game provider, and pong
implements these with `@hookimpl(optionalhook=True)` (chat may not be installed). Only
enabled modules are called, so while pong is disabled nothing answers and chat refuses
game invitations with 409 `pong_disabled`.
"""

from __future__ import annotations

from typing import Any

from transcendence.hookspecs import hookspec


@hookspec(firstresult=True)
def chat_game_invite(app: Any, sender_id: int, recipient_id: int, options: dict[str, Any]) -> Any:
    """Invite `recipient_id` to a game (the provider notifies them); the invitation's id.

    *Async allowed.* A refusal raises `transcendence.errors.APIError` (its status and code
    reach the chat's client as they are).
    """


@hookspec(firstresult=True)
def chat_game_answer(app: Any, user_id: int, invite_id: int, accept: bool) -> Any:
    """Accept or decline an invitation: `{"game_id": str | None}` (None when declined).

    *Async allowed.* A refusal raises `transcendence.errors.APIError`.
    """
