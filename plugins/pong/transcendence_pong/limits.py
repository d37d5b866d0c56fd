"""How many games one user holds (docs/pong.md, "Limits"): local and AI games per owner,
and one remote or tournament game at a time per player; and how many games one server
process runs at once (`max_games`, its admission control)."""

from __future__ import annotations

import os

from tortoise.expressions import Q

from transcendence_pong.errors import GameError
from transcendence_pong.models import Match

DEFAULT_MAX_LOCAL_GAMES = 3  # TRANSCENDENCE_PONG_MAX_LOCAL_GAMES
# Games one process runs at 60 Hz with room to spare (docs/performance.md, "Pong games":
# measured on one core); past it, new games are refused (`server_busy`).
DEFAULT_MAX_GAMES = 250  # TRANSCENDENCE_PONG_MAX_GAMES
# Games with a seat for each player: a player is in one of these at a time.
REMOTE_MODES = ("remote", "tournament")


def max_local_games() -> int:
    """`TRANSCENDENCE_PONG_MAX_LOCAL_GAMES` (1..100, default 3): how many local and AI games
    one user may have running at once (each one is a game loop on a node's CPU)."""
    name = "TRANSCENDENCE_PONG_MAX_LOCAL_GAMES"
    raw = os.environ.get(name, "").strip()
    if not raw:
        return DEFAULT_MAX_LOCAL_GAMES
    try:
        limit = int(raw)
    except ValueError:
        raise ValueError(f"{name} is a whole number of games, e.g. 3") from None
    if not 1 <= limit <= 100:
        raise ValueError(f"{name} must be between 1 and 100 games")
    return limit


def max_games() -> int:
    """`TRANSCENDENCE_PONG_MAX_GAMES` (1..100000, default 250): how many games one server
    process runs at once. Each game is ticked 60 times a second on the process's one
    event loop: past what a core can tick, every game would slow down, so new games are
    refused instead (`server_busy`) and the running ones keep 60 Hz."""
    name = "TRANSCENDENCE_PONG_MAX_GAMES"
    raw = os.environ.get(name, "").strip()
    if not raw:
        return DEFAULT_MAX_GAMES
    try:
        limit = int(raw)
    except ValueError:
        raise ValueError(f"{name} is a whole number of games, e.g. 250") from None
    if not 1 <= limit <= 100_000:
        raise ValueError(f"{name} must be between 1 and 100000 games")
    return limit


async def check_game_limits(user_ids: list[int], mode: str, max_local: int) -> None:
    """Refuse to start a game that one of these users may not join now (GameError, 409):
    `too_many_games` for a local or AI game beyond `max_local` running ones of its owner;
    `already_in_game` for a remote game while a player is in a remote or tournament game.
    Counted on the running matches in the database, so it holds whichever node they run on."""
    if mode in ("local", "ai"):
        running = await Match.filter(
            status="running", mode__in=("local", "ai"), left_user_id__in=user_ids
        ).count()
        if running >= max_local:
            raise GameError(
                409,
                "too_many_games",
                f"you have {running} local or AI games running (at most {max_local}): "
                "finish or leave one first",
            )
        return
    playing = (
        await Match.filter(
            Q(left_user_id__in=user_ids) | Q(right_user_id__in=user_ids),
            status="running",
            mode__in=REMOTE_MODES,
        )
        .first()
        .values("left_user_id", "right_user_id")
    )
    if playing:
        who = "you are" if user_ids[0] in playing.values() else "your opponent is"
        raise GameError(409, "already_in_game", f"{who} already playing a game")
