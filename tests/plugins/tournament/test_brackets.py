"""Brackets, checked by hypothesis for every tournament size (3 to 16) and both formats:
everyone plays, in order, byes are handled, and there is exactly one winner."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transcendence_tournament.brackets import (
    BracketError,
    RoundRobin,
    SingleElimination,
    seed_order,
)

SIZES = range(3, 17)  # what a tournament allows (service.MIN_PLAYERS..MAX_PLAYERS)
# Per size: which ready game is played next and who wins are hypothesis's choices.
EXAMPLES = settings(max_examples=25, deadline=None)


def order_of(game) -> tuple[int, int]:
    return game.round, int(game.id.split("m")[1])


def play_out(bracket, data, check_ready) -> list:
    """Play a bracket to its end: hypothesis picks any ready game and its winner. Checks,
    before every game, that what is ready may be played now (`check_ready`) and that each
    player's rounds only move forwards. Returns the games in the order they were played."""
    played = []
    last_round: dict = {}
    while not bracket.finished:
        ready = bracket.ready()
        assert ready, "a bracket that is not finished must have a playable game"
        assert ready == sorted(ready, key=order_of)  # in the order of play
        busy = Counter(p for g in ready for p in g.players)
        assert max(busy.values()) == 1, "nobody is called to two games at once"
        for game in ready:
            assert not game.bye and not game.done
            assert len(game.players) == 2 and None not in game.players
            check_ready(bracket, game)
        game = data.draw(st.sampled_from(ready), label="next game")
        for player in game.players:
            assert game.round > last_round.get(player, 0), f"{player} went back a round"
            last_round[player] = game.round
        left_wins = data.draw(st.booleans(), label="left wins")
        loser_points = data.draw(st.integers(0, 4), label="loser's points")
        winner = game.players[0] if left_wins else game.players[1]
        bracket.record(game.id, winner, (5, loser_points) if left_wins else (loser_points, 5))
        assert game.done and game.winner == winner
        with pytest.raises(BracketError):  # a result counts once
            bracket.record(game.id, winner)
        played.append(game)
    assert bracket.ready() == []
    return played


# --- single elimination -------------------------------------------------------------------


def feeders_done(bracket: SingleElimination, game) -> None:
    """A later-round game is ready only once both games feeding it are done, with their
    winners in its slots."""
    feeders = [g for g in bracket.games.values() if g.feeds == game.id]
    if game.round == 1:
        assert feeders == []
        return
    assert len(feeders) == 2
    for feeder in feeders:
        assert feeder.done
        assert game.players[feeder.slot] == feeder.winner


@pytest.mark.parametrize("n", SIZES)
@EXAMPLES
@given(data=st.data())
def test_single_elimination_every_size(n, data):
    players = [f"p{i}" for i in range(n)]
    bracket = SingleElimination(players)
    size = 1 << (n - 1).bit_length()
    assert bracket.size == size and bracket.rounds == size.bit_length() - 1
    assert len(bracket.games) == size - 1

    # Byes: one per missing player, all in round 1, to the best seeds, one each, and a
    # bye is never a game between two empty slots.
    byes = [g for g in bracket.games.values() if g.bye]
    assert len(byes) == size - n
    assert (size - n == 0) == (n in (4, 8, 16))
    for bye in byes:
        assert bye.round == 1 and bye.players.count(None) == 1
        assert bye.winner is not None and bye.winner in bye.players and bye.score is None
    assert Counter(b.winner for b in byes) == Counter(players[: size - n])
    assert all(None not in g.players for g in bracket.games.values() if g.round == 1 and not g.bye)
    # A bye's winner is already in its round-2 slot, waiting for an opponent.
    for bye in byes:
        assert bracket.games[bye.feeds].players[bye.slot] == bye.winner
    assert not any(g.done for g in bracket.games.values() if not g.bye)

    played = play_out(bracket, data, feeders_done)

    # Everyone played at least once (a bye is not a game), n - 1 games, one winner.
    assert {p for g in played for p in g.players} == set(players)
    assert len(played) == n - 1
    assert all(g.done for g in bracket.games.values())
    losses = Counter(p for g in played for p in g.players if p != g.winner)
    assert set(losses.values()) == {1} and len(losses) == n - 1
    assert bracket.champion in players and bracket.champion not in losses
    assert bracket.champion == bracket.games[f"r{bracket.rounds}m1"].winner
    per_round = Counter((g.round, p) for g in played for p in g.players)
    assert max(per_round.values()) == 1  # nobody plays twice in a round
    # Standings: everyone, once; champion 1, finalist 2, then by the round they lost in.
    standings = bracket.standings()
    assert sorted(p for p, _ in standings) == sorted(players)
    assert [place for _, place in standings][:2] == [1, 2]
    assert [place for _, place in standings] == sorted(place for _, place in standings)
    lost_in = {p: g.round for g in played for p in g.players if p != g.winner}
    for player, place in standings[1:]:
        assert place == 2 ** (bracket.rounds - lost_in[player]) + 1


