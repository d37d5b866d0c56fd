"""Messages: the text rules, storing (with the per-sender rate limit) and pushing,
history, read markers and typing."""

from __future__ import annotations

import json
import math
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count

from transcendence.accounts.blocking import blocked_ids, blocked_ids_of
from transcendence.accounts.profiles import summaries_of
from transcendence.core import core_of
from transcendence.errors import APIError
from transcendence.pagination import DB_INT, decode_cursor, page
from transcendence_chat.config import chat_config
from transcendence_chat.conversations import (
    deliver,
    invalid,
    member_ids,
    membership,
    not_found,
    now,
)
from transcendence_chat.models import CHANNEL, DIRECT, SYSTEM, Member, Message
from transcendence_chat.present import message_out, messages_out
from transcendence_chat.roster import roster_of
from transcendence_chat.writer import Pending, Writer, writer_of


def check_text(value: str, max_length: int) -> str:
    """1 to `max_length` characters, not only spaces, no control characters but newlines
    and tabs (PostgreSQL cannot store NUL). Stored and returned exactly as sent."""
    if not value.strip():
        raise ValueError("a message needs some text")
    if len(value) > max_length:
        raise ValueError(f"at most {max_length} characters")
    for ch in value:
        if ch not in "\n\t" and unicodedata.category(ch) in {"Cc", "Cs"}:
            raise ValueError("no control characters (newlines and tabs are fine)")
    return value


def _visible(member: Member, blocked: set[int]):
    query = Message.filter(
        conversation_id=member.conversation_id,  # type: ignore[attr-defined]
        id__gt=member.since_id,
    )
    if blocked:
        query = query.filter(sender_id__not_in=sorted(blocked))  # NULL senders stay
    return query


async def history(user_id: int, chat_id: int, cursor: str | None, limit: int) -> dict[str, Any]:
    """Messages of a chat, newest first, a page at a time (`next` goes further back)."""
    member = await membership(chat_id, user_id)
    query = _visible(member, await blocked_ids(user_id))
    before = decode_cursor(cursor, int)
    if before is not None:
        query = query.filter(id__lt=before)
    rows, next_cursor = page(await query.order_by("-id").limit(limit + 1), limit, lambda m: m.id)
    return {
        "items": await messages_out(rows),
        "next": next_cursor,
        "chat_id": chat_id,
        "last_read_id": member.last_read_id,
    }


# The advisory-lock class of the per-user rate limit ("chat" in ASCII); the user id is the
# other half of the key, so senders never wait for one another.
RATE_LOCK = 0x63686174


# The rate_count-th most recent message of a sender within the window, if there is one (at
# most one row read, through the (sender, created_at) index). Written out: it runs for
# every message, and building it through the ORM cost several times what running it does.
_NTH_RECENT = (
    "SELECT created_at FROM chat_message WHERE sender_id = {0} AND created_at >= {1}"
    " ORDER BY created_at DESC LIMIT 1 OFFSET {2}"
)
_NTH_RECENT_SQL = {
    "postgres": _NTH_RECENT.format("$1", "$2", "$3"),
    "sqlite": _NTH_RECENT.format("?", "?", "?"),
}


async def check_rate(app: Any, user_id: int, connection: Any = None) -> None:
    """At most N messages per user within any W seconds, counted on the stored messages, so
    every node enforces one limit without sharing anything else.

    On its own this is an early refusal only: two sends may both pass it. `store(...,
    rate_limited=True)` checks again, atomically with the insert (`writer`)."""
    config = chat_config(app)
    moment = now()
    connection = connection or Message._meta.db
    sql = _NTH_RECENT_SQL.get(connection.capabilities.dialect)
    since = moment - timedelta(seconds=config.rate_window)
    created_at = Message._meta.fields_map["created_at"]
    if sql is None:  # another backend: the ORM's query
        nth = (
            await Message.filter(sender_id=user_id, created_at__gte=since)
            .using_db(connection)
            .order_by("-created_at")
            .offset(config.rate_count - 1)
            .limit(1)
            .values_list("created_at", flat=True)
        )
    else:
        # The same parameter as the ORM would pass, so it compares with what is stored.
        bound = created_at.to_db_value(since, Message)
        _, nth = await connection.execute_query(sql, [user_id, bound, config.rate_count - 1])
        nth = [row[0] for row in nth]
    if not nth:
        return
    oldest: datetime = created_at.to_python_value(nth[0])
    retry = max(0.0, (oldest + timedelta(seconds=config.rate_window) - moment).total_seconds())
    raise APIError(
        429,
        "rate_limited",
        f"slow down: at most {config.rate_count} messages every {config.rate_window:g} s",
        {"retry_after": round(retry, 3), "limit": config.rate_count, "window": config.rate_window},
        headers={"Retry-After": str(max(1, math.ceil(retry)))},
    )


