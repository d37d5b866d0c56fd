"""The levels' order, on a headless round robin (the sample bench/ai_bench.py runs, cut down).

Seeded games on the real engine and room loop, faster than real time, so the results are
the same on every run: the first `GAMES` games of each pairing of
`.venv/bin/python bench/ai_bench.py` (seeds 0, 1, ...). About 6 s of CPU.
"""

from __future__ import annotations

from math import comb

import pytest

from transcendence_ai.tournament import wins

GAMES = 30


def beyond_chance(games: int, p: float = 0.05) -> int:
    """The fewest wins that two equal players (a coin flip per game) reach with a chance
    below `p`: 20 of 30. Two equal levels score about half, and pass "more than half" as
    often as not; this keeps the sample meaningful."""
    return next(
        k
        for k in range(games + 1)
        if sum(comb(games, j) for j in range(k, games + 1)) < p * 2**games
    )


@pytest.mark.parametrize(("stronger", "weaker"), [("hard", "normal"), ("normal", "easy")])
async def test_each_level_beats_the_one_below_most_of_the_time(stronger, weaker):
    won = await wins(stronger, weaker, GAMES)
    assert won > GAMES / 2, f"{stronger} won {won}/{GAMES} against {weaker}"
    assert won >= beyond_chance(GAMES), f"{stronger} won {won}/{GAMES}: no better than chance"


async def test_hard_wins_some_games_against_the_perfect_tracker_by_aiming():
    # The tracker sees every tick; the same paddle speed for both, so hard's wins come from
    # meeting the ball off-centre: a steep return outruns any paddle.
    won = await wins("hard", "tracker", GAMES)
    assert 1 <= won < GAMES, f"hard won {won}/{GAMES} against the tracker"
