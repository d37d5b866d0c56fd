"""The chat's rules, no HTTP: who may see, send, join and leave; storing and delivering.

Everything raises `APIError` (the core's error, which the socket turns into an error frame
too), so REST routes and realtime handlers share one behaviour.

Blocking (`transcendence.accounts.blocking`) is symmetric here, as in the rest of the
platform: between two users where either blocks the other, no message of one is delivered
to or shown to the other, in any kind of conversation; a direct chat between them refuses
new messages and cannot be opened.
"""

from __future__ import annotations

import logging
import math
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from transcendence.accounts.blocking import blocked_ids
from transcendence.accounts.models import Friendship, User
from transcendence.accounts.profiles import summaries
from transcendence.accounts.social import other_user
from transcendence.bus import BusUnavailable
from transcendence.core import core_of
from transcendence.errors import APIError
from transcendence.hub import get_hub
from transcendence.pagination import DB_INT, decode_cursor, page
from transcendence_chat import pong_bridge
from transcendence_chat.config import chat_config
from transcendence_chat.models import (
    CHANNEL,
    DIRECT,
    GROUP,
    SYSTEM,
    Conversation,
    Member,
    Message,
)
from transcendence_chat.present import (
    chat_out,
    chats_out,
    from_micros,
    message_out,
    messages_out,
    micros,
    people,
    unread_counts,
)

log = logging.getLogger("transcendence.chat")

OWNER = "owner"
INVITE_REF = "pong.invite:{}"


def now() -> datetime:
    return datetime.now(UTC)


def not_found() -> APIError:
    return APIError(404, "not_found", "no such chat")


# --- text ---------------------------------------------------------------------------------


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


def check_title(value: str) -> str:
    value = " ".join(value.split())
    if not 1 <= len(value) <= 64:
        raise ValueError("1 to 64 characters")
    if any(unicodedata.category(ch) in {"Cc", "Cs", "Cf"} for ch in value):
        raise ValueError("no control or invisible characters")
    return value


def _invalid(field: str, message: str) -> APIError:
    return APIError(
        400,
        "validation_error",
        message,
        [{"loc": [field], "msg": message, "type": "value_error"}],
    )


# --- delivery -----------------------------------------------------------------------------


async def deliver(app: Any, user_ids: Iterable[int], type_: str, data: Any) -> None:
    """Push a frame to every tab of these users, on every node (encoded once).

    What is pushed was stored first; if the bus is down the users read it over REST (their
    sockets get `resync` when it is back), so a failure here is logged, not raised.
    """
    ids = sorted(set(user_ids))
    if not ids:
        return
    try:
        await get_hub(app).deliver.to_users(ids, type_, data)
    except BusUnavailable as exc:
        log.warning("%s stored but not pushed live to %d users: %s", type_, len(ids), exc)


async def member_ids(chat_id: int) -> list[int]:
    return list(
        await Member.filter(conversation_id=chat_id).values_list("user_id", flat=True)  # type: ignore[arg-type]
    )


async def members_event(
    app: Any,
    conv: Conversation,
    action: str,
    user_ids: list[int],
    by: int | None,
    extra_recipients: Iterable[int] = (),
) -> None:
    """`chat.members`: who joined, was added, left or was removed (clients re-read the chat)."""
    recipients = set(await member_ids(conv.id)) | set(extra_recipients)
    await deliver(
        app,
        recipients,
        "chat.members",
        {
            "chat_id": conv.id,
            "kind": conv.kind,
            "action": action,
            "user_ids": sorted(user_ids),
            "by": by,
            "owner_id": conv.owner_id,  # type: ignore[attr-defined]
            "member_count": conv.member_count,
        },
    )


# --- reading ------------------------------------------------------------------------------


async def membership(chat_id: int, user_id: int) -> Member:
    """The user's membership of a chat (conversation loaded); 404 for everyone else."""
    if not 1 <= chat_id <= DB_INT:
        raise not_found()
    row = (
        await Member.filter(conversation_id=chat_id, user_id=user_id)
        .select_related("conversation")
        .first()
    )
    if row is None:
        raise not_found()
    return row