def test_top_seeds_can_only_meet_in_the_final():
    assert seed_order(8) == [1, 8, 4, 5, 2, 7, 3, 6]
    bracket = SingleElimination(["a", "b", "c", "d", "e"])
    # Three byes go to the three best seeds.
    assert {g.winner for g in bracket.games.values() if g.bye} == {"a", "b", "c"}
    # Seeds 1 and 2 are in different halves of every bracket.
    for size in (4, 8, 16):
        order = seed_order(size)
        assert (order.index(1) < size // 2) != (order.index(2) < size // 2)


# --- round robin ----------------------------------------------------------------------------


def earlier_rounds_done(bracket: RoundRobin):
    """A round robin game is ready only when both its players are done with their games of
    the earlier rounds."""
    games_of = defaultdict(list)  # the same Game objects: they show results as they come
    for game in bracket.games.values():
        for player in game.players:
            games_of[player].append(game)

    def check(bracket: RoundRobin, game) -> None:
        for player in game.players:
            assert all(g.done for g in games_of[player] if g.round < game.round)

    return check


def tie_break_key(bracket: RoundRobin, player, tied: set) -> tuple:
    """docs/tournament.md: head-to-head among the tied, point difference, points, seed."""
    row = bracket.table()[player]
    head_to_head = sum(
        1 for g in bracket.games.values() if g.winner == player and set(g.players) <= tied
    )
    seed = list(bracket.players).index(player)
    return (-head_to_head, -(row["for"] - row["against"]), -row["for"], seed)


@pytest.mark.parametrize("n", SIZES)
@EXAMPLES
@given(data=st.data())
def test_round_robin_every_size(n, data):
    players = [f"p{i}" for i in range(n)]
    bracket = RoundRobin(players)
    games = list(bracket.games.values())
    # Every pair meets exactly once; nobody plays twice in a round.
    pairs = Counter(frozenset(g.players) for g in games)
    assert set(pairs) == {frozenset(pair) for pair in itertools.combinations(players, 2)}
    assert set(pairs.values()) == {1}
    per_round = Counter((g.round, p) for g in games for p in g.players)
    assert max(per_round.values()) == 1
    # Rests ("byes"): none with an even number, one round each with an odd number.
    assert bracket.rounds == (n - 1 if n % 2 == 0 else n)
    assert {g.round for g in games} == set(range(1, bracket.rounds + 1))
    rests = Counter(
        p for rnd in range(1, bracket.rounds + 1) for p in players if (rnd, p) not in per_round
    )
    assert rests == (Counter() if n % 2 == 0 else Counter(players))
    assert all(not g.bye for g in games)

    played = play_out(bracket, data, earlier_rounds_done(bracket))

    assert len(played) == n * (n - 1) // 2
    assert Counter(p for g in played for p in g.players) == Counter(dict.fromkeys(players, n - 1))
    table = bracket.table()
    assert all(row["played"] == n - 1 for row in table.values())
    assert sum(row["wins"] for row in table.values()) == len(played)
    # Exactly one winner: the standings are a total order of everyone.
    standings = bracket.standings()
    assert sorted(p for p, _ in standings) == sorted(players)
    assert [place for _, place in standings] == list(range(1, n + 1))
    assert bracket.champion == standings[0][0]
    ranked = [p for p, _ in standings]
    for a, b in itertools.pairwise(ranked):
        assert table[a]["wins"] >= table[b]["wins"]
        if table[a]["wins"] == table[b]["wins"]:
            tied = {p for p in players if table[p]["wins"] == table[a]["wins"]}
            assert tie_break_key(bracket, a, tied) < tie_break_key(bracket, b, tied)
    # Tie-breaks are deterministic: the same results, recorded in another order, rank the same.
    again = RoundRobin(players)
    for game in reversed(played):
        again.record(game.id, game.winner, game.score)
    assert again.standings() == standings == bracket.standings()


def test_round_robin_tie_break_is_head_to_head_first():
    bracket = RoundRobin(["a", "b", "c"])
    results = {frozenset({"a", "b"}): "b", frozenset({"b", "c"}): "c", frozenset({"a", "c"}): "a"}
    for game in list(bracket.games.values()):
        bracket.record(game.id, results[frozenset(game.players)], None)
    # A three-way tie on wins and head-to-head: points then seed decide, totally.
    assert [p for p, _ in bracket.standings()] == ["a", "b", "c"]


def test_round_robin_head_to_head_beats_point_difference():
    bracket = RoundRobin(["a", "b", "c", "d"])
    # a and b both win twice; b beat a, though a has the far better point difference.
    wins = {"ab": "b", "ac": "a", "ad": "a", "bc": "c", "bd": "b", "cd": "d"}
    for game in list(bracket.games.values()):
        key = "".join(sorted(game.players))
        winner = wins[key]
        big = winner == "a"
        score = (5, 0 if big else 4) if winner == game.players[0] else (0 if big else 4, 5)
        bracket.record(game.id, winner, score)
    assert [p for p, _ in bracket.standings()][:2] == ["b", "a"]


def test_a_round_robin_player_waits_for_their_previous_round():
    bracket = RoundRobin(["a", "b", "c", "d"])
    first = bracket.ready()
    assert {g.round for g in first} == {1}  # round 2 waits for round 1
    bracket.record(first[0].id, first[0].players[0])
    # The first game's players may go on to round 2 only against someone also done.
    assert all(g.round == 1 for g in bracket.ready())
    bracket.record(first[1].id, first[1].players[0])
    assert {g.round for g in bracket.ready()} == {2}


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
    with pytest.raises(BracketError, match="no game"):
        RoundRobin(["a", "b", "c"]).record("r9m9", "a")
