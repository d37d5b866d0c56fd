"""Hooks the pong module declares for other modules (added through `add_hookspecs`)."""

from __future__ import annotations

from typing import Any

from transcendence.hookspecs import hookspec


@hookspec
def match_finished(match: Any) -> None:
    """A match ended and is stored (`transcendence_pong.models.Match`). *Async allowed.*

    Called once, on the node that ran the game, after the record is committed. The
    tournament module advances its bracket here; the stats module updates its aggregates.
    """


@hookspec
def match_player_joined(game_id: str, user_id: int) -> None:
    """A player arrived at a game created with `hold=True` (it waits for its players).
    *Async allowed.*

    Called once per seat, on the node that runs the game. The tournament module marks the
    player present (a player still absent at the deadline loses by forfeit).
    """


@hookspec(firstresult=True)
def pong_ai_player(side: Any, level: str) -> Any:
    """An AI to fill a seat: an object whose `tick(room)` is called every tick.

    The ai module implements it; without it, games against the AI are refused.
    """
