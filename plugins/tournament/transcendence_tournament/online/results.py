"""An online game's result: read from its match (or its no-show), stored once.

What follows a result (the next calls, the winner told) is `calls.decide`'s.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from transcendence.games import MatchResult
from transcendence_tournament import service
from transcendence_tournament.models import Game, Tournament


async def called_game(game: str, match_id: str) -> Game | None:
    """The online tournament game the match `match_id` of `game` was created for, or None."""
    row = await Game.get_or_none(match_id=match_id).prefetch_related("tournament")
    if row is None or row.tournament.kind != "online" or row.tournament.game != game:
        return None
    return row


def bracket_result(
    row: Game, players: tuple[int, int], result: MatchResult
) -> tuple[int, list[int]]:
    """The winner's seed and the score in bracket order (left first) of the match played
    for `row` (`swapped`: the bracket's left had the match's seat 1)."""
    seat = 1 if result.winner == 1 else 0
    winner = 1 - seat if row.swapped else seat
    score = [player.score for player in result.players]
    if row.swapped:
        score.reverse()
    return players[winner], score


def absent_side(row: Game, players: tuple[int, int]) -> int:
    """At the deadline: the bracket side (0 left, 1 right) that loses by no-show. When
    neither player came, the better seed goes on."""
    if not row.left_joined and not row.right_joined:
        return 1 if players[1] > players[0] else 0
    return 0 if not row.left_joined else 1


async def record(
    row: Game, winner_seed: int, score: list[int] | None, *, forfeit: bool
) -> tuple[Tournament, bool] | None:
    """Store a game's result once, and finish the tournament when it was the last game.

    (The tournament, whether this result finished it), or None when the game was decided
    already (another node, a no-show recorded before the game ended)."""
    async with in_transaction():
        tournament = await Tournament.select_for_update().get(id=row.tournament_id)  # type: ignore[attr-defined]
        done = await Game.filter(id=row.id, status__in=service.ACTIVE).update(
            status="done", winner_seed=winner_seed, score=score, forfeit=forfeit
        )
        if not done:
            return None
        bracket, entries = await service.bracket_of(tournament)
        finished = bracket.finished and tournament.status == "running"
        if finished:
            await service.finish(tournament, bracket, entries)
    return tournament, finished
