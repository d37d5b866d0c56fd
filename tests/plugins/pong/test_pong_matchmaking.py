"""Matchmaking and the module's settings: a queue per game settings, windows that widen
while players wait (the re-pairing pass), the snapshot rate and grace period settings, and
the REST input endpoint of the public API.

The socket tests run a real server (Hypercorn, the hub, the bus, the database); the queue's
re-pairing pass runs every 50 ms there (TRANSCENDENCE_PONG_QUEUE_INTERVAL).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from realtime_kit import realtime_server
from transcendence_pong import matchmaking
from transcendence_pong.engine import LIMITS, THEMES, Options
from transcendence_pong.errors import GameError
from transcendence_pong.lease import grace_period, queue_interval, snapshot_rate
from transcendence_pong.models import QueueEntry, Rating
from transcendence_pong.options import parse_options
from transcendence_pong.schemas import OptionsIn

QUICK = {"score_limit": 1, "paddle_height": 20}
SLOW = {"ball_speed": 200, "score_limit": 21}


# --- the settings key of the queue -----------------------------------------------------


def test_equal_options_have_one_key_whatever_their_spelling():
    spelled_out = {**matchmaking.CLASSIC, "score_limit": 3}
    assert matchmaking.options_key({"score_limit": 3}) == matchmaking.options_key(spelled_out)
    reordered = {"paddle_height": 20, "score_limit": 1}
    assert matchmaking.options_key(QUICK) == matchmaking.options_key(reordered)
    assert matchmaking.options_key({"ball_speed": 360}) == matchmaking.options_key({})
    assert matchmaking.options_key(None) == matchmaking.options_key({"ball_speed": 360.0})


def test_different_options_have_different_keys():
    keys = {matchmaking.options_key(o) for o in ({}, QUICK, SLOW, {"theme": "neon"})}
    assert len(keys) == 4


def test_options_no_game_can_use_are_refused():
    with pytest.raises(GameError) as refused:
        matchmaking.options_key({"ball_speed": 900, "ball_speed_max": 400})
    assert refused.value.code == "invalid_options"


def test_the_request_schema_is_the_engine_s_definition():
    """`OptionsIn` is derived from the engine (defaults, ranges, themes): one source."""
    schema = OptionsIn.model_json_schema()["properties"]
    assert OptionsIn().model_dump() == Options().as_dict()
    for name, limit in LIMITS.items():
        assert (schema[name]["minimum"], schema[name]["maximum"]) == (limit.low, limit.high)
    assert schema["theme"]["enum"] == list(THEMES)
    assert OptionsIn(theme="neon").theme == "neon"
    with pytest.raises(ValueError):
        OptionsIn(theme="plaid")
    # A request is held to what players may choose, whichever way it comes in.
    with pytest.raises(GameError) as refused:
        parse_options({"ball_speed": LIMITS["ball_speed"].high + 10, "ball_speed_max": 5000})
    assert refused.value.code == "invalid_options"
    with pytest.raises(GameError):
        parse_options({"theme": "plaid"})


# --- settings from the environment -------------------------------------------------------


def test_the_snapshot_rate_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("TRANSCENDENCE_PONG_SNAPSHOT_RATE", raising=False)
    assert snapshot_rate() == 30
    monkeypatch.setenv("TRANSCENDENCE_PONG_SNAPSHOT_RATE", " 20 ")
    assert snapshot_rate() == 20
    for bad, said in (
        ("fast", "whole number"),
        ("12.5", "whole number"),
        ("0", "between 1 and 60"),
        ("61", "between 1 and 60"),
    ):
        monkeypatch.setenv("TRANSCENDENCE_PONG_SNAPSHOT_RATE", bad)
        with pytest.raises(ValueError, match="TRANSCENDENCE_PONG_SNAPSHOT_RATE") as refused:
            snapshot_rate()
        assert said in str(refused.value)


def test_the_grace_period_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("TRANSCENDENCE_PONG_GRACE", raising=False)
    assert grace_period() == 30.0
    monkeypatch.setenv("TRANSCENDENCE_PONG_GRACE", "4.5")
    assert grace_period() == 4.5
    for bad, said in (
        ("soon", "number of seconds"),
        ("0.5", "between 1 and 600"),
        ("601", "between 1 and 600"),
        ("nan", "between 1 and 600"),
    ):
        monkeypatch.setenv("TRANSCENDENCE_PONG_GRACE", bad)
        with pytest.raises(ValueError, match="TRANSCENDENCE_PONG_GRACE") as refused:
            grace_period()
        assert said in str(refused.value)


def test_the_queue_interval_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("TRANSCENDENCE_PONG_QUEUE_INTERVAL", raising=False)
    assert queue_interval() == 2.0
    monkeypatch.setenv("TRANSCENDENCE_PONG_QUEUE_INTERVAL", "0.5")
    assert queue_interval() == 0.5
    monkeypatch.setenv("TRANSCENDENCE_PONG_QUEUE_INTERVAL", "0")
    with pytest.raises(ValueError, match=r"between 0\.05 and 60 seconds"):
        queue_interval()


# --- over real sockets -------------------------------------------------------------------

pong_modules = pytest.mark.modules("pong", "ai")


@pytest.fixture
async def server(settings, monkeypatch):
    monkeypatch.setenv("TRANSCENDENCE_PONG_QUEUE_INTERVAL", "0.05")
    monkeypatch.setenv("TRANSCENDENCE_PONG_SNAPSHOT_RATE", "10")
    monkeypatch.setenv("TRANSCENDENCE_PONG_GRACE", "4")
    async with realtime_server(settings) as server:
        yield server


@pong_modules
async def test_the_games_use_the_snapshot_rate_and_grace_settings(server):
    games = server.app.extensions["pong"].games
    assert (games.snapshot_rate, games.grace) == (10, 4.0)
    tab = await server.connect(await server.user("alice"))
    created = await tab.request("pong.create", {"mode": "local", "options": SLOW})
    room = games.rooms[created["data"]["game_id"]]
    assert room.snapshot_every == 6  # 60 Hz ticks, a snapshot every sixth: 10 a second
    assert room.grace == 4.0


@pong_modules
async def test_players_who_asked_for_other_options_are_not_paired(server):
    alice, bob, carol = [await server.user(n) for n in ("alice", "bob", "carol")]
    a, b, c = [await server.connect(u) for u in (alice, bob, carol)]
    waiting = await a.request("pong.queue", {"options": QUICK})
    assert waiting["data"] == {"status": "waiting", "game_id": None}
    other = await b.request("pong.queue", {"options": SLOW})
    assert other["data"] == {"status": "waiting", "game_id": None}  # not alice's game
    # The re-pairing pass does not pair them either, however long they wait.
    server.app.extensions["pong"].queue_clock = lambda: datetime.now(UTC) + timedelta(hours=1)
    assert await server.app.extensions["pong"].pair_waiting() == []
    assert await QueueEntry.all().count() == 2

    # Carol asks for alice's game, spelled differently: they are paired at once.
    same = {"paddle_height": 20.0, "score_limit": 1, "theme": "classic"}
    matched = await c.request("pong.queue", {"options": same})
    assert matched["data"]["status"] == "matched"
    note = await a.take("pong.matched")
    assert note["data"]["game_id"] == matched["data"]["game_id"]
    assert note["data"]["opponent"]["id"] == carol.id
    game = server.app.extensions["pong"].games.rooms[matched["data"]["game_id"]]
    assert game.engine.options.score_limit == 1 and game.engine.options.paddle_height == 20
    assert [e.user_id for e in await QueueEntry.all()] == [bob.id]  # bob still waits


@pong_modules
async def test_waiting_players_are_paired_once_their_windows_have_widened(server):
    pong = server.app.extensions["pong"]
    alice, bob = await server.user("alice"), await server.user("bob")
    await Rating.create(user_id=alice.id, rating=1000)
    await Rating.create(user_id=bob.id, rating=1300)
    a, b = await server.connect(alice), await server.connect(bob)
    assert (await a.request("pong.queue", {"options": QUICK}))["data"]["status"] == "waiting"
    assert (await b.request("pong.queue", {"options": QUICK}))["data"]["status"] == "waiting"
    # 300 points apart: out of range at first (100), for the pass as for the join.
    assert await pong.pair_waiting() == []
    assert await QueueEntry.all().count() == 2

    # Ten seconds later the window is 100 + 20 x 10 = 300: the background pass pairs them.
    pong.queue_clock = lambda: datetime.now(UTC) + timedelta(seconds=10.5)
    to_alice, to_bob = await a.take("pong.matched"), await b.take("pong.matched")
    game_id = to_alice["data"]["game_id"]
    assert to_bob["data"]["game_id"] == game_id
    assert to_alice["data"]["side"] == "left" and to_bob["data"]["side"] == "right"
    assert to_alice["data"]["opponent"]["id"] == bob.id
    assert to_bob["data"]["opponent"]["id"] == alice.id
    assert await QueueEntry.all().count() == 0
    joined = await b.request("pong.join", {"game_id": game_id})
    assert joined["data"]["side"] == "right" and joined["data"]["mode"] == "remote"


@pong_modules
async def test_the_re_pairing_pass_never_pairs_blocked_players(server):
    from transcendence.accounts.models import Block

    pong = server.app.extensions["pong"]
    alice, bob = await server.user("alice"), await server.user("bob")
    await Rating.create(user_id=bob.id, rating=1300)
    await Block.create(blocker_id=bob.id, blocked_id=alice.id)
    a, b = await server.connect(alice), await server.connect(bob)
    await a.request("pong.queue", {"options": QUICK})
    await b.request("pong.queue", {"options": QUICK})
    pong.queue_clock = lambda: datetime.now(UTC) + timedelta(hours=1)
    assert await pong.pair_waiting() == []
    assert await QueueEntry.all().count() == 2


# --- the REST input endpoint ---------------------------------------------------------------


async def live_state(http, game_id, headers, predicate, timeout=5.0):
    """The game's `live` snapshot once it satisfies `predicate` (polled: no event for it)."""
    async with asyncio.timeout(timeout):
        while True:
            body = (await http.get(f"/api/pong/games/{game_id}", headers=headers)).json()
            if body["live"] is not None and predicate(body["live"]):
                return body["live"]
            await asyncio.sleep(0.02)