async def one_chat(app: Any, user_id: int, chat_id: int) -> dict[str, Any]:
    row = await membership(chat_id, user_id)
    return await chat_out(
        user_id,
        row,
        await blocked_ids(user_id),
        max_members=chat_config(app).max_listed_members,
    )


def _activity_cursor(cursor: str | None) -> tuple[int, int] | None:
    value = decode_cursor(cursor, list)
    if value is None:
        return None
    if (
        len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        or not 0 <= value[0] < 2**62
        or not 0 < value[1] <= DB_INT
    ):
        raise APIError(400, "invalid_cursor", "this cursor is not valid; start again")
    return value[0], value[1]


async def list_chats(app: Any, user_id: int, cursor: str | None, limit: int) -> dict[str, Any]:
    """My conversations, the most recently active first."""
    query = (
        Member.filter(user_id=user_id)
        .select_related("conversation")
        .order_by("-conversation__last_activity_at", "-conversation__id")
    )
    after = _activity_cursor(cursor)
    if after is not None:
        moment = from_micros(after[0])
        query = query.filter(
            Q(conversation__last_activity_at__lt=moment)
            | Q(conversation__last_activity_at=moment, conversation__id__lt=after[1])
        )
    rows, next_cursor = page(
        await query.limit(limit + 1),
        limit,
        lambda m: [micros(m.conversation.last_activity_at), m.conversation.id],
    )
    items = await chats_out(
        user_id, rows, await blocked_ids(user_id), max_members=chat_config(app).max_listed_members
    )
    return {"items": items, "next": next_cursor}


async def unread_summary(user_id: int) -> dict[str, Any]:
    rows = await Member.filter(user_id=user_id).select_related("conversation")
    counts = await unread_counts(user_id, rows, await blocked_ids(user_id))
    chats = {str(chat_id): count for chat_id, count in sorted(counts.items()) if count}
    return {"total": sum(chats.values()), "chats": chats}


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


async def list_members(user_id: int, chat_id: int, cursor: str | None, limit: int):
    await membership(chat_id, user_id)
    query = Member.filter(conversation_id=chat_id).order_by("id")
    after = decode_cursor(cursor, int)
    if after is not None:
        query = query.filter(id__gt=after)
    rows, next_cursor = page(await query.limit(limit + 1), limit, lambda m: m.id)
    known = await people({m.user_id for m in rows})  # type: ignore[attr-defined]
    items = [
        {**known[m.user_id], "role": m.role, "joined_at": m.joined_at.isoformat()}  # type: ignore[attr-defined]
        for m in rows
        if m.user_id in known  # type: ignore[attr-defined]
    ]
    return {"items": items, "next": next_cursor}


# --- direct chats and groups --------------------------------------------------------------


def _direct_key(a: int, b: int) -> str:
    return f"d:{min(a, b)}:{max(a, b)}"


async def open_direct(app: Any, me: User, user_id: int) -> tuple[dict[str, Any], bool]:
    """The direct chat with someone, created on first use; (chat, created)."""
    if not 1 <= user_id <= DB_INT:
        raise APIError(404, "not_found", "no such user")
    other = await other_user(me, user_id)
    if other.id in await blocked_ids(me.id):
        raise APIError(403, "blocked", "you cannot chat with this user")
    key = _direct_key(me.id, other.id)
    created = False
    conv = await Conversation.get_or_none(unique_key=key)
    if conv is None:
        try:
            async with in_transaction():
                conv = await Conversation.create(
                    kind=DIRECT, unique_key=key, member_count=2, last_activity_at=now()
                )
                await Member.create(conversation=conv, user_id=me.id)
                await Member.create(conversation=conv, user_id=other.id)
            created = True
        except IntegrityError:
            conv = await Conversation.get(unique_key=key)  # opened by both at once
    if created:
        await members_event(app, conv, "created", [me.id, other.id], me.id)
    return await one_chat(app, me.id, conv.id), created


async def friend_ids(user_id: int) -> set[int]:
    rows = await Friendship.filter(
        Q(requester_id=user_id) | Q(addressee_id=user_id), status="accepted"
    ).values_list("requester_id", "addressee_id")
    return {other for pair in rows for other in pair if other != user_id}


