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
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from tortoise.transactions import in_transaction

from transcendence.errors import APIError
from transcendence_chat.models import Conversation, Message

log = logging.getLogger("transcendence.chat")

EXTENSION = "chat.writer"
# Messages per transaction at most: SQLite caps a statement's parameters (32,766).
MAX_BATCH = 256


class Rate(Protocol):
    """The per-sender limit, as the writer applies it inside its transaction."""

    @property
    def limit(self) -> int: ...

    async def lock(self, connection: Any, user_ids: list[int]) -> None:
        """Hold off other transactions counting these senders until this one ends."""

    async def counts(self, connection: Any, user_ids: list[int]) -> dict[int, int]:
        """Messages of each sender within the window, as stored (this transaction's too)."""

    async def refusal(self, connection: Any, user_id: int) -> APIError | None:
        """The 429 a sender over the limit gets (with when to retry); None when the window
        moved on since the count and there is room after all."""


class Senders(Protocol):
    """What the batch reads of its senders: their short profiles and whom they block or
    are blocked by, for all of them at once."""

    async def read(
        self, user_ids: list[int]
    ) -> tuple[dict[int, dict[str, Any]], dict[int, set[int]]]: ...


@dataclass
class Pending:
    chat_id: int
    sender_id: int | None
    fields: dict[str, Any]
    rate_limited: bool
    # Read the sender's profile and blocks in the batch (`profile`, `blocked` once done);
    # `peers`: refuse (403 `blocked`) when the sender and one of them are blocked.
    read_sender: bool = False
    peers: tuple[int, ...] = ()
    profile: dict[str, Any] | None = None
    blocked: set[int] = field(default_factory=set)
    done: asyncio.Future[Message] = field(init=False)

    def __post_init__(self) -> None:
        self.done = asyncio.get_running_loop().create_future()


