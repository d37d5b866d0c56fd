"""Pong through the game API (`transcendence.games`), as tournament, stats and chat use it:
matches created for given seats, their players' arrivals and ends reported with pong's
`MatchResult`, AI against AI played headless."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from transcendence.core import core_of
from transcendence.errors import APIError
from transcendence.games import SeatSpec, game_of, records
from transcendence_pong.models import Rating

pytestmark = pytest.mark.modules("pong", "ai")
QUICK = {"score_limit": 1, "paddle_height": 20, "ball_speed": 420}


class Heard:
    """The game hooks pong calls through its core, with their arguments."""

    def __init__(self, core: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.changed = asyncio.Event()
        original = core.call

        async def call(name: str, **kwargs: Any) -> list[Any]:
            self.calls.append((name, kwargs))
            self.changed.set()
            return await original(name, **kwargs)

        monkeypatch.setattr(core, "call", call)

    async def first(self, name: str) -> dict[str, Any]:
        async with asyncio.timeout(10):
            while True:
                for called, kwargs in self.calls:
                    if called == name:
                        return kwargs
                self.changed.clear()
                await self.changed.wait()


def test_pong_describes_itself_and_checks_its_options(app):
    pong = game_of(core_of(app), "pong")
    described = pong.describe()
    assert (described["name"], described["title"], described["seats"]) == ("pong", "Pong", 2)
    assert described["options"]["properties"]["score_limit"]["default"] == 5
    assert pong.parse_options({"score_limit": 3})["score_limit"] == 3
    with pytest.raises(APIError) as refused:
        pong.parse_options({"score_limit": 99})
    assert (refused.value.status, refused.value.code) == (400, "invalid_options")


async def test_a_held_match_reports_its_arrivals_and_ends_with_a_forfeit(server, monkeypatch):
    core = core_of(server.app)
    heard = Heard(core, monkeypatch)
    pong = game_of(core, "pong")
    alice, bob = await server.user("alice"), await server.user("bob")
    match_id = await pong.create_match(
        core,
        [SeatSpec(alice.id, "Ace"), SeatSpec(bob.id, "Bee")],
        QUICK,
        mode="tournament",
        hold=True,
    )
    waiting = await pong.result(match_id)
    assert waiting is not None and waiting.status == "running"
    assert [p.name for p in waiting.players] == ["Ace", "Bee"]

    a = await server.connect(alice)
    assert (await a.request("pong.join", {"game_id": match_id}))["data"]["side"] == "left"
    joined = await heard.first("match_player_joined")
    assert (joined["game"], joined["match_id"], joined["user_id"]) == ("pong", match_id, alice.id)

    await pong.forfeit(core, match_id, bob.id)  # Bob never came
    result = (await heard.first("match_finished"))["result"]
    assert (result.game, result.id, result.status) == ("pong", match_id, "finished")
    assert (result.winner, result.forfeit, result.mode) == (0, True, "tournament")
    assert result.players[0].user_id == alice.id and result.players[1].user_id == bob.id
    # Given up before any point: in both players' history, a loss for no one.
    assert records.counts(result) == dict.fromkeys((0, 1), records.HISTORY_ONLY)
    assert await pong.result(match_id) == result
    assert [r.id for r in await pong.finished()] == [match_id]


async def test_ai_seats_play_headless_and_the_result_is_stored(app):
    core = core_of(app)
    pong = game_of(core, "pong")
    seats = [SeatSpec(None, "Bot A", "easy"), SeatSpec(None, "Bot B", "hard")]
    result = await pong.play_headless(core, seats, QUICK, seed=7)
    assert result is not None and result.status == "finished" and result.winner in (0, 1)
    assert [p.ai_level for p in result.players] == ["easy", "hard"]
    assert max(p.score for p in result.players) == 1
    assert result.duration is not None and result.duration > 0
    assert await pong.result(result.id) == result
    # Matches read back in the order they ended, from just after the last one read.
    assert await pong.finished(after=result) == []


async def test_ratings_are_read_for_the_accounts_that_have_one(app, make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    await Rating.create(user_id=alice.id, rating=1040, games=3)
    pong = game_of(core_of(app), "pong")
    assert await pong.ratings([alice.id, bob.id]) == {alice.id: 1040}
    assert await pong.ratings([]) == {}


async def test_an_ai_seat_comes_last(app, make_user):
    core = core_of(app)
    alice = await make_user("alice")
    with pytest.raises(APIError) as refused:
        await game_of(core, "pong").create_match(
            core, [SeatSpec(None, "Bot", "easy"), SeatSpec(alice.id, "Ace")], {}, mode="ai"
        )
    assert (refused.value.status, refused.value.code) == (400, "invalid_seats")
