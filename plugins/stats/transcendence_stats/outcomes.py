"""What a finished match of any game means for each of its registered players: one
`Outcome` per seat that keeps the match (the platform's record rule,
`transcendence.games.records`, docs/stats.md "What counts"). No database here.

Everything is read from the game API's `MatchResult`: the players, the winner's seat, the
ratings the game moved (`result.ratings`), the time played (`result.duration`) and, where
the game reports them, its rallies (`result.details`, docs/stats.md "What a game reports").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from transcendence.games import MatchResult, records
from transcendence.games.records import HISTORY_ONLY, Counts

SIDES = ("left", "right")  # a seat's name in the history: the first seat is "left"
TICKS_PER_SECOND = 60  # the unit of the stored durations (`play_ticks`, `rally_ticks`)


@dataclass(frozen=True)
class Rally:
    hits: int
    ticks: int  # in 1/60 s


@dataclass(frozen=True)
class Outcome:
    """One counted match as one registered player saw it."""

    game: str
    match_id: str
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
    ticks: int  # time played, in 1/60 s
    rallies: tuple[Rally, ...] = field(default_factory=tuple)
    rating_after: int | None = None  # the game's rating of the player after the match
    # What the match counts for (the record rule): `stats` False is history only.
    counts: Counts = HISTORY_ONLY

    @property
    def opponent_key(self) -> str:
        if self.opponent_user_id is not None:
            return f"u:{self.opponent_user_id}"
        return f"n:{self.opponent_name.casefold()}"[:48]


def tick_seconds(details: Mapping[str, Any], duration: float | None) -> float:
    """How long one of the game's ticks lasts: `duration / ticks` when the game reports
    both (pong: 1/60 s), else 1/60 s."""
    ticks = details.get("ticks")
    if isinstance(ticks, int) and ticks > 0 and duration:
        return duration / ticks
    return 1 / TICKS_PER_SECOND


def _rallies(details: Mapping[str, Any], tick: float) -> tuple[Rally, ...]:
    out = []
    for rally in details.get("rallies") or ():
        try:
            end = rally.get("end")
            if end is None:
                continue
            ticks = max(0, int(end) - int(rally["start"]))
            out.append(Rally(int(rally.get("hits") or 0), round(ticks * tick * TICKS_PER_SECOND)))
        except (AttributeError, KeyError, TypeError, ValueError):
            continue
    return tuple(out)


def outcomes_of(result: MatchResult) -> list[Outcome]:
    seats = records.counts(result)
    if not seats:
        return []
    duration = result.duration
    details = result.details if isinstance(result.details, Mapping) else {}
    rallies = _rallies(details, tick_seconds(details, duration))
    ticks = round((duration or 0.0) * TICKS_PER_SECOND)
    ended_at = result.ended_at or result.started_at or datetime.now(UTC)
    out = []
    for seat in seats:
        player, other = result.players[seat], result.players[1 - seat]
        assert player.user_id is not None  # counts() names only seats held by an account
        rating = result.ratings.get(player.user_id)
        out.append(
            Outcome(
                game=result.game,
                match_id=result.id,
                user_id=player.user_id,
                mode=result.mode,
                side=SIDES[seat],
                opponent_user_id=other.user_id,
                opponent_name=other.name,
                points_for=player.score,
                points_against=other.score,
                won=result.winner == seat,
                forfeit=result.forfeit,
                ended_at=ended_at,
                ticks=ticks,
                rallies=rallies,
                rating_after=rating if isinstance(rating, int) else None,
                counts=seats[seat],
            )
        )
    return out