@pong_modules
async def test_a_key_sent_over_rest_moves_the_paddle(server):
    alice, bob = await server.user("alice"), await server.user("bob")
    mine = {"Authorization": f"Bearer {alice.access}"}
    async with httpx.AsyncClient(base_url=server.http) as http:
        created = await http.post("/api/pong/games", json={"mode": "local", "options": SLOW})
        assert created.status_code == 401  # the API needs a token
        created = await http.post(
            "/api/pong/games", json={"mode": "local", "options": SLOW}, headers=mine
        )
        assert created.status_code == 201, created.text
        game_id = created.json()["game_id"]
        before = await live_state(http, game_id, mine, lambda s: True)
        start_y = before["paddles"]["left"]["y"]

        press = {"key": "up", "pressed": True, "seq": 7, "side": "left"}  # the game: in the path
        sent = await http.post(f"/api/pong/games/{game_id}/input", json=press, headers=mine)
        assert sent.status_code == 202, sent.text
        moved = await live_state(
            http,
            game_id,
            mine,
            lambda s: s["acks"]["left"] == 7 and s["paddles"]["left"]["y"] < start_y - 20,
        )
        assert moved["paddles"]["right"]["y"] == before["paddles"]["right"]["y"]

        unknown = {**press, "key": "left", "seq": 8}
        bad = await http.post(f"/api/pong/games/{game_id}/input", json=unknown, headers=mine)
        assert bad.status_code == 400
        assert bad.json()["error"]["code"] == "validation_error"

        theirs = {"Authorization": f"Bearer {bob.access}"}
        foreign = await http.post(f"/api/pong/games/{game_id}/input", json=press, headers=theirs)
        assert foreign.status_code == 403
        assert foreign.json()["error"]["code"] == "forbidden"

        missing = "00000000-0000-0000-0000-000000000000"
        gone = await http.post(f"/api/pong/games/{missing}/input", json=press, headers=mine)
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"

        # The queue refuses options no game can be played with, as JSON.
        odd = {"options": {"ball_speed": 900, "ball_speed_max": 400}}
        refused = await http.post("/api/pong/queue", json=odd, headers=mine)
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "invalid_options"


