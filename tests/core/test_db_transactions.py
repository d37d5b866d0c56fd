"""A task cancelled while its transaction begins gives the connection back
(`transcendence.db_transactions`).

Found as the pong matchmaking test erroring at teardown: the node's shutdown cancels the
queue's re-pairing pass, now and then while its BEGIN is on the wire, and the pool's close
then waited for that connection past the shutdown's budget. On SQLite the same cancel kept
the connection's lock, so every later transaction waited for ever.
"""

from __future__ import annotations

import asyncio

import pytest
from tortoise.connection import get_connection
from tortoise.transactions import in_transaction

from transcendence.accounts import service
from transcendence.accounts.models import User

GUARD = 10.0  # seconds: a hang fails the test instead of blocking the run


async def test_a_transaction_cancelled_while_it_begins_leaves_the_database_usable(app):
    conn = get_connection("default")
    starting = conn._in_transaction()
    wrapper = type(getattr(starting, "client", None) or starting.connection)
    begin = wrapper.begin
    began = asyncio.Event()

    async def begin_then_stall(self):
        await begin(self)  # BEGIN reached the database...
        if not began.is_set():
            began.set()
            await asyncio.Event().wait()  # ...and the task is cancelled before it returns

    async def transaction_of_a_cancelled_task():
        async with in_transaction():
            raise AssertionError("the transaction's body never runs")

    wrapper.begin = begin_then_stall
    try:
        task = asyncio.create_task(transaction_of_a_cancelled_task())
        await began.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        wrapper.begin = begin

    # The next transaction gets a connection, commits, and its row is there.
    async with asyncio.timeout(GUARD):
        async with in_transaction():
            await service.create_user("after", "after@example.test", None)
    assert await User.filter(username="after").exists()

    if conn.capabilities.dialect == "postgres":
        pool = conn._pool
        # No connection stays taken (the pool's close would wait for it) ...
        assert pool.get_idle_size() == pool.get_size()
        # ... nor open in the transaction that was cut short (holding its locks).
        stuck = await conn.execute_query_dict(
            "SELECT count(*) AS n FROM pg_stat_activity"
            " WHERE datname = current_database() AND state LIKE 'idle in transaction%'"
        )
        assert stuck[0]["n"] == 0
