"""Storing how a game ended: finished (with its rating change, in one transaction),
interrupted (no node could carry it on) or cancelled (it counts for no one).

The finished record is the one write that matters: it retries until the database answers,
and when it never does, the result is logged in full (JSON) for an operator to restore.
What a match counts for is the record rule's (records.py); this module only stores it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from transcendence_pong import ratings
from transcendence_pong.engine import Side
from transcendence_pong.models import Match
from transcendence_pong.room import Room

log = logging.getLogger("transcendence.pong")

# Recording a finished match retries until the database answers: first after this many
# seconds, then twice as long each time up to the cap, for at most RECORD_GIVE_UP seconds in
# all; then the result is logged in full (JSON) for an operator to restore. Never lost quietly.
RECORD_RETRY_FIRST = 0.05
RECORD_RETRY_MAX = 5.0
RECORD_GIVE_UP = 600.0


class NotRecorded(Exception):
    """The database never took a finished match (its result was logged as JSON)."""


def finished_result(room: Room) -> dict[str, Any]:
    """The row's fields for a finished match (`ended_at` also marks this node's write)."""
    engine = room.engine
    return {
        "status": "finished",
        "left_score": engine.scores[Side.LEFT],
        "right_score": engine.scores[Side.RIGHT],
        "winner": engine.winner.value if engine.winner else None,
        "forfeit": engine.forfeited is not None,
        # `keyboard` stays in the record: what the game counts for depends on it (records.py).
        "record": {
            **engine.record(),
            "keyboard": room.keyboard,
            "ai_level": room.ai_level,  # a rematch plays the same AI
        },
        "ended_at": datetime.now(UTC),
    }


async def record(room: Room) -> Match:
    """Store the finished match (never lost: this is the one write that matters)."""
    await record_finished(room)
    return await Match.get(id=room.id)


async def record_finished(
    room: Room,
    *,
    give_up: float | None = None,
    between: Callable[[], Awaitable[None]] | None = None,
) -> Match | None:
    """Store the finished match and its rating change, retrying (capped backoff) until the
    database answers. The match, when this call recorded it; None when it was no longer
    running (another node recorded it). `between`: called between attempts (the lease kept).

    After `give_up` seconds (RECORD_GIVE_UP), or when cancelled (shutdown), the full result
    is logged as an error with its JSON and NotRecorded (or the cancellation) is raised.
    """
    result = finished_result(room)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (RECORD_GIVE_UP if give_up is None else give_up)
    delay = RECORD_RETRY_FIRST
    failures = 0
    try:
        while True:
            try:
                match = await _write_finished(room, result)
            except Exception as exc:  # the database: down, restarting, unreachable
                failures += 1
                if failures == 1:
                    log.warning(
                        "game %s: the database did not take the result (%r); retrying", room.id, exc
                    )
                if loop.time() + delay > deadline:
                    break
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECORD_RETRY_MAX)
                if between is not None:
                    with contextlib.suppress(Exception):
                        await between()
                continue
            if failures:
                log.warning("game %s: recorded after %d failed attempts", room.id, failures)
            return match
    except asyncio.CancelledError:
        _not_recorded(room, result, "the node stopped while the database was unavailable")
        raise
    _not_recorded(room, result, f"the database failed {failures} times")
    raise NotRecorded(room.id)


def _not_recorded(room: Room, result: dict[str, Any], why: str) -> None:
    data = {"id": room.id, **result, "ended_at": result["ended_at"].isoformat()}
    log.error(
        "game %s: FINISHED MATCH NOT RECORDED (%s); restore it from this JSON: %s",
        room.id,
        why,
        json.dumps(data, sort_keys=True, default=str),
    )


async def _write_finished(room: Room, result: dict[str, Any]) -> Match | None:
    """One attempt, in one transaction: claim the running match (the claim makes a retry, or
    a second node finishing the same game, write it once) and move the ratings."""
    async with in_transaction() as connection:
        claimed = await (
            Match.filter(id=room.id, status="running").using_db(connection).update(**result)
        )
        if not claimed:
            # An earlier attempt of ours committed but its answer was lost: same `ended_at`.
            ours = Match.filter(id=room.id, status="finished", ended_at=result["ended_at"])
            if not await ours.using_db(connection).exists():
                return None
        match = await Match.get(id=room.id, using_db=connection)
        if claimed:  # the ratings move with the record, or neither does
            after = await ratings.apply_ratings(match, connection)
            await ratings.store_ratings(match, after, connection)
    setattr(match, ratings.RATED, True)  # `update_ratings` will not apply them again
    return match


async def record_interrupted(room: Room) -> bool:
    """Store a game no node could carry on: status "interrupted", the score so far and the
    rallies played; no winner. False when it was no longer running."""
    engine = room.engine
    data = {**engine.record(), "interrupted": True}
    updated = await Match.filter(id=room.id, status="running").update(
        status="interrupted",
        left_score=engine.scores[Side.LEFT],
        right_score=engine.scores[Side.RIGHT],
        record=data,
        ended_at=datetime.now(UTC),
    )
    return bool(updated)


async def record_cancelled(room: Room) -> bool:
    """Store a game that counts for no one (status "cancelled", why in `record.cancelled`):
    no winner, no rating change. False when it was no longer running."""
    engine = room.engine
    data = {
        **engine.record(),
        "keyboard": room.keyboard,
        "cancelled": room.cancelled,
    }
    updated = await Match.filter(id=room.id, status="running").update(
        status="cancelled",
        left_score=engine.scores[Side.LEFT],
        right_score=engine.scores[Side.RIGHT],
        winner=None,
        forfeit=False,
        record=data,
        ended_at=datetime.now(UTC),
    )
    return bool(updated)
