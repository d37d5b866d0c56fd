"""A transaction whose start is cancelled gives its connection back (Tortoise 1.1 does not).

Tortoise takes the connection first (a pool connection on PostgreSQL, the lock of the one
connection on SQLite) and only then sends BEGIN, both inside `__aenter__`. A task cancelled
while BEGIN is on its way (a node stopping its background passes at shutdown, a socket
handler cut off) leaves `__aenter__` by the exception, so `__aexit__` never runs and the
connection stays taken for good: on PostgreSQL the pool's `close()` waits for it (Tortoise
gives it 10 s, so a node's shutdown overruns), and a few of them exhaust the pool; on SQLite
every later transaction waits for the lock for ever.

`install()` (called by `transcendence.db`) replaces the two `__aenter__`s by the same steps
that hand the connection back when BEGIN does not complete, and roll back a BEGIN that
reached the database. The pin `tortoise-orm<2` keeps the attributes used here in place;
`tests/core/test_db_transactions.py` fails if a release changes them.
"""

from __future__ import annotations

import contextlib
from typing import Any

from tortoise.backends.base.client import TransactionContextPooled
from tortoise.backends.sqlite.client import SqliteTransactionContext
from tortoise.connection import get_connections


async def _pooled_enter(self: Any) -> Any:
    await self.ensure_connection()
    pool = self.client._parent._pool
    self.client._connection = await pool.acquire()
    self.token = get_connections().set(self.connection_name, self.client)
    try:
        await self.client.begin()
    except BaseException:
        get_connections().reset(self.token)
        # asyncpg's release resets the connection (a ROLLBACK if BEGIN got through) or, when
        # it cannot, closes it: either way the pool has its slot back.
        await pool.release(self.client._connection)
        raise
    return self.client


async def _sqlite_enter(self: Any) -> Any:
    await self._trxlock.acquire()
    try:
        await self.ensure_connection()
        self.token = get_connections().set(self.connection_name, self.connection)
        try:
            await self.connection.begin()
        except BaseException:
            get_connections().reset(self.token)
            # aiosqlite runs queries in order on its thread: a BEGIN already queued is
            # rolled back here before anyone else can use the connection.
            with contextlib.suppress(Exception):
                await self.connection._connection.rollback()
            raise
    except BaseException:
        self._trxlock.release()
        raise
    return self.connection


def install() -> None:
    TransactionContextPooled.__aenter__ = _pooled_enter  # type: ignore[method-assign]
    SqliteTransactionContext.__aenter__ = _sqlite_enter  # type: ignore[method-assign]