@pong_modules
async def test_the_options_offered_are_served_to_the_browser(server):
    """`GET /api/pong/options`: the engine's definition, which the option forms read."""
    alice = await server.user("alice")
    async with httpx.AsyncClient(base_url=server.http) as http:
        assert (await http.get("/api/pong/options")).status_code == 401
        got = await http.get(
            "/api/pong/options", headers={"Authorization": f"Bearer {alice.access}"}
        )
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["defaults"] == Options().as_dict()
    assert body["presets"]["classic"] == Options().as_dict()
    assert body["themes"] == list(THEMES)
    assert body["limits"]["score_limit"] == {"min": 1, "max": 21, "step": 1}
    assert body["limits"]["ball_speed"] == {"min": 100, "max": 2000, "step": 10}
    assert set(body["limits"]) == set(LIMITS)


@pong_modules
async def test_queueing_with_options_no_game_can_use_is_refused_and_the_socket_stays(server):
    tab = await server.connect(await server.user("alice"))
    refused = await tab.request(
        "pong.queue", {"options": {"ball_speed": 900, "ball_speed_max": 500}}
    )
    assert refused["type"] == "error", refused
    assert refused["error"]["code"] == "invalid_options"
    assert await QueueEntry.all().count() == 0
    waiting = await tab.request("pong.queue", {"options": QUICK})  # the socket still works
    assert waiting["data"]["status"] == "waiting"


@pong_modules
async def test_a_tab_closed_while_waiting_leaves_the_queue(server):
    alice = await server.user("alice")
    tab = await server.connect(alice)
    assert (await tab.request("pong.queue", {"options": QUICK}))["data"]["status"] == "waiting"
    assert await QueueEntry.filter(user_id=alice.id).exists()
    await tab.close()
    # The server learns of the close on its side: no event reaches the test, so ask.
    async with asyncio.timeout(10):
        while await QueueEntry.filter(user_id=alice.id).exists():
            await asyncio.sleep(0.02)