async def _addable(app: Any, me: User, ids: set[int], already: int) -> list[int]:
    """Check people to put in a group: they exist, nobody blocks anybody, it fits."""
    ids.discard(me.id)
    if not ids:
        raise _invalid("user_ids", "choose at least one other user")
    limit = chat_config(app).max_group_members
    if already + len(ids) > limit:
        raise APIError(
            409,
            "too_many_members",
            f"a group has at most {limit} members",
            {"max_members": limit},
        )
    found = set(
        await User.filter(id__in=sorted(ids), anonymised=False).values_list("id", flat=True)  # type: ignore[arg-type]
    )
    if ids - found:
        raise APIError(
            404, "not_found", "no such user", {"field": "user_ids", "user_ids": sorted(ids - found)}
        )
    refused = ids & await blocked_ids(me.id)
    if refused:
        raise APIError(
            403,
            "blocked",
            "you cannot add these users",
            {"field": "user_ids", "user_ids": sorted(refused)},
        )
    return sorted(ids)


async def create_group(
    app: Any, me: User, title: str, user_ids: list[int], all_friends: bool
) -> dict[str, Any]:
    wanted = {u for u in user_ids if 1 <= u <= DB_INT}
    if len(wanted) != len(set(user_ids)):
        raise APIError(404, "not_found", "no such user", {"field": "user_ids"})
    if all_friends:
        wanted |= await friend_ids(me.id)
    ids = await _addable(app, me, wanted, 1)
    async with in_transaction():
        conv = await Conversation.create(
            kind=GROUP,
            title=title,
            owner_id=me.id,
            member_count=len(ids) + 1,
            last_activity_at=now(),
        )
        await Member.create(conversation=conv, user_id=me.id, role=OWNER)
        await Member.bulk_create([Member(conversation=conv, user_id=uid) for uid in ids])
    await members_event(app, conv, "created", [me.id, *ids], me.id)
    return await one_chat(app, me.id, conv.id)


async def _owned_group(me: User, chat_id: int) -> Member:
    row = await membership(chat_id, me.id)
    conv = row.conversation
    if conv.kind != GROUP:
        raise APIError(400, "not_a_group", "only groups have members added or removed")
    if row.role != OWNER and conv.owner_id is None:  # type: ignore[attr-defined]
        # The owner's account was deleted: the longest-standing member takes over.
        heir = await Member.filter(conversation_id=chat_id).order_by("joined_at", "id").first()
        if heir is not None and heir.id == row.id:
            row.role = OWNER
            await row.save(update_fields=["role"])
            await Conversation.filter(id=chat_id, owner_id=None).update(owner_id=me.id)
            conv.owner_id = me.id  # type: ignore[attr-defined]
    if row.role != OWNER:
        raise APIError(403, "forbidden", "only the group's owner adds or removes members")
    return row


async def add_members(app: Any, me: User, chat_id: int, user_ids: list[int]) -> dict[str, Any]:
    row = await _owned_group(me, chat_id)
    conv = row.conversation
    present = set(await member_ids(chat_id))
    wanted = {u for u in user_ids if 1 <= u <= DB_INT} - present
    if not wanted:
        return await one_chat(app, me.id, chat_id)  # everyone is in already
    ids = await _addable(app, me, wanted, len(present))
    async with in_transaction():
        fresh = await Conversation.filter(id=chat_id).select_for_update().first()
        assert fresh is not None
        since = fresh.last_message_id or 0
        await Member.bulk_create(
            [
                Member(conversation_id=chat_id, user_id=uid, since_id=since, last_read_id=since)
                for uid in ids
            ],
            ignore_conflicts=True,
        )
        count = await Member.filter(conversation_id=chat_id).count()
        await Conversation.filter(id=chat_id).update(member_count=count)
    conv.member_count = count
    await members_event(app, conv, "added", ids, me.id)
    return await one_chat(app, me.id, chat_id)


