"""The game API's contract (`transcendence.games`): the record rule every game's results
follow, and how modules find the games of the enabled modules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from transcendence.errors import APIError
from transcendence.games import (
    Counts,
    Game,
    MatchResult,
    Player,
    SeatSpec,
    counts,
    game_of,
    games_of,
    invalid_options,
)
from transcendence.games.records import BOARD_AI, BOARD_RATING, BOARD_TOURNAMENT, HISTORY_ONLY

ALICE, BOB = 1, 2


def result(
    mode: str = "remote",
    users: tuple[int | None, int | None] = (ALICE, BOB),
    scores: tuple[int, int] = (3, 1),
    *,
    winner: int | None = 0,
    status: str = "finished",
    forfeit: bool = False,
    keyboard: bool = False,
) -> MatchResult:
    return MatchResult(
        game="sample",
        id="m1",
        mode=mode,  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
        players=(Player(users[0], "a", scores[0]), Player(users[1], "b", scores[1])),
        winner=winner,
        forfeit=forfeit,
        keyboard=keyboard,
    )


RATED = Counts(history=True, stats=True, rating=True, board=BOARD_RATING)


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        (result("remote"), {0: RATED, 1: RATED}),
        (
            result("remote", (ALICE, None)),  # an account against a seat without one
            {0: Counts(history=True, stats=True, rating=False, board=BOARD_RATING)},
        ),
        (
            result("ai", (ALICE, None)),
            {0: Counts(history=True, stats=True, rating=False, board=BOARD_AI)},
        ),
        (
            result("tournament"),
            dict.fromkeys(
                (0, 1), Counts(history=True, stats=True, rating=False, board="tournament")
            ),
        ),
        (result("local", (ALICE, None), keyboard=True), {0: HISTORY_ONLY}),
        (result("tournament", (ALICE, None), keyboard=True), {}),  # aliases at one keyboard
        (result("remote", scores=(0, 0), forfeit=True), {0: HISTORY_ONLY, 1: HISTORY_ONLY}),
        (result("remote", winner=None), {0: HISTORY_ONLY, 1: HISTORY_ONLY}),
        (result("remote", (ALICE, ALICE)), {}),  # an account against itself
        (result(status="running"), {}),
        (result(status="cancelled"), {}),
        (result(status="interrupted"), {}),
    ],
    ids=[
        "remote",
        "remote-vs-guest",
        "ai",
        "tournament",
        "local",
        "keyboard-tournament",
        "abandoned",
        "no-winner",
        "self",
        "running",
        "cancelled",
        "interrupted",
    ],
)
def test_what_a_result_counts_for(match, expected):
    assert counts(match) == expected


def test_a_forfeit_after_a_point_counts_as_a_result():
    match = result("tournament", scores=(0, 1), winner=1, forfeit=True)
    assert counts(match)[0].board == BOARD_TOURNAMENT


def test_a_result_finds_a_players_seat_and_its_duration():
    match = result()
    assert (match.seat_of(BOB), match.seat_of(99)) == (1, None)
    assert match.duration is None
    timed = MatchResult(**{**match.__dict__, "details": {"duration": 12}})
    assert timed.duration == 12.0


class Coin(Game):
    """The least a game implements (no invitations, no headless play)."""

    name, title = "coin", "Coin"

    def options_schema(self) -> dict[str, Any]:
        return {"type": "object", "properties": {"sides": {"type": "integer", "default": 2}}}

    def parse_options(self, raw: Mapping[str, Any] | None) -> dict[str, Any]:
        sides = (raw or {}).get("sides", 2)
        if sides != 2:
            raise invalid_options("a coin has two sides")
        return {"sides": 2}

    async def create_match(self, core, players: Sequence[SeatSpec], options, **kwargs) -> str:
        return "c1"

    async def result(self, match_id: str) -> MatchResult | None:
        return None

    async def finished(self, *, after=None, limit=500) -> list[MatchResult]:
        return []

    async def forfeit(self, core, match_id: str, user_id: int) -> None:
        return None


class Hooks:
    """A stand-in for `Core` / `Registry`: `hook("register_games")()` → each module's list."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)

    def hook(self, name: str) -> Any:
        assert name == "register_games"
        return lambda: self.answers


def test_modules_find_the_enabled_games_by_name():
    coin = Coin()
    hooks = Hooks([coin], None)  # a module answering None offers no game
    assert games_of(hooks) == {"coin": coin}
    assert game_of(hooks, "coin") is coin
    assert coin.describe()["modes"] == ["local", "remote", "ai", "tournament"]


def test_a_game_whose_module_is_off_is_unavailable():
    with pytest.raises(APIError) as refused:
        game_of(Hooks([Coin()]), "pong")
    assert (refused.value.status, refused.value.code) == (409, "game_unavailable")


def test_register_games_returns_games_only():
    with pytest.raises(TypeError, match="not a transcendence Game"):
        games_of(Hooks(["pong"]))


async def test_what_a_game_leaves_out_is_refused_clearly():
    coin = Coin()
    with pytest.raises(APIError) as refused:
        await coin.invite(None, ALICE, BOB, {})  # type: ignore[arg-type]
    assert (refused.value.status, refused.value.code) == (409, "invitations_unsupported")
    assert await coin.play_headless(Hooks(), [SeatSpec(None, "x", "easy")] * 2, {}) is None
    assert await coin.ratings([ALICE, BOB]) == {}  # a game without ratings
    with pytest.raises(APIError) as bad:
        coin.parse_options({"sides": 3})
    assert (bad.value.status, bad.value.code) == (400, "invalid_options")
