"""What a match counts for: the one record rule, for every game. The game applies it to
ratings and cancellations, the stats module to statistics and leaderboards, the history
to what it lists (docs/stats.md, "What counts").

- A one-keyboard match (`local`, or a keyboard tournament's) is history only: no wins,
  losses, rating or leaderboard. A keyboard tournament's match is in no one's history
  either (one account drives both seats under aliases).
- A match against the AI counts in the per-mode statistics (and the AI board), not in the
  rating nor the main (rating) leaderboard.
- Remote and online-tournament matches count for every account in them, against accounts
  or AI seats; only remote matches between two accounts move the rating.
- A match abandoned before anything happened (a forfeit with every score at 0) is a loss
  for no one: history only; a remote one is recorded "cancelled" by its game (no rating
  change), as is a remote match a player never joined (a no-show).
- A running, cancelled or interrupted match, one without a winner, and one an account
  played against itself count for nobody.
"""

from __future__ import annotations

from dataclasses import dataclass

from transcendence.games.api import MatchResult

# The leaderboards a counted match feeds: the main one ranks by rating (remote matches).
BOARD_RATING, BOARD_AI, BOARD_TOURNAMENT = "rating", "ai", "tournament"


@dataclass(frozen=True)
class Counts:
    """What one finished match means for one account in it."""

    history: bool  # listed in the player's match history
    stats: bool  # a win or a loss in the player's statistics (totals and per mode)
    rating: bool  # moves the player's rating
    board: str | None  # the leaderboard it counts on (BOARD_*), None for none


HISTORY_ONLY = Counts(history=True, stats=False, rating=False, board=None)


def abandoned(scores: tuple[int, ...] | list[int], forfeited: bool) -> bool:
    """Given up before anything was scored: a loss for no one."""
    return forfeited and not any(scores)


def cancels(mode: str, scores: tuple[int, ...] | list[int], forfeited: bool) -> bool:
    """A remote match abandoned before anything was scored is cancelled by its game (no
    winner, no rating)."""
    return mode == "remote" and abandoned(scores, forfeited)


def counts(result: MatchResult) -> dict[int, Counts]:
    """For each seat held by an account, what this match counts for ({} for nothing)."""
    if result.status != "finished":
        return {}  # running, cancelled or interrupted: no one's
    users = [player.user_id for player in result.players]
    if users[0] is not None and users[0] == users[1]:
        return {}  # an account against itself
    accounts = [seat for seat, user in enumerate(users) if user is not None]
    if result.keyboard:
        if result.mode == "tournament":
            return {}  # aliases at one keyboard: the result belongs to no account
        return dict.fromkeys(accounts, HISTORY_ONLY)
    scores = [player.score for player in result.players]
    if result.winner not in (0, 1) or abandoned(scores, result.forfeit):
        return dict.fromkeys(accounts, HISTORY_ONLY)
    if result.mode == "ai":
        found = Counts(history=True, stats=True, rating=False, board=BOARD_AI)
    elif result.mode == "remote":
        rated = len(accounts) == 2  # rated only between two accounts
        found = Counts(history=True, stats=True, rating=rated, board=BOARD_RATING)
    elif result.mode == "tournament":
        found = Counts(history=True, stats=True, rating=False, board=BOARD_TOURNAMENT)
    else:
        found = HISTORY_ONLY
    return dict.fromkeys(accounts, found)