# Every sender's count within the window, for a batch of senders in one query.
_RECENT_COUNTS = {
    "postgres": "SELECT sender_id, count(*) FROM chat_message"
    " WHERE sender_id = ANY($1::int[]) AND created_at >= $2 GROUP BY sender_id",
    "sqlite": "SELECT sender_id, count(*) FROM chat_message"
    " WHERE sender_id IN (SELECT value FROM json_each(?)) AND created_at >= ? GROUP BY sender_id",
}


class _Rate:
    """The per-user limit, counted on the stored messages inside the transaction that stores
    the new ones, so that count and insert are one step: 200 sends at once store exactly
    `rate_count`, on every node.

    PostgreSQL (several nodes): a transaction-scoped advisory lock per user serialises that
    user's count-then-insert across every connection of every node; it is released at commit.
    SQLite (one node): a transaction already holds the only connection exclusively (Tortoise
    locks it), so nothing else runs between the count and the insert."""

    def __init__(self, app: Any) -> None:
        self.app = app

    @property
    def limit(self) -> int:  # read each time: tests and benchmarks change it
        return chat_config(self.app).rate_count

    async def lock(self, connection: Any, user_ids: list[int]) -> None:
        if connection.capabilities.dialect == "postgres":
            # In id order, so that two nodes' batches never wait for each other in a circle.
            await connection.execute_query(
                "SELECT pg_advisory_xact_lock($1, u)"
                " FROM (SELECT unnest($2::int[]) AS u ORDER BY 1) AS ordered",
                [RATE_LOCK, user_ids],
            )

    async def counts(self, connection: Any, user_ids: list[int]) -> dict[int, int]:
        dialect = connection.capabilities.dialect
        since = now() - timedelta(seconds=chat_config(self.app).rate_window)
        bound = Message._meta.fields_map["created_at"].to_db_value(since, Message)
        if dialect == "postgres":
            _, rows = await connection.execute_query(_RECENT_COUNTS[dialect], [user_ids, bound])
        elif dialect == "sqlite":
            ids = json.dumps(user_ids)
            _, rows = await connection.execute_query(_RECENT_COUNTS[dialect], [ids, bound])
        else:  # another backend: the ORM's query
            rows = await (
                Message.filter(sender_id__in=user_ids, created_at__gte=since)
                .using_db(connection)
                .annotate(n=Count("id"))
                .group_by("sender_id")
                .values_list("sender_id", "n")
            )
        return {int(row[0]): int(row[1]) for row in rows}

    async def refusal(self, connection: Any, user_id: int) -> APIError | None:
        try:
            await check_rate(self.app, user_id, connection)
        except APIError as exc:
            return exc
        return None  # the window moved on since the count: there is room after all


class _Senders:
    async def read(
        self, user_ids: list[int]
    ) -> tuple[dict[int, dict[str, Any]], dict[int, set[int]]]:
        return await summaries_of(user_ids), await blocked_ids_of(user_ids)


def _writer(app: Any) -> Writer:
    def make() -> Writer:
        postgres = not core_of(app).settings.uses_sqlite
        # One batch at a time on SQLite (one connection); on PostgreSQL two overlap, each on
        # a pool connection, leaving the pool's others to the reads of the next messages.
        return Writer(_Rate(app), _Senders(), concurrency=2 if postgres else 1)

    return writer_of(app, make)


async def _existing(user_id: int, client_id: str, chat_id: int) -> dict[str, Any] | None:
    found = await Message.get_or_none(sender_id=user_id, client_id=client_id)
    if found is None:
        return None
    if found.conversation_id != chat_id:  # type: ignore[attr-defined]
        raise APIError(
            409,
            "client_id_reused",
            "this client_id was used for a message in another chat",
            {"field": "client_id"},
        )
    return (await messages_out([found]))[0]


async def store(
    app: Any,
    chat_id: int,
    sender_id: int | None,
    recipients: list[int],
    blocked: set[int] | None,
    *,
    text: str,
    kind: str = "text",
    data: dict[str, Any] | None = None,
    client_id: str | None = None,
    ref: str | None = None,
    sender: dict[str, Any] | None = None,
    rate_limited: bool = False,
    peers: tuple[int, ...] = (),
) -> dict[str, Any]:
    """Store a message (and the chat's activity) and push it to the members who may see it.

    Stored with the messages sent at the same moment, in one transaction (`writer`); pushed
    only once committed. `rate_limited`: the sender's message rate is checked in that
    transaction, atomically with the insert (429 `rate_limited` and nothing stored when over
    it): 200 sends at once store exactly `rate_count`, on every node.

    `blocked` None: the sender's blocks and profile are read with the batch (one query each
    for all its senders), and the message is refused (403 `blocked`) when the sender and one
    of `peers` are blocked."""
    fields = {
        "kind": kind,
        "text": text,
        "data": data or {},
        "client_id": client_id,
        "ref": ref,
    }
    item = Pending(chat_id, sender_id, fields, rate_limited, blocked is None, peers)
    row = await _writer(app).write(item)
    if blocked is None:
        blocked, sender = item.blocked, item.profile
        out = message_out(row, sender)
    else:
        out = message_out(row, sender) if sender is not None else (await messages_out([row]))[0]
    await deliver(app, [u for u in recipients if u not in blocked], "chat.message", out)
    return out


