"""What a finished match means for each of its registered players: one `Outcome` per seat
that keeps the match (pong's record rule, docs/stats.md "What counts"). No database here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from transcendence_pong.api import Match, records


@dataclass(frozen=True)
class Rally:
    hits: int
    ticks: int


@dataclass(frozen=True)
class Outcome:
    """One counted match as one registered player saw it."""

    match_id: uuid.UUID
    user_id: int
    mode: str
    side: str
    opponent_user_id: int | None
    opponent_name: str
    points_for: int
    points_against: int
    won: bool
    forfeit: bool
    ended_at: datetime
    ticks: int
    rallies: tuple[Rally, ...] = field(default_factory=tuple)
    rating_after: int | None = None  # stored with the match by pong (remote games)
    # What the match counts for (pong's one rule, records.py): `stats` False is history only.
    counts: records.Counts = records.HISTORY_ONLY

    @property
    def opponent_key(self) -> str:
        if self.opponent_user_id is not None:
            return f"u:{self.opponent_user_id}"
        return f"n:{self.opponent_name.casefold()}"[:48]


def counted_seats(match: Match) -> list[str]:
    """The seats whose account keeps this match (in its history at least): pong's record
    rule (`transcendence_pong.records`, docs/stats.md "What counts")."""
    return list(records.counts(match))


def _rallies(record: Any) -> tuple[Rally, ...]:
    rallies = record.get("rallies") if isinstance(record, dict) else None
    out = []
    for rally in rallies or ():
        try:
            end = rally.get("end")
            if end is None:
                continue
            out.append(Rally(int(rally.get("hits") or 0), max(0, int(end) - int(rally["start"]))))
        except (AttributeError, KeyError, TypeError, ValueError):
            continue
    return tuple(out)


def outcomes_of(match: Match) -> list[Outcome]:
    seats = records.counts(match)
    if not seats:
        return []
    record = match.record if isinstance(match.record, dict) else {}
    rallies = _rallies(record)
    ticks = int(record.get("ticks") or 0)
    ended_at = match.ended_at or match.started_at or datetime.now(UTC)
    ids = {"left": match.left_user_id, "right": match.right_user_id}  # type: ignore[attr-defined]
    names = {"left": match.left_name, "right": match.right_name}
    scores = {"left": match.left_score, "right": match.right_score}
    stored = record.get("ratings")
    ratings = stored if isinstance(stored, dict) else {}
    out = []
    for side in seats:
        other = "right" if side == "left" else "left"
        out.append(
            Outcome(
                match_id=match.id,
                user_id=ids[side],
                mode=match.mode,
                side=side,
                opponent_user_id=ids[other],
                opponent_name=names[other],
                points_for=scores[side],
                points_against=scores[other],
                won=match.winner == side,
                forfeit=bool(match.forfeit),
                ended_at=ended_at,
                ticks=ticks,
                rallies=rallies,
                rating_after=ratings[side] if isinstance(ratings.get(side), int) else None,
                counts=seats[side],
            )
        )
    return out