async def _remove(conv: Conversation, user_id: int) -> Conversation | None:
    """Take someone out; hand ownership on; delete an emptied conversation. Returns the
    conversation as it now is, or None when it was deleted."""
    async with in_transaction():
        locked = await Conversation.filter(id=conv.id).select_for_update().first()
        if locked is None:
            return None
        gone = await Member.filter(conversation_id=conv.id, user_id=user_id).first()
        if gone is None:
            raise not_found()
        await gone.delete()
        left = await Member.filter(conversation_id=conv.id).order_by("joined_at", "id")
        if not left:
            await locked.delete()
            return None
        locked.member_count = len(left)
        if gone.role == OWNER:
            heir = left[0]
            heir.role = OWNER
            await heir.save(update_fields=["role"])
            locked.owner_id = heir.user_id  # type: ignore[attr-defined]
        await locked.save(update_fields=["member_count", "owner_id"])
        return locked


async def remove_member(app: Any, me: User, chat_id: int, user_id: int) -> None:
    if user_id == me.id:
        await leave(app, me, chat_id)
        return
    row = await _owned_group(me, chat_id)
    if not 1 <= user_id <= DB_INT:
        raise APIError(404, "not_found", "not a member of this group")
    try:
        conv = await _remove(row.conversation, user_id)
    except APIError:
        raise APIError(404, "not_found", "not a member of this group") from None
    if conv is not None:
        await members_event(app, conv, "removed", [user_id], me.id, extra_recipients=[user_id])


async def leave(app: Any, me: User, chat_id: int) -> None:
    row = await membership(chat_id, me.id)
    conv = row.conversation
    if conv.kind not in (GROUP, CHANNEL):
        raise APIError(400, "cannot_leave", f"a {conv.kind} chat cannot be left")
    after = await _remove(conv, me.id)
    if after is not None:
        await members_event(app, after, "left", [me.id], me.id, extra_recipients=[me.id])
    else:
        await deliver(
            app,
            [me.id],
            "chat.members",
            {
                "chat_id": chat_id,
                "kind": conv.kind,
                "action": "left",
                "user_ids": [me.id],
                "by": me.id,
                "owner_id": None,
                "member_count": 0,
            },
        )


# --- channels -----------------------------------------------------------------------------


def channel_key(name: str) -> str:
    return name.casefold()


async def create_channel(app: Any, me: User, name: str, title: str | None) -> dict[str, Any]:
    try:
        async with in_transaction():
            conv = await Conversation.create(
                kind=CHANNEL,
                name=name,
                name_key=channel_key(name),
                title=title or f"#{name}",
                owner_id=me.id,
                member_count=1,
                last_activity_at=now(),
            )
            await Member.create(conversation=conv, user_id=me.id, role=OWNER)
    except IntegrityError:
        raise APIError(
            409, "name_taken", f"a channel named {name!r} exists: join it", {"field": "name"}
        ) from None
    return await one_chat(app, me.id, conv.id)


async def join_channel(app: Any, me: User, name: str) -> tuple[dict[str, Any], bool]:
    conv = await Conversation.get_or_none(name_key=channel_key(name), kind=CHANNEL)
    if conv is None:
        raise APIError(404, "not_found", f"no channel named {name!r}", {"field": "name"})
    joined = False
    if not await Member.exists(conversation_id=conv.id, user_id=me.id):
        try:
            async with in_transaction():
                await Member.create(conversation=conv, user_id=me.id)
                count = await Member.filter(conversation_id=conv.id).count()
                await Conversation.filter(id=conv.id).update(member_count=count)
            joined = True
        except IntegrityError:
            pass  # joined twice at once: the other one counted it
    if joined:
        await conv.refresh_from_db(fields=["member_count", "owner_id"])
        await members_event(app, conv, "joined", [me.id], me.id)
    return await one_chat(app, me.id, conv.id), joined


async def list_channels(me: User, q: str | None, cursor: str | None, limit: int):
    """Public channels by name, with whether I am in each."""
    query = Conversation.filter(kind=CHANNEL).order_by("name_key")
    if q:
        query = query.filter(name_key__contains=channel_key(q))
    after = decode_cursor(cursor, str)
    if after is not None:
        query = query.filter(name_key__gt=after)
    rows, next_cursor = page(await query.limit(limit + 1), limit, lambda c: c.name_key)
    mine_query = Member.filter(user_id=me.id, conversation_id__in=[c.id for c in rows])
    mine = set(await mine_query.values_list("conversation_id", flat=True))
    items = [
        {
            "id": c.id,
            "name": c.name,
            "title": c.title,
            "member_count": c.member_count,
            "joined": c.id in mine,
            "created_at": c.created_at.isoformat(),
        }
        for c in rows
    ]
    return {"items": items, "next": next_cursor}


