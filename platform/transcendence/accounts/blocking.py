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


# Written out: chat asks this for every message, and building the OR query through the ORM
# cost several times what running it does (docs/performance.md, "Chat fan-out").
_BLOCKED = (
    "SELECT blocked_id FROM core_block WHERE blocker_id = {p}"
    " UNION SELECT blocker_id FROM core_block WHERE blocked_id = {p}"
)
_BLOCKED_SQL = {
    "postgres": _BLOCKED.format(p="$1"),
    "sqlite": _BLOCKED.format(p="?"),
}


async def blocked_ids(user_id: int) -> set[int]:
    """Everyone this user blocks or is blocked by."""
    connection = Block._meta.db  # the current transaction's, when in one
    dialect = connection.capabilities.dialect
    sql = _BLOCKED_SQL.get(dialect)
    if sql is None:  # another backend: the ORM's query
        rows = await Block.filter(Q(blocker_id=user_id) | Q(blocked_id=user_id)).values_list(
            "blocker_id", "blocked_id"
        )
        return {other for pair in rows for other in pair if other != user_id}
    params = [user_id] if dialect == "postgres" else [user_id, user_id]
    _, found = await connection.execute_query(sql, params)
    return {int(row[0]) for row in found} - {user_id}
