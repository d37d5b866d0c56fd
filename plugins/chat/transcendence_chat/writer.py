"""Group commit: the messages sent at the same moment are stored in one transaction.

A message is acknowledged (and pushed) only once it is committed, and a commit is the
expensive part of storing one: on SQLite every commit waits for the disk (WAL,
synchronous=FULL), and Tortoise holds the one connection for the whole transaction, so one
transaction per message queues every sender behind the previous sender's disk write. Here a
sender queues its message and waits; a writer takes everything queued, stores it in one
transaction (each message still rate-checked in it, exactly as alone), commits once and
answers every waiting sender. When nothing else is queued the batch is one message: no
waiting for company, so a lone message is stored as fast as before.

If the batch fails as a whole (a `client_id` already used, a chat deleted meanwhile, a
deadlock between nodes' locks), nothing of it was committed and each of its messages is
stored again alone, so that each sender gets its own answer, as without batching.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tortoise.transactions import in_transaction

from transcendence.errors import APIError
from transcendence_chat.models import Conversation, Message

log = logging.getLogger("transcendence.chat")

EXTENSION = "chat.writer"

# Rate check of one sender inside the transaction: (connection, user_id) -> raises APIError.
RateCheck = Callable[[Any, int], Awaitable[None]]


@dataclass
class Pending:
    chat_id: int
    sender_id: int | None
    fields: dict[str, Any]
    rate_limited: bool
    done: asyncio.Future[Message] = field(init=False)

    def __post_init__(self) -> None:
        self.done = asyncio.get_running_loop().create_future()


class Writer:
    """One per app (node). `concurrency` batches at once: 1 on SQLite (one connection
    anyway), a few on PostgreSQL, where a pool lets transactions overlap."""

    def __init__(self, check_rate: RateCheck, lock_rates: RateCheck | None, concurrency: int):
        self._check_rate = check_rate
        self._lock_rates = lock_rates
        self._concurrency = concurrency
        self._queue: list[Pending] = []
        self._running: set[asyncio.Task[None]] = set()

    async def write(self, item: Pending) -> Message:
        self._queue.append(item)
        if len(self._running) < self._concurrency:
            task = asyncio.get_running_loop().create_task(self._drain())
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        # Shielded: a sender who goes away does not cancel the others' batch; its message is
        # stored or refused all the same (a retry with its client_id finds it).
        return await asyncio.shield(item.done)

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                await self._store(batch)
            except Exception as exc:
                if len(batch) == 1:
                    self._fail(batch[0], exc)
                    continue
                for item in batch:
                    try:
                        await self._store([item])
                    except Exception as alone:
                        self._fail(item, alone)

    @staticmethod
    def _fail(item: Pending, exc: BaseException) -> None:
        if not item.done.done():
            item.done.set_exception(exc)

    async def _store(self, batch: list[Pending]) -> None:
        rows: list[tuple[Pending, Message]] = []
        refused: list[tuple[Pending, APIError]] = []
        async with in_transaction() as connection:
            limited = sorted({i.sender_id for i in batch if i.rate_limited and i.sender_id})
            if limited and self._lock_rates is not None:
                for user_id in limited:
                    await self._lock_rates(connection, user_id)
            for item in batch:
                if item.rate_limited and item.sender_id is not None:
                    try:
                        await self._check_rate(connection, item.sender_id)
                    except APIError as exc:
                        refused.append((item, exc))
                        continue
                row = await Message.create(
                    using_db=connection,
                    conversation_id=item.chat_id,
                    sender_id=item.sender_id,
                    **item.fields,
                )
                rows.append((item, row))
            newest: dict[int, Message] = {}
            for item, row in rows:
                newest[item.chat_id] = row  # ids grow: the last one of each chat is newest
            for chat_id, row in newest.items():
                await (
                    Conversation.filter(id=chat_id)
                    .using_db(connection)
                    .update(last_message_id=row.id, last_activity_at=row.created_at)
                )
        for item, row in rows:
            if not item.done.done():
                item.done.set_result(row)
        for item, refusal in refused:
            if not item.done.done():
                item.done.set_exception(refusal)


def writer_of(app: Any, make: Callable[[], Writer]) -> Writer:
    found = app.extensions.get(EXTENSION)
    if found is None:
        found = app.extensions[EXTENSION] = make()
    return found
