"""Brackets, with no I/O: single elimination (byes, seeding) and round robin (tie-breaks).

Players are opaque hashable ids, listed in seed order (best first). A bracket knows which
matches can be played now; results go in with `record(match_id, winner, score)`.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

Player = Hashable


class BracketError(ValueError):
    """A result that does not fit the bracket (unknown match, wrong player, played twice)."""


@dataclass
class Game:
    id: str
    round: int  # 1-based
    players: list[Player | None]  # two slots; None until known
    winner: Player | None = None
    score: tuple[int, int] | None = None
    bye: bool = False
    feeds: str | None = None  # single elimination: the game the winner moves to
    slot: int = 0  # and in which slot

    @property
    def ready(self) -> bool:
        return self.winner is None and not self.bye and all(p is not None for p in self.players)

    @property
    def done(self) -> bool:
        return self.winner is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "round": self.round,
            "players": list(self.players),
            "winner": self.winner,
            "score": list(self.score) if self.score else None,
            "bye": self.bye,
        }


def seed_order(size: int) -> list[int]:
    """Seed positions for a bracket of `size` (a power of two): 1 meets `size`, 2 meets
    `size-1`, and the top two seeds can only meet in the final."""
    order = [1]
    while len(order) < size:
        total = len(order) * 2 + 1
        order = [s for seed in order for s in (seed, total - seed)]
    return order


@dataclass
class SingleElimination:
    players: Sequence[Player]
    games: dict[str, Game] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.players) < 2:
            raise BracketError("a bracket needs at least two players")
        if len(set(self.players)) != len(self.players):
            raise BracketError("players must be distinct")
        size = 1
        while size < len(self.players):
            size *= 2
        self.size = size
        self.rounds = size.bit_length() - 1
        seeds = seed_order(size)
        # Round 1: seed s plays seed size+1-s; a seed without an opponent has a bye.
        for index in range(size // 2):
            a, b = seeds[2 * index], seeds[2 * index + 1]
            players = [self._seed(a), self._seed(b)]
            game = Game(f"r1m{index + 1}", 1, players)
            if None in players:
                game.bye = True
                game.winner = players[0] if players[0] is not None else players[1]
            self.games[game.id] = game
        for rnd in range(2, self.rounds + 1):
            for index in range(size // 2**rnd):
                self.games[f"r{rnd}m{index + 1}"] = Game(f"r{rnd}m{index + 1}", rnd, [None, None])
        for game in list(self.games.values()):
            if game.round < self.rounds:
                index = int(game.id.split("m")[1]) - 1
                game.feeds = f"r{game.round + 1}m{index // 2 + 1}"
                game.slot = index % 2
        for game in self.games.values():
            if game.bye:
                self._advance(game)

    def _seed(self, seed: int) -> Player | None:
        return self.players[seed - 1] if seed <= len(self.players) else None

    def _advance(self, game: Game) -> None:
        if game.feeds is not None:
            self.games[game.feeds].players[game.slot] = game.winner

    def ready(self) -> list[Game]:
        """Games that can be played now, in the order to play them."""
        return sorted(
            (g for g in self.games.values() if g.ready),
            key=lambda g: (g.round, int(g.id.split("m")[1])),
        )

    def record(self, game_id: str, winner: Player, score: tuple[int, int] | None = None) -> None:
        game = self.games.get(game_id)
        if game is None:
            raise BracketError(f"no game {game_id}")
        if not game.ready:
            raise BracketError(f"game {game_id} is not waiting for a result")
        if winner not in game.players:
            raise BracketError(f"{winner!r} is not playing game {game_id}")
        game.winner = winner
        game.score = score
        self._advance(game)

    @property
    def finished(self) -> bool:
        return self.games[f"r{self.rounds}m1"].done

    @property
    def champion(self) -> Player | None:
        return self.games[f"r{self.rounds}m1"].winner

    def standings(self) -> list[tuple[Player, int]]:
        """(player, place): champion 1, finalist 2, semi-final losers 3, and so on."""
        eliminated: dict[Player, int] = {}
        for game in self.games.values():
            if game.done and not game.bye:
                loser = next(p for p in game.players if p != game.winner)
                eliminated[loser] = game.round
        places = []
        if self.champion is not None:
            places.append((self.champion, 1))
        for player, rnd in sorted(eliminated.items(), key=lambda item: -item[1]):
            places.append((player, 2 ** (self.rounds - rnd) + 1))
        return places


@dataclass
class RoundRobin:
    """Everyone plays everyone once; rounds by the circle method."""

    players: Sequence[Player]
    games: dict[str, Game] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.players) < 2:
            raise BracketError("a round robin needs at least two players")
        if len(set(self.players)) != len(self.players):
            raise BracketError("players must be distinct")
        slots: list[Player | None] = list(self.players)
        if len(slots) % 2:
            slots.append(None)  # the player drawn against None rests that round
        n = len(slots)
        for rnd in range(1, n):
            for index in range(n // 2):
                a, b = slots[index], slots[n - 1 - index]
                if a is None or b is None:
                    continue
                game = Game(f"r{rnd}m{index + 1}", rnd, [a, b])
                self.games[game.id] = game
            slots = [slots[0], slots[-1], *slots[1:-1]]
        self.rounds = n - 1

    def ready(self) -> list[Game]:
        """Games that can be played now, in the order to play them: a game waits until both
        its players are done with their games of the earlier rounds (so nobody plays a
        round out of order, nor is called to two games at once)."""
        first_pending: dict[Player, int] = {}
        for game in self.games.values():
            if not game.done:
                for player in game.players:
                    first_pending[player] = min(first_pending.get(player, game.round), game.round)
        return sorted(
            (
                g
                for g in self.games.values()
                if g.ready and all(first_pending[p] == g.round for p in g.players)
            ),
            key=lambda g: (g.round, int(g.id.split("m")[1])),
        )

    def record(self, game_id: str, winner: Player, score: tuple[int, int] | None = None) -> None:
        game = self.games.get(game_id)
        if game is None:
            raise BracketError(f"no game {game_id}")
        if game.done:
            raise BracketError(f"game {game_id} already has a result")
        if winner not in game.players:
            raise BracketError(f"{winner!r} is not playing game {game_id}")
        game.winner = winner
        game.score = score

    @property
    def finished(self) -> bool:
        return all(g.done for g in self.games.values())

    @property
    def champion(self) -> Player | None:
        return self.standings()[0][0] if self.finished else None

    def table(self) -> dict[Player, dict[str, int]]:
        rows = {
            p: {"played": 0, "wins": 0, "losses": 0, "for": 0, "against": 0} for p in self.players
        }
        for game in self.games.values():
            if not game.done:
                continue
            a, b = game.players
            scores = game.score or ((1, 0) if game.winner == a else (0, 1))
            for player, mine, theirs in ((a, scores[0], scores[1]), (b, scores[1], scores[0])):
                row = rows[player]
                row["played"] += 1
                row["wins" if game.winner == player else "losses"] += 1
                row["for"] += mine
                row["against"] += theirs
        return rows

    def standings(self) -> list[tuple[Player, int]]:
        """Wins, then head-to-head among the tied, then point difference, points scored,
        then seed: a total order, so there is always one champion."""
        table = self.table()
        seed = {p: i for i, p in enumerate(self.players)}

        def head_to_head(player: Player, tied: set[Player]) -> int:
            return sum(
                1 for g in self.games.values() if g.winner == player and set(g.players) <= tied
            )

        by_wins = sorted(self.players, key=lambda p: -table[p]["wins"])
        ordered: list[Player] = []
        for _, group in itertools.groupby(by_wins, key=lambda p: table[p]["wins"]):
            tied = set(group)
            ordered += sorted(
                tied,
                key=lambda p: (
                    -head_to_head(p, tied),
                    -(table[p]["for"] - table[p]["against"]),
                    -table[p]["for"],
                    seed[p],
                ),
            )
        return [(player, place) for place, player in enumerate(ordered, start=1)]
