"""The one place chat reaches the pong module, and only while pong is enabled.

Chat does not require pong: the import happens inside the calls, after checking that the
module is enabled in this app, and pong's errors become the chat's API errors.
"""

from __future__ import annotations

from typing import Any

from transcendence.core import core_of
from transcendence.errors import APIError

# pong's GameError codes, as HTTP statuses.
_STATUS = {
    "not_found": 404,
    "blocked": 403,
    "conflict": 409,
    "already_in_game": 409,
    "unavailable": 503,
}


def enabled(app: Any) -> bool:
    return core_of(app).registry.is_enabled("pong")


def require(app: Any) -> None:
    if not enabled(app):
        raise APIError(
            409, "pong_disabled", "game invitations need the pong module, which is disabled"
        )


def _translate(exc: Any) -> APIError:
    return APIError(_STATUS.get(exc.code, 400), exc.code, exc.message)


async def invite(app: Any, sender_id: int, recipient_id: int, options: dict[str, Any]) -> int:
    """pong's invitation (which also notifies the recipient); its id."""
    require(app)
    from transcendence_pong.hooks import facade
    from transcendence_pong.service import GameError

    try:
        row = await facade(app).invite(sender_id, recipient_id, options)
    except GameError as exc:
        raise _translate(exc) from None
    return int(row.id)


async def answer(app: Any, user_id: int, invite_id: int, accept: bool) -> str | None:
    """Accept (the game id: both players get `pong.matched`) or decline (None)."""
    require(app)
    from transcendence_pong.hooks import facade
    from transcendence_pong.service import GameError

    try:
        return await facade(app).answer_invite(user_id, invite_id, accept)
    except GameError as exc:
        raise _translate(exc) from None
