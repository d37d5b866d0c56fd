"""A finished match is always recorded: through a database outage at the very end of a game,
with its ratings moved once and the `match_finished` listeners told once, after the record.

The outage is injected at the database client (Tortoise's connection): its transactions
fail to open, or one commits and then loses its answer, as a dropped connection would. The
games are real (the app, its hub and bus, the database of the run), on a sped-up clock.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from tortoise import connections
from tortoise.exceptions import OperationalError

from realtime_kit import realtime_server
from transcendence_pong.clock import FastClock, ScaledClock
from transcendence_pong.engine import Engine, Options, Side
from transcendence_pong.models import Match, Rating
from transcendence_pong.room import Room, Seat

pytestmark = pytest.mark.modules("pong")
QUICK = Options(score_limit=1, paddle_height=20)  # idle paddles lose the first point


class GatedClock(ScaledClock):
    """Fast game time a test can hold still (`gate.clear()`) until its outage is armed."""

    def __init__(self, speed: float):
        super().__init__(speed)
        self.gate = asyncio.Event()

    async def sleep_until(self, deadline: float) -> None:
        await self.gate.wait()
        await super().sleep_until(deadline)


class Outage:
    """The database client's transactions fail `times` times, then work again.

    `after_commit`: the transaction commits, then its answer is lost (the client raises as if
    the connection dropped just then), as the hardest case for a retry."""

    def __init__(self, client: Any, times: int, *, after_commit: bool = False) -> None:
        self.real = client._in_transaction
        self.left = times
        self.after_commit = after_commit
        self.failures = 0
        self.over = asyncio.Event()

    def __call__(self) -> Any:
        real = self.real()
        outage = self

        class Context:
            async def __aenter__(self) -> Any:
                if outage.left and not outage.after_commit:
                    outage.fail()
                return await real.__aenter__()

            async def __aexit__(self, *exc: Any) -> Any:
                result = await real.__aexit__(*exc)
                if outage.left and outage.after_commit and exc[0] is None:
                    outage.fail()
                return result

        return Context()

    def fail(self) -> None:
        self.left -= 1
        self.failures += 1
        if not self.left:
            self.over.set()
        raise OperationalError("connection to server was lost (injected)")


def database_client() -> Any:
    return connections.get(next(iter(connections.db_config)))


@pytest.fixture
async def server(settings):
    async with realtime_server(settings) as server:
        pong = server.app.extensions["pong"]
        pong.games.clock = GatedClock(20)
        pong.games.snapshot_rate = 10
        yield server


def watch_listeners(server) -> list[str]:
    """The status of the match in the database each time `match_finished` listeners run."""
    games = server.app.extensions["pong"].games
    seen: list[str] = []
    listeners = games.on_finished

    async def spy(match: Match) -> None:
        seen.append((await Match.get(id=match.id)).status)
        await listeners(match)

    games.on_finished = spy
    return seen


async def remote_game_ending_in(server, outage: Outage, monkeypatch) -> tuple[Any, Any, Room]:
    """Alice and Bob's remote game, held until the outage is armed, then played out."""
    games = server.app.extensions["pong"].games
    alice, bob = await server.user("alice"), await server.user("bob")
    match = await games.create("remote", (alice.id, "alice"), (bob.id, "bob"), QUICK)
    room = games.rooms[str(match.id)]
    monkeypatch.setattr(database_client(), "_in_transaction", outage)
    games.clock.gate.set()
    return alice, bob, room


async def ended(room: Room) -> None:
    assert room.task is not None
    async with asyncio.timeout(60):
        await asyncio.wait({room.task})
    assert room.task.exception() is None


async def ratings() -> dict[int, tuple[int, int]]:
    return {r.user_id: (r.rating, r.games) for r in await Rating.all()}  # type: ignore[attr-defined]


