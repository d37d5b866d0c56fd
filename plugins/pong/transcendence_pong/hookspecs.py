"""Hooks the pong module declares for other modules (added through `add_hookspecs`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from transcendence.hookspecs import hookspec

if TYPE_CHECKING:
    from transcendence.core import Core


@hookspec
def match_finished(match: Any, core: Core | None) -> None:
    """A match ended and is stored (`transcendence_pong.models.Match`). *Async allowed.*

    `core` is the app's that ran it; None when no app runs (`tournaments seed --play`).

    Called once, on the node that ran the game, after the record is committed. The
    tournament module advances its bracket here; the stats module updates its aggregates.
    """


@hookspec
def match_interrupted(match: Any, core: Core) -> None:
    """A match was recorded with the status "interrupted": no node could carry it on (its
    node was killed, or its checkpoint was found too late). No winner, no rating change.
    *Async allowed.*

    Called once, on the node that recorded it, while that node runs (a node that stops
    records its games interrupted without calling it: modules catch up at their next
    start). The tournament module calls the match again.
    """


@hookspec
def match_player_joined(game_id: str, user_id: int, core: Core) -> None:
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
