"""Brackets, checked by hypothesis: every tournament ends with one champion, fairly."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transcendence_tournament.brackets import (
    BracketError,
    RoundRobin,
    SingleElimination,
    seed_order,
)

sizes = st.integers(2, 64)


def play_out(bracket, rng: random.Random) -> list:
    played = []
    while not bracket.finished:
        ready = bracket.ready()
        assert ready, "a bracket that is not finished must have a playable game"
        game = ready[0]
        winner = rng.choice(game.players)
        bracket.record(
            game.id,
            winner,
            (5, rng.randint(0, 4)) if winner == game.players[0] else (rng.randint(0, 4), 5),
        )
        played.append(game)
    return played


@settings(max_examples=80, deadline=None)
@given(n=sizes, seed=st.integers(0, 2**32))
def test_single_elimination_has_one_champion_and_n_minus_one_games(n, seed):
    bracket = SingleElimination([f"p{i}" for i in range(n)])
    byes = [g for g in bracket.games.values() if g.bye]
    assert len(byes) == bracket.size - n
    assert all(g.round == 1 for g in byes)
    played = play_out(bracket, random.Random(seed))
    assert len(played) == n - 1
    losses = Counter(p for g in played for p in g.players if p != g.winner)
    assert set(losses.values()) == {1} and len(losses) == n - 1
    assert bracket.champion not in losses
    rounds = Counter((g.round, p) for g in played for p in g.players)
    assert max(rounds.values()) == 1  # nobody plays twice in a round
    assert [place for _, place in bracket.standings()][:2] == [1, 2]


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 16), seed=st.integers(0, 2**32))
def test_round_robin_pairs_everyone_once_and_ranks_totally(n, seed):
    players = [f"p{i}" for i in range(n)]
    bracket = RoundRobin(players)
    pairs = Counter(frozenset(g.players) for g in bracket.games.values())
    assert len(pairs) == n * (n - 1) // 2 and set(pairs.values()) == {1}
    per_round = Counter((g.round, p) for g in bracket.games.values() for p in g.players)
    assert max(per_round.values()) == 1
    play_out(bracket, random.Random(seed))
    standings = bracket.standings()
    assert sorted(p for p, _ in standings) == sorted(players)
    assert [place for _, place in standings] == list(range(1, n + 1))
    wins = {p: row["wins"] for p, row in bracket.table().items()}
    assert all(wins[a] >= wins[b] for (a, _), (b, _) in itertools.pairwise(standings))


def test_top_seeds_can_only_meet_in_the_final():
    assert seed_order(8) == [1, 8, 4, 5, 2, 7, 3, 6]
    bracket = SingleElimination(["a", "b", "c", "d", "e"])
    # Three byes go to the three best seeds.
    assert {g.winner for g in bracket.games.values() if g.bye} == {"a", "b", "c"}


def test_round_robin_tie_break_is_head_to_head_first():
    bracket = RoundRobin(["a", "b", "c"])
    results = {frozenset({"a", "b"}): "b", frozenset({"b", "c"}): "c", frozenset({"a", "c"}): "a"}
    for game in list(bracket.games.values()):
        bracket.record(game.id, results[frozenset(game.players)], None)
    # A three-way tie on wins and head-to-head: points then seed decide, totally.
    assert [p for p, _ in bracket.standings()] == ["a", "b", "c"]


def test_bad_results_are_refused():
    bracket = SingleElimination(["a", "b", "c", "d"])
    game = bracket.ready()[0]
    with pytest.raises(BracketError, match="not playing"):
        bracket.record(game.id, "zz")
    bracket.record(game.id, game.players[0])
    with pytest.raises(BracketError, match="not waiting"):
        bracket.record(game.id, game.players[0])
    with pytest.raises(BracketError, match="distinct"):
        SingleElimination(["a", "a"])