# --- messages -----------------------------------------------------------------------------


# The advisory-lock class of the per-user rate limit ("chat" in ASCII); the user id is the
# other half of the key, so senders never wait for one another.
RATE_LOCK = 0x63686174


async def check_rate(app: Any, user_id: int, connection: Any = None) -> None:
    """At most N messages per user within any W seconds, counted on the stored messages, so
    every node enforces one limit without sharing anything else.

    On its own this is an early refusal only: two sends may both pass it. `store(...,
    rate_limited=True)` checks again, atomically with the insert (`_reserve_rate`)."""
    config = chat_config(app)
    moment = now()
    # The rate_count-th most recent message within the window, if there is one (at most
    # one row read, through the (sender, created_at) index).
    recent = Message.filter(
        sender_id=user_id, created_at__gte=moment - timedelta(seconds=config.rate_window)
    )
    if connection is not None:
        recent = recent.using_db(connection)
    nth = (
        await recent.order_by("-created_at")
        .offset(config.rate_count - 1)
        .limit(1)
        .values_list("created_at", flat=True)
    )
    if not nth:
        return
    oldest: datetime = nth[0]  # type: ignore[assignment]
    retry = max(0.0, (oldest + timedelta(seconds=config.rate_window) - moment).total_seconds())
    raise APIError(
        429,
        "rate_limited",
        f"slow down: at most {config.rate_count} messages every {config.rate_window:g} s",
        {"retry_after": round(retry, 3), "limit": config.rate_count, "window": config.rate_window},
        headers={"Retry-After": str(max(1, math.ceil(retry)))},
    )


async def _reserve_rate(app: Any, connection: Any, user_id: int) -> None:
    """Check the rate inside the transaction that stores the message, so that count and insert
    are one step: 200 sends at once store exactly `rate_count`, on every node.

    PostgreSQL (several nodes): a transaction-scoped advisory lock per user serialises that
    user's count-then-insert across every connection of every node; it is released at commit.
    SQLite (one node): a transaction already holds the only connection exclusively (Tortoise
    locks it), so nothing else runs between the count and the insert."""
    if connection.capabilities.dialect == "postgres":
        await connection.execute_query("SELECT pg_advisory_xact_lock($1, $2)", [RATE_LOCK, user_id])
    await check_rate(app, user_id, connection)


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
    blocked: set[int],
    *,
    text: str,
    kind: str = "text",
    data: dict[str, Any] | None = None,
    client_id: str | None = None,
    ref: str | None = None,
    sender: dict[str, Any] | None = None,
    rate_limited: bool = False,
) -> dict[str, Any]:
    """Store a message (and the chat's activity) and push it to the members who may see it.

    `rate_limited`: the sender's message rate is checked in the same transaction (429
    `rate_limited` and nothing stored when over it)."""
    async with in_transaction() as connection:
        if rate_limited and sender_id is not None:
            await _reserve_rate(app, connection, sender_id)
        row = await Message.create(
            conversation_id=chat_id,
            sender_id=sender_id,
            kind=kind,
            text=text,
            data=data or {},
            client_id=client_id,
            ref=ref,
        )
        await Conversation.filter(id=chat_id).update(
            last_message_id=row.id, last_activity_at=row.created_at
        )
    out = message_out(row, sender) if sender is not None else (await messages_out([row]))[0]
    await deliver(app, [u for u in recipients if u not in blocked], "chat.message", out)
    return out


async def _sending(chat_id: int, user_id: int) -> tuple[str, list[int]]:
    """The chat's kind and its members, if the user is one of them (one query: it runs for
    every message)."""
    if not 1 <= chat_id <= DB_INT:
        raise not_found()
    rows = await Member.filter(conversation_id=chat_id).values_list("user_id", "conversation__kind")
    members = [int(r[0]) for r in rows]  # type: ignore[call-overload]
    if user_id not in members:
        raise not_found()
    return str(rows[0][1]), members  # type: ignore[index]


