"""The live-games feed: `pong.live` frames on the `pong.live` topic when a game starts or ends.

The lobby's "Live games" list reads `GET /api/pong/games` once, then follows this topic
(`pong.live.watch`) instead of polling; after a `resync` or a reconnection it reads again.
A frame is `{"event": "started" | "ended", "game": <the game as GET /api/pong/games lists
it>}`. Announcing is a courtesy: a failure is logged, never raised into a game.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from transcendence_pong.models import Match
from transcendence_pong.presentation import match_out

log = logging.getLogger("transcendence.pong")

TOPIC = "pong.live"
FRAME = "pong.live"
Event = Literal["started", "ended"]
# `await deliver(topic, type, data)`: the hub's `deliver.to_topic`, which reaches every node.
Deliver = Callable[[str, str, Any], Awaitable[None]]


def summary(match: Match) -> dict[str, Any]:
    """The game as the REST API shows it (`MatchOut`)."""
    return match_out(match)


async def announce(
    deliver: Deliver | None,
    event: Event,
    match: Match | str,
) -> None:
    """Tell the lobbies that a game started or ended (`match`: the row, or its id) through
    `deliver` (the hub's `deliver.to_topic`; None: games without lobbies, as in tests)."""
    if deliver is None:
        return
    game_id = match if isinstance(match, str) else str(match.id)
    try:
        if isinstance(match, str):
            found = await Match.get_or_none(id=match)
            if found is None:
                return
            match = found
        await deliver(TOPIC, FRAME, {"event": event, "game": summary(match)})
    except Exception as exc:  # the bus or the database: the lobby re-reads on resync
        log.warning("game %s: could not announce %s to the lobbies (%r)", game_id, event, exc)