@pytest.mark.parametrize("after_commit", [False, True], ids=["refused", "answer-lost"])
async def test_a_match_ending_during_an_outage_is_recorded_once_when_the_database_is_back(
    server, monkeypatch, after_commit
):
    outage = Outage(database_client(), 3 if not after_commit else 1, after_commit=after_commit)
    listeners = watch_listeners(server)
    alice, bob, room = await remote_game_ending_in(server, outage, monkeypatch)
    await ended(room)
    assert outage.over.is_set() and outage.failures >= 1

    match = await Match.get(id=room.id)
    assert match.status == "finished"
    assert (match.left_score, match.right_score) == (
        room.engine.scores[Side.LEFT],
        room.engine.scores[Side.RIGHT],
    )
    # Equal ratings, K = 32: the winner gains 16 and the loser loses 16, once.
    winner, loser = (alice, bob) if match.winner == "left" else (bob, alice)
    assert await ratings() == {winner.id: (1016, 1), loser.id: (984, 1)}
    # The listeners (stats, tournaments) heard of it once, after it was written.
    assert listeners == ["finished"]


async def test_the_players_see_the_result_only_after_it_is_recorded(server, monkeypatch):
    games = server.app.extensions["pong"].games
    statuses: list[tuple[bool, str]] = []
    deliver = games.deliver

    async def watching(topic: str, kind: str, encoded: Any) -> None:
        state = json.loads(encoded)  # snapshots come encoded already (`Encoded`)
        if kind == "pong.state" and state.get("phase") == "finished":
            statuses.append((state["recorded"], (await Match.get(id=state["game_id"])).status))
        await deliver(topic, kind, encoded)

    games.deliver = watching
    _, _, room = await remote_game_ending_in(server, Outage(database_client(), 2), monkeypatch)
    await ended(room)
    assert statuses == [(True, "finished")]


async def test_a_match_the_database_never_takes_is_logged_in_full(server, monkeypatch):
    games = server.app.extensions["pong"].games
    games.record_give_up = 0.3
    room_log: list[logging.LogRecord] = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = room_log.append  # type: ignore[method-assign]
    logger = logging.getLogger("transcendence.pong")
    logger.addHandler(handler)
    try:
        outage = Outage(database_client(), 10**6)
        listeners = watch_listeners(server)
        _, _, room = await remote_game_ending_in(server, outage, monkeypatch)
        await ended(room)
    finally:
        logger.removeHandler(handler)
    monkeypatch.undo()
    (lost,) = [r for r in room_log if "NOT RECORDED" in r.getMessage()]
    restored = json.loads(lost.getMessage().split("this JSON: ", 1)[1])
    assert restored["id"] == room.id and restored["status"] == "finished"
    assert restored["winner"] in ("left", "right")
    assert restored["record"]["scores"] == {
        "left": room.engine.scores[Side.LEFT],
        "right": room.engine.scores[Side.RIGHT],
    }
    assert listeners == []  # nothing told about a match that is not in the database
    assert (await Match.get(id=room.id)).status == "running"
    assert await ratings() == {}


async def test_a_room_whose_snapshots_cannot_be_published_plays_on_and_says_so_once(caplog):
    failing = asyncio.Event()
    failing.set()
    published: list[dict[str, Any]] = []
    attempts = 0

    async def publish(kind: str, state: dict[str, Any]) -> None:
        nonlocal attempts
        attempts += 1
        if failing.is_set():
            if attempts >= 20:  # the transport comes back after a while
                failing.clear()
            raise ConnectionError("Redis is down (injected)")
        published.append(state)

    finished: list[Room] = []

    async def on_finish(room: Room) -> None:
        finished.append(room)

    room = Room(
        "g-publish",
        Engine(Options(score_limit=2), seed=5),
        [Seat(Side.LEFT, 1), Seat(Side.RIGHT, 2)],
        publish=publish,
        on_finish=on_finish,
        clock=FastClock(),
    )
    caplog.set_level(logging.INFO, logger="transcendence.pong.room")
    async with asyncio.timeout(30):
        await room.start()
    assert finished == [room]
    assert published and published[-1]["phase"] == "finished" and published[-1]["recorded"]
    lines = [r for r in caplog.records if r.name == "transcendence.pong.room"]
    assert [r.levelno for r in lines] == [logging.WARNING, logging.WARNING], lines
    assert "not published" in lines[0].getMessage() and lines[0].exc_info is None
    assert "published again (20 dropped" in lines[1].getMessage()
