"""Blocking, as other modules ask about it: chat and pong refuse contact across a block."""

from __future__ import annotations

import json
from typing import Any

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


_BLOCKED_MANY_SQL = {
    "postgres": "SELECT blocker_id, blocked_id FROM core_block"
    " WHERE blocker_id = ANY($1::int[]) OR blocked_id = ANY($1::int[])",
    "sqlite": "SELECT blocker_id, blocked_id FROM core_block"
    " WHERE blocker_id IN (SELECT value FROM json_each(?))"
    " OR blocked_id IN (SELECT value FROM json_each(?))",
}


async def blocked_ids_of(user_ids: list[int]) -> dict[int, set[int]]:
    """`blocked_ids` of several users in one query (every one of them is a key)."""
    found: dict[int, set[int]] = {u: set() for u in user_ids}
    if not user_ids:
        return found
    connection = Block._meta.db
    dialect = connection.capabilities.dialect
    sql = _BLOCKED_MANY_SQL.get(dialect)
    if sql is None:  # another backend: one query each
        for user_id in user_ids:
            found[user_id] = await blocked_ids(user_id)
        return found
    ids = [int(u) for u in user_ids]
    params: list[Any] = [ids] if dialect == "postgres" else [json.dumps(ids)] * 2
    _, rows = await connection.execute_query(sql, params)
    for blocker, blocked in rows:
        if blocker in found and blocked != blocker:
            found[blocker].add(int(blocked))
        if blocked in found and blocked != blocker:
            found[blocked].add(int(blocker))
    return found
