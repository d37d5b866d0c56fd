"""What a pong match counts for: the platform's one record rule (`transcendence.games.records`,
docs/stats.md "What counts") applied to pong's `Match` rows, which `result_of` turns into
the game-neutral `MatchResult` every other module reads. Seats are sides here: seat 0 is
"left", seat 1 "right"."""

from __future__ import annotations

from typing import Any, cast

from transcendence.games import MatchResult, Player
from transcendence.games import records as rules
from transcendence.games.records import (
    BOARD_AI,
    BOARD_RATING,
    BOARD_TOURNAMENT,
    HISTORY_ONLY,
    Counts,
    abandoned,
)
from transcendence_pong.engine import TICK_RATE

GAME = "pong"
SIDES = ("left", "right")  # by seat index

__all__ = [
    "BOARD_AI",
    "BOARD_RATING",
    "BOARD_TOURNAMENT",
    "HISTORY_ONLY",
    "Counts",
    "abandoned",
    "cancels",
    "counts",
    "one_keyboard",
    "result_of",
]


def _record(match: Any) -> dict[str, Any]:
    return match.record if isinstance(match.record, dict) else {}


def one_keyboard(match: Any) -> bool:
    """Both paddles were driven from one keyboard. Pong keeps the flag in the record;
    records written before it did: local games, and tournaments with a seat without an
    account (online tournaments then had no AI seats)."""
    record = _record(match)
    if "keyboard" in record:
        return bool(record["keyboard"])
    seats = (match.left_user_id, match.right_user_id)
    return match.mode == "local" or (match.mode == "tournament" and None in seats)


def result_of(match: Any) -> MatchResult:
    """A `Match` row as the game API's `MatchResult` (what `match_finished` carries)."""
    record = _record(match)
    users = (match.left_user_id, match.right_user_id)
    levels = record.get("ai_levels")
    if not isinstance(levels, dict):  # the AI plays the right paddle
        ai = record.get("ai_level") or ("normal" if match.mode == "ai" else None)
        levels = {"right": ai} if users[1] is None else {}
    stored = record.get("ratings")
    ratings = stored if isinstance(stored, dict) else {}
    ticks = record.get("ticks")
    details: dict[str, Any] = {k: record[k] for k in ("rallies", "hits", "ticks") if k in record}
    if isinstance(ticks, int):
        details["duration"] = ticks / TICK_RATE
    return MatchResult(
        game=GAME,
        id=str(match.id),
        mode=cast(Any, match.mode),
        status=cast(Any, match.status),
        players=(
            Player(users[0], match.left_name, match.left_score, levels.get("left")),
            Player(users[1], match.right_name, match.right_score, levels.get("right")),
        ),
        winner=SIDES.index(match.winner) if match.winner in SIDES else None,
        forfeit=bool(match.forfeit),
        keyboard=one_keyboard(match),
        options=match.options if isinstance(match.options, dict) else {},
        started_at=match.started_at,
        ended_at=match.ended_at,
        ratings={
            users[seat]: ratings[side]
            for seat, side in enumerate(SIDES)
            if users[seat] is not None and isinstance(ratings.get(side), int)
        },
        details=details,
    )


def counts(match: Any) -> dict[str, Counts]:
    """For each side held by an account, what this match counts for ({} for nothing)."""
    return {SIDES[seat]: found for seat, found in rules.counts(result_of(match)).items()}


def cancels(mode: str, left_score: int, right_score: int, forfeited: bool) -> bool:
    """A remote game abandoned before any point is cancelled (no winner, no rating)."""
    return rules.cancels(mode, (left_score, right_score), forfeited)