class Writer:
    """One per app (node). `concurrency` batches at once: 1 on SQLite (one connection
    anyway), a few on PostgreSQL, where a pool lets transactions overlap."""

    def __init__(self, rate: Rate, senders: Senders, concurrency: int):
        self._rate = rate
        self._senders = senders
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
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                await self._store(batch)
            except asyncio.CancelledError as exc:
                # The node is stopping: nobody is left waiting for an answer that never comes.
                # Unanswered is not acknowledged: a message whose commit was under way may be
                # stored all the same, and a retry with its client_id finds it.
                for item in [*batch, *self._queue]:
                    self._fail(item, exc)
                self._queue = []
                raise
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

    @staticmethod
    async def _insert_many(connection: Any, items: list[Pending]) -> list[Message]:
        """The batch's messages in one INSERT (two round trips on PostgreSQL), each sender
        getting its own row back: ids are drawn first in order on PostgreSQL; on SQLite,
        which holds its one connection for the transaction, the rows of one INSERT get
        consecutive ids in the order of its VALUES."""
        moment = datetime.now(UTC)
        rows = [
            Message(
                conversation_id=item.chat_id,
                sender_id=item.sender_id,
                created_at=moment,
                **item.fields,
            )
            for item in items
        ]
        if connection.capabilities.dialect == "postgres":
            _, drawn = await connection.execute_query(
                "SELECT nextval(pg_get_serial_sequence('chat_message', 'id'))"
                " FROM generate_series(1, $1)",
                [len(items)],
            )
            ids = sorted(int(r[0]) for r in drawn)
            await connection.execute_query(
                "INSERT INTO chat_message"
                " (id, conversation_id, sender_id, kind, text, data, client_id, ref, created_at)"
                " SELECT i, c, s, k, t, d::jsonb, ci, r, $9"
                " FROM unnest($1::int[], $2::int[], $3::int[], $4::text[], $5::text[],"
                " $6::text[], $7::text[], $8::text[]) AS v(i, c, s, k, t, d, ci, r)",
                [
                    ids,
                    [m.conversation_id for m in rows],  # type: ignore[attr-defined]
                    [m.sender_id for m in rows],  # type: ignore[attr-defined]
                    [m.kind for m in rows],
                    [m.text for m in rows],
                    [json.dumps(m.data) for m in rows],
                    [m.client_id for m in rows],
                    [m.ref for m in rows],
                    moment,
                ],
            )
        else:
            data = Message._meta.fields_map["data"]
            params: list[Any] = []
            for m in rows:
                params += [
                    m.conversation_id,  # type: ignore[attr-defined]
                    m.sender_id,  # type: ignore[attr-defined]
                    m.kind,
                    m.text,
                    data.to_db_value(m.data, m),
                    m.client_id,
                    m.ref,
                    moment,
                ]
            values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * len(rows))  # placeholders only
            _, got = await connection.execute_query(
                "INSERT INTO chat_message"  # noqa: S608 - nothing but placeholders joined in
                " (conversation_id, sender_id, kind, text, data, client_id, ref, created_at)"
                f" VALUES {values} RETURNING id",
                params,
            )
            ids = sorted(int(r[0]) for r in got)
        for id_, row in zip(ids, rows, strict=True):
            row.id = id_
            row._saved_in_db = True
        return rows

    @staticmethod
    async def _insert(connection: Any, item: Pending) -> Message:
        return await Message.create(
            using_db=connection,
            conversation_id=item.chat_id,
            sender_id=item.sender_id,
            **item.fields,
        )

    async def _store(self, batch: list[Pending]) -> None:
        rows: list[tuple[Pending, Message]] = []
        refused: list[tuple[Pending, APIError]] = []
        async with in_transaction() as connection:
            reading = sorted({i.sender_id for i in batch if i.read_sender and i.sender_id})
            if reading:
                profiles, blocks = await self._senders.read(reading)
                for item in batch:
                    if item.read_sender and item.sender_id:
                        item.profile = profiles.get(item.sender_id)
                        item.blocked = blocks[item.sender_id]
            allowed = []
            for item in batch:
                if any(p in item.blocked for p in item.peers):
                    refused.append(
                        (item, APIError(403, "blocked", "you cannot write to this user"))
                    )
                else:
                    allowed.append(item)
            batch = allowed
            # The batch's senders are locked and counted once, then each message takes one of
            # its sender's remaining places in turn: the same outcome as one at a time.
            limited = sorted({i.sender_id for i in batch if i.rate_limited and i.sender_id})
            left: dict[int, int] = {}
            if limited:
                await self._rate.lock(connection, limited)
                counts = await self._rate.counts(connection, limited)
                left = {u: self._rate.limit - counts.get(u, 0) for u in limited}
            over: list[Pending] = []
            accepted: list[Pending] = []
            for item in batch:
                if item.rate_limited and item.sender_id is not None:
                    if left[item.sender_id] <= 0:
                        over.append(item)
                        continue
                    left[item.sender_id] -= 1
                accepted.append(item)
            dialect = connection.capabilities.dialect
            # One message on PostgreSQL: the ORM's INSERT ... RETURNING is one round trip,
            # where drawing its id first would be two.
            if len(accepted) > 1 or (accepted and dialect == "sqlite"):
                stored = await self._insert_many(connection, accepted)
                rows.extend(zip(accepted, stored, strict=True))
            elif accepted:
                rows.append((accepted[0], await self._insert(connection, accepted[0])))
            for item in over:  # rare: the when-to-retry is read for each
                assert item.sender_id is not None
                refusal = await self._rate.refusal(connection, item.sender_id)
                if refusal is None:
                    rows.append((item, await self._insert(connection, item)))
                else:
                    refused.append((item, refusal))
            newest: dict[int, Message] = {}
            for item, row in rows:
                if item.chat_id not in newest or row.id > newest[item.chat_id].id:
                    newest[item.chat_id] = row
            if dialect == "postgres" and newest:
                await connection.execute_query(
                    "UPDATE chat_conversation AS c"
                    " SET last_message_id = v.mid, last_activity_at = v.at"
                    " FROM unnest($1::int[], $2::int[], $3::timestamptz[]) AS v(cid, mid, at)"
                    " WHERE c.id = v.cid",
                    [
                        list(newest),
                        [row.id for row in newest.values()],
                        [row.created_at for row in newest.values()],
                    ],
                )
            elif dialect == "sqlite" and newest:
                values = " UNION ALL ".join(["SELECT ? AS cid, ? AS mid, ? AS at"] * len(newest))
                await connection.execute_query(
                    "UPDATE chat_conversation"  # noqa: S608 - nothing but placeholders joined in
                    " SET last_message_id = v.mid, last_activity_at = v.at"
                    f" FROM ({values}) AS v WHERE chat_conversation.id = v.cid",
                    [x for cid, row in newest.items() for x in (cid, row.id, row.created_at)],
                )
            else:
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
