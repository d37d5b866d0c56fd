"""Helpers shared by tests: emptying the database, test players, a lost pong game."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from transcendence.settings import Settings
from transcendence.testing import Player, empty_tables

# Player and empty_tables live in the testing plugin third-party modules use too.
__all__ = ["Player", "empty_tables", "lose_game", "reset_database"]


async def reset_database(settings: Settings) -> None:
    """Migrate and empty this test's database outside any app (for CLI tests)."""
    from transcendence import db
    from transcendence.plugins import load_modules

    config = await db.init_db(settings, load_modules(settings.modules, settings.extra_modules))
    try:
        await db.migrate(config)
        await empty_tables()
    finally:
        await db.close_db()


async def lose_game(games: Any, match_id: str) -> None:
    """As if the node running this pong game had been killed before its first checkpoint:
    the room vanishes, its lease with it, and its row, still "running", is old enough for
    any node's start-up to take it for a leftover (`Games.close_abandoned`)."""
    from transcendence_pong.cluster import ABANDONED_AFTER, PROCESS_STARTED
    from transcendence_pong.models import Match

    room = games.rooms.pop(match_id)
    room.on_finish = None
    await room.stop()
    await games.leases.release(match_id, forget=True)
    long_ago = min(PROCESS_STARTED, datetime.now(UTC) - timedelta(seconds=ABANDONED_AFTER))
    await Match.filter(id=match_id).update(started_at=long_ago - timedelta(seconds=1))
