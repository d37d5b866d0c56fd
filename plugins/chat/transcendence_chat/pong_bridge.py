"""Game invitations from a direct chat, through the hooks chat declares (`hookspecs.py`).

Chat does not require pong and imports none of it: pong implements `chat_game_invite` and
`chat_game_answer`, and only an enabled module's implementation is called. Its refusals
arrive as the core's `APIError`, with pong's own statuses.
"""

from __future__ import annotations

from typing import Any

from transcendence.core import core_of
from transcendence.errors import APIError
from transcendence.plugins import await_result


def _provider(app: Any, hook_name: str) -> Any:
    hook = core_of(app).registry.hook(hook_name)
    if not hook.get_hookimpls():
        raise APIError(
            409, "pong_disabled", "game invitations need the pong module, which is disabled"
        )
    return hook


def require(app: Any) -> None:
    _provider(app, "chat_game_invite")


async def invite(app: Any, sender_id: int, recipient_id: int, options: dict[str, Any]) -> int:
    """The provider's invitation (which also notifies the recipient); its id."""
    hook = _provider(app, "chat_game_invite")
    result = hook(app=app, sender_id=sender_id, recipient_id=recipient_id, options=options)
    return int(await await_result(result))


async def answer(app: Any, user_id: int, invite_id: int, accept: bool) -> str | None:
    """Accept (the game id: both players get `pong.matched`) or decline (None)."""
    hook = _provider(app, "chat_game_answer")
    result = hook(app=app, user_id=user_id, invite_id=invite_id, accept=accept)
    answered = await await_result(result)
    return answered.get("game_id") if answered else None