async def _profile(user_id: int, sender: User | None) -> dict[str, Any] | None:
    if sender is not None:
        return (await summaries([sender]))[0]
    return (await people({user_id})).get(user_id)


async def send_message(
    app: Any,
    user_id: int,
    chat_id: int,
    text: str,
    client_id: str | None = None,
    *,
    sender: User | None = None,
) -> tuple[dict[str, Any], bool]:
    """Post a member's text; (message, stored now). A retry with the same `client_id`
    answers the message stored the first time."""
    try:
        text = check_text(text, chat_config(app).max_text)
    except ValueError as exc:
        raise _invalid("text", str(exc)) from None
    kind, recipients = await _sending(chat_id, user_id)
    if kind == SYSTEM:
        raise APIError(403, "read_only", "nobody writes in the notices chat")
    if client_id is not None:
        found = await _existing(user_id, client_id, chat_id)
        if found is not None:
            return found, False
    # Sequential: measured, running these side by side on PostgreSQL's pool was no faster.
    # The rate is checked when storing, atomically with the insert.
    blocked = await blocked_ids(user_id)
    if kind == DIRECT and any(u in blocked for u in recipients):
        raise APIError(403, "blocked", "you cannot write to this user")
    profile = await _profile(user_id, sender)
    try:
        out = await store(
            app,
            chat_id,
            user_id,
            recipients,
            blocked,
            text=text,
            client_id=client_id,
            sender=profile,
            rate_limited=True,
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


# --- game invitations ---------------------------------------------------------------------


async def _direct_peer(member: Member, user_id: int) -> tuple[int, list[int], set[int]]:
    conv = member.conversation
    if conv.kind != DIRECT:
        raise APIError(400, "not_direct", "invite someone to play from your direct chat")
    recipients = await member_ids(conv.id)
    others = [u for u in recipients if u != user_id]
    if not others:
        raise APIError(409, "conflict", "the other player has left")
    blocked = await blocked_ids(user_id)
    if others[0] in blocked:
        raise APIError(403, "blocked", "you cannot invite this user")
    return others[0], recipients, blocked


async def invite(app: Any, me: User, chat_id: int, options: dict[str, Any]) -> dict[str, Any]:
    """A Pong invitation in a direct chat: pong's invite plus a message of kind `invite`."""
    member = await membership(chat_id, me.id)
    pong_bridge.require(app)
    other, recipients, blocked = await _direct_peer(member, me.id)
    # Early, so that a sender over the limit creates no invitation; store() checks again.
    await check_rate(app, me.id)
    invite_id = await pong_bridge.invite(app, me.id, other, options)
    out = await store(
        app,
        member.conversation.id,
        me.id,
        recipients,
        blocked,
        kind="invite",
        text=f"{me.display_name} invites you to play Pong",
        data={
            "invite_id": invite_id,
            "from": me.id,
            "to": other,
            "options": options,
            "status": "pending",
            "game_id": None,
        },
        ref=INVITE_REF.format(invite_id),
    )
    return {"invite_id": invite_id, "message": out}


async def answer_invite(
    app: Any, me: User, chat_id: int, invite_id: int, accept: bool
) -> dict[str, Any]:
    """The invited player accepts (the game starts: `pong.matched` to both) or declines."""
    await membership(chat_id, me.id)
    pong_bridge.require(app)
    if not 1 <= invite_id <= DB_INT:
        raise APIError(404, "not_found", "no such invitation in this chat")
    row = await Message.get_or_none(conversation_id=chat_id, ref=INVITE_REF.format(invite_id))
    if row is None:
        raise APIError(404, "not_found", "no such invitation in this chat")
    if row.data.get("to") != me.id:
        raise APIError(403, "forbidden", "only the invited player answers an invitation")
    game_id = await pong_bridge.answer(app, me.id, invite_id, accept)
    status = "accepted" if accept else "declined"
    row.data = {**row.data, "status": status, "game_id": game_id, "answered_at": now().isoformat()}
    await row.save(update_fields=["data"])
    out = (await messages_out([row]))[0]
    blocked = await blocked_ids(me.id)
    recipients = [u for u in await member_ids(chat_id) if u not in blocked]
    await deliver(app, recipients, "chat.message_updated", out)
    return {"status": status, "game_id": game_id, "message": out}
