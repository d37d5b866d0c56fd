"""What a game counts for: the one record rule, used by pong (ratings, cancellations, the
history), the stats module (statistics, leaderboards). docs/stats.md, "What counts".

- A one-keyboard game (`local`, or a keyboard tournament's) is history only: no wins,
  losses, rating or leaderboard. A keyboard tournament's match is in no one's history
  either (one account drives both paddles under aliases).
- A game against the AI counts in the per-mode statistics (and the AI board), not in the
  rating nor the main (rating) leaderboard.
- Remote and online-tournament games count for every account in them, against accounts or
  AI seats; only remote games move the rating.
- A game abandoned before any point (a forfeit at 0-0) is a loss for no one: history only;
  a remote one is recorded "cancelled" (no rating change), as is a remote game a player
  never joined (a no-show).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The leaderboards a counted game feeds: the main one ranks by rating (remote games).
BOARD_RATING, BOARD_AI, BOARD_TOURNAMENT = "rating", "ai", "tournament"


@dataclass(frozen=True)
class Counts:
    """What one finished game means for one account in it."""

    history: bool  # listed in the player's match history
    stats: bool  # a win or a loss in the player's statistics (totals and per mode)
    rating: bool  # moves the player's Elo rating
    board: str | None  # the leaderboard it counts on (BOARD_*), None for none


HISTORY_ONLY = Counts(history=True, stats=False, rating=False, board=None)


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


def abandoned(left_score: int, right_score: int, forfeited: bool) -> bool:
    """Given up before any point was scored: a loss for no one."""
    return forfeited and left_score == 0 and right_score == 0


def cancels(mode: str, left_score: int, right_score: int, forfeited: bool) -> bool:
    """A remote game abandoned before any point is cancelled (no winner, no rating)."""
    return mode == "remote" and abandoned(left_score, right_score, forfeited)


def counts(match: Any) -> dict[str, Counts]:
    """For each side held by an account, what this match counts for ({} for nothing)."""
    if match.status != "finished":
        return {}  # running, cancelled or interrupted: no one's
    users = {"left": match.left_user_id, "right": match.right_user_id}
    if users["left"] is not None and users["left"] == users["right"]:
        return {}  # an account against itself
    accounts = [side for side, user in users.items() if user is not None]
    if one_keyboard(match):
        if match.mode == "tournament":
            return {}  # aliases at one keyboard: the result belongs to no account
        return dict.fromkeys(accounts, HISTORY_ONLY)
    if match.winner not in ("left", "right") or abandoned(
        match.left_score, match.right_score, bool(match.forfeit)
    ):
        return dict.fromkeys(accounts, HISTORY_ONLY)
    if match.mode == "ai":
        found = Counts(history=True, stats=True, rating=False, board=BOARD_AI)
    elif match.mode == "remote":
        # Rated only between two accounts (the queue's Elo).
        rated = len(accounts) == 2
        found = Counts(history=True, stats=True, rating=rated, board=BOARD_RATING)
    elif match.mode == "tournament":
        found = Counts(history=True, stats=True, rating=False, board=BOARD_TOURNAMENT)
    else:
        found = HISTORY_ONLY
    return dict.fromkeys(accounts, found)