async def _read_roster(chat_id: int) -> tuple[str, tuple[int, ...]] | None:
    rows = await Member.filter(conversation_id=chat_id).values_list("user_id", "conversation__kind")
    if not rows:
        return None
    return str(rows[0][1]), tuple(int(r[0]) for r in rows)  # type: ignore[call-overload,index]


async def _sending(app: Any, chat_id: int, user_id: int) -> tuple[str, list[int]]:
    """The chat's kind and its members, if the user is one of them: kept on this node
    (`roster`), read in one query when not."""
    if not 1 <= chat_id <= DB_INT:
        raise not_found()
    roster = roster_of(app)
    found = await (roster.get(chat_id, _read_roster) if roster else _read_roster(chat_id))
    if found is None or user_id not in found[1]:
        raise not_found()
    return found[0], list(found[1])


async def send_message(
    app: Any,
    user_id: int,
    chat_id: int,
    text: str,
    client_id: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Post a member's text; (message, stored now). A retry with the same `client_id`
    answers the message stored the first time."""
    try:
        text = check_text(text, chat_config(app).max_text)
    except ValueError as exc:
        raise invalid("text", str(exc)) from None
    kind, recipients = await _sending(app, chat_id, user_id)
    if kind == SYSTEM:
        raise APIError(403, "read_only", "nobody writes in the notices chat")
    if client_id is not None:
        found = await _existing(user_id, client_id, chat_id)
        if found is not None:
            return found, False
    # The sender's blocks and profile are read, and the rate checked, with the messages
    # stored at the same moment (`writer`): one query each for all of them.
    try:
        out = await store(
            app,
            chat_id,
            user_id,
            recipients,
            None,
            text=text,
            client_id=client_id,
            rate_limited=True,
            peers=tuple(u for u in recipients if u != user_id) if kind == DIRECT else (),
        )
    except IntegrityError:
        if client_id is None:
            raise
        found = await _existing(user_id, client_id, chat_id)  # the same retry, at once
        if found is None:
            raise
        return found, False
    # Messages sent, on /metrics (docs/operations.md).
    sent = core_of(app).metrics.counter(
        "transcendence_chat_messages_sent", "Messages sent", ["kind"]
    )
    sent.labels(kind).inc()
    return out, True


async def mark_read(
    app: Any, user_id: int, chat_id: int, up_to: int | None = None
) -> dict[str, Any]:
    """Everything (or up to a message) is read: the marker moves on, never back, and every
    member's tab hears `chat.read` when it moved."""
    member = await membership(chat_id, user_id)
    conv = member.conversation
    newest = conv.last_message_id or 0
    target = newest if up_to is None else min(up_to, newest)
    moved = target > member.last_read_id
    if moved:
        # Conditional, so two reads at once can only move it forward.
        await Member.filter(id=member.id, last_read_id__lt=target).update(last_read_id=target)
        member.last_read_id = target
    blocked = await blocked_ids(user_id)
    unread = (
        await _visible(member, blocked)
        .filter(id__gt=member.last_read_id)
        .filter(sender_id__not_in=sorted(blocked | {user_id}))
        .count()
    )
    receipt = {"chat_id": chat_id, "user_id": user_id, "last_read_id": member.last_read_id}
    if moved:
        # A channel's readers are not announced to the whole channel: only my own tabs hear
        # it (to clear the unread badge); direct chats and groups get read receipts.
        if conv.kind == CHANNEL:
            recipients = [user_id]
        else:
            recipients = [u for u in await member_ids(chat_id) if u not in blocked]
        await deliver(app, recipients, "chat.read", receipt)
    return {**receipt, "unread_count": unread}


async def typing(app: Any, user_id: int, chat_id: int) -> None:
    member = await membership(chat_id, user_id)
    if member.conversation.kind == SYSTEM:
        return
    blocked = await blocked_ids(user_id) | {user_id}
    recipients = [u for u in await member_ids(chat_id) if u not in blocked]
    await deliver(app, recipients, "chat.typing", {"chat_id": chat_id, "user_id": user_id})
