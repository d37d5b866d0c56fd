"""Games as other modules see them: `api` (what a game is, its matches and their results)
and `records` (what a result counts for). docs/modules.md, "Writing a game"."""

from transcendence.games import records
from transcendence.games.api import (
    MODES,
    Game,
    HookSource,
    MatchResult,
    Mode,
    Player,
    SeatSpec,
    Status,
    game_of,
    games_of,
    invalid_options,
)
from transcendence.games.records import Counts, counts

__all__ = [
    "MODES",
    "Counts",
    "Game",
    "HookSource",
    "MatchResult",
    "Mode",
    "Player",
    "SeatSpec",
    "Status",
    "counts",
    "game_of",
    "games_of",
    "invalid_options",
    "records",
]
