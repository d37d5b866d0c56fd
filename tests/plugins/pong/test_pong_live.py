"""The lobby's live-games feed: `pong.live.watch`, then a `pong.live` frame per start and end."""

from __future__ import annotations

import httpx
import pytest

from realtime_kit import realtime_server
from transcendence_pong.clock import ScaledClock

pytestmark = pytest.mark.modules("pong", "ai")
QUICK = {"score_limit": 1, "paddle_height": 20}  # idle paddles lose the first point


@pytest.fixture
async def server(settings):
    async with realtime_server(settings) as server:
        games = server.app.extensions["pong"].games
        games.clock = ScaledClock(20)
        games.snapshot_rate = 10
        yield server


async def quiet(client) -> None:
    """Everything sent to this socket so far has arrived (a round trip flushes its queue)."""
    assert (await client.request("ping"))["type"] == "pong"


async def test_watchers_hear_games_start_and_end_and_others_do_not(server):
    alice, carol, dave = [await server.user(n) for n in ("alice", "carol", "dave")]
    watcher, gone = await server.connect(carol), await server.connect(dave)
    assert (await watcher.request("pong.live.watch"))["data"] == {"ok": True}
    assert (await gone.request("pong.live.watch"))["data"] == {"ok": True}
    assert (await gone.request("pong.live.unwatch"))["data"] == {"ok": True}

    player = await server.connect(alice)
    created = await player.request("pong.create", {"mode": "local", "options": QUICK})
    game_id = created["data"]["game_id"]

    started = await watcher.expect("pong.live", timeout=10)
    assert started["data"]["event"] == "started"
    game = started["data"]["game"]
    assert game["id"] == game_id and game["status"] == "running" and game["mode"] == "local"
    assert game["left"] == {"user_id": alice.id, "name": "alice", "kind": "user"}
    # The second player at her keyboard, unnamed: a browser words it in its reader's language.
    assert game["right"] == {"user_id": None, "name": "Player 2", "kind": "guest", "named": False}
    # What the lobby read over REST at this point lists the same game, in the same shape.
    async with httpx.AsyncClient(base_url=server.http) as http:
        listed = await http.get(
            "/api/pong/games", headers={"Authorization": f"Bearer {carol.access}"}
        )
    assert listed.json()["items"] in ([game], [])  # [] once it has ended

    ended = await watcher.expect("pong.live", timeout=20)
    assert ended["data"]["event"] == "ended"
    assert ended["data"]["game"]["id"] == game_id
    assert ended["data"]["game"]["status"] == "finished"
    assert ended["data"]["game"]["winner"] in {"left", "right"}

    await quiet(gone)  # the frames went out together: had dave still followed, he would have both
    assert not [f for f in gone.seen if f["type"] == "pong.live"]


async def test_the_feed_is_in_the_realtime_schema(server):
    async with httpx.AsyncClient(base_url=server.http) as http:
        schema = (await http.get("/api/realtime/schema.json")).json()
    text = str(schema)
    assert "pong.live.watch" in text and "pong.live.unwatch" in text and "'pong.live'" in text
