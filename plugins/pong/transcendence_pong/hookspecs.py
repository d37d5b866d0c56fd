"""Hooks the pong module declares for other modules (added through `add_hookspecs`).

A match's end and its players' arrivals are the platform's game hooks (`match_finished`,
`match_interrupted`, `match_player_joined` in `transcendence.hookspecs`), which pong calls
with its matches' `MatchResult`s."""

from __future__ import annotations

from typing import Any

from transcendence.hookspecs import hookspec


@hookspec(firstresult=True)
def pong_ai_player(side: Any, level: str) -> Any:
    """An AI to fill a seat: an object whose `tick(room)` is called every tick.

    The ai module implements it; without it, games against the AI are refused.
    """
