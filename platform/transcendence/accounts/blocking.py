"""Blocking, as other modules ask about it: chat and pong refuse contact across a block."""

from __future__ import annotations

from tortoise.expressions import Q

from transcendence.accounts.models import Block


def _between(a_id: int, b_id: int) -> Q:
    return Q(blocker_id=a_id, blocked_id=b_id) | Q(blocker_id=b_id, blocked_id=a_id)


async def is_blocked(a_id: int, b_id: int) -> bool:
    """True when either user blocks the other."""
    if a_id == b_id:
        return False
    return await Block.filter(_between(a_id, b_id)).exists()


async def blocked_ids(user_id: int) -> set[int]:
    """Everyone this user blocks or is blocked by."""
    rows = await Block.filter(Q(blocker_id=user_id) | Q(blocked_id=user_id)).values_list(
        "blocker_id", "blocked_id"
    )
    return {other for pair in rows for other in pair if other != user_id}
