"""Admission control: a server process at its capacity of games refuses new ones
(`server_busy`), on REST and on the socket, while the games it runs go on; a game that
ends frees its slot.

Real server (Hypercorn, the hub, the bus, the database).
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from realtime_kit import realtime_server
from transcendence_pong.limits import max_games
from transcendence_pong.models import Invite, Match, QueueEntry

pytestmark = pytest.mark.modules("pong", "ai")
ENDLESS = {"score_limit": 3, "paddle_height": 600}  # full-height paddles: no point for 30 s


@pytest.fixture
async def server(settings):
    async with realtime_server(settings) as server:
        server.rest = []
        yield server
        for http in server.rest:
            await http.aclose()


def rest(server, user) -> httpx.AsyncClient:
    http = httpx.AsyncClient(
        base_url=server.http, headers={"Authorization": f"Bearer {user.access}"}
    )
    server.rest.append(http)
    return http


async def next_state(tab, game_id: str) -> dict:
    while True:
        frame = await tab.take("pong.state")
        if frame["data"]["game_id"] == game_id:
            return frame["data"]


def test_the_capacity_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("TRANSCENDENCE_PONG_MAX_GAMES", raising=False)
    assert max_games() == 250
    monkeypatch.setenv("TRANSCENDENCE_PONG_MAX_GAMES", "40")
    assert max_games() == 40
    for bad in ("lots", "0", "100001"):
        monkeypatch.setenv("TRANSCENDENCE_PONG_MAX_GAMES", bad)
        with pytest.raises(ValueError, match="TRANSCENDENCE_PONG_MAX_GAMES"):
            max_games()


async def test_a_full_server_refuses_new_games_and_keeps_running_its_own(server):
    pong = server.app.extensions["pong"]
    pong.games.max_games = 2
    alice, bob, carol, dave, erin = [
        await server.user(n) for n in ("alice", "bob", "carol", "dave", "erin")
    ]
    # Two games: the server's capacity.
    made = await rest(server, alice).post(
        "/api/pong/games", json={"mode": "local", "options": ENDLESS}
    )
    assert made.status_code == 201, made.text
    game_id = made.json()["game_id"]
    bobs_tab = await server.connect(bob)
    bobs = await bobs_tab.request("pong.create", {"mode": "ai", "options": ENDLESS})
    assert bobs["type"] == "pong.create", bobs
    alices_tab = await server.connect(alice)
    await alices_tab.request("pong.join", {"game_id": game_id})

    # A third one is refused, with a reason, over REST and over the socket.
    refused = await rest(server, carol).post(
        "/api/pong/games", json={"mode": "ai", "options": ENDLESS}
    )
    assert refused.status_code == 503
    error = refused.json()["error"]
    assert error["code"] == "server_busy" and "(2)" in error["message"]
    carols_tab = await server.connect(carol)
    frame = await carols_tab.request("pong.create", {"mode": "local", "options": ENDLESS})
    assert frame["type"] == "error" and frame["error"]["code"] == "server_busy"
    # An invitation accepted now is refused too, and stays open for later.
    erins_tab, daves_tab = await server.connect(erin), await server.connect(dave)
    sent = await daves_tab.request("pong.invite", {"user_id": erin.id, "options": ENDLESS})
    invite_id = sent["data"]["invite_id"]
    await erins_tab.take("notify")
    answer = await erins_tab.request("pong.answer", {"invite_id": invite_id, "accept": True})
    assert answer["type"] == "error" and answer["error"]["code"] == "server_busy"
    assert (await Invite.get(id=invite_id)).status == "pending"
    # Nor does the queue take a player it could not give a game.
    queued = await carols_tab.request("pong.queue", {"options": ENDLESS})
    assert queued["type"] == "error" and queued["error"]["code"] == "server_busy"
    assert not await QueueEntry.filter(user_id=carol.id).exists()
    assert await Match.all().count() == 2  # nothing was half made

    # The running games go on: alice's, past its countdown, keeps ticking and takes her keys.
    while (before := await next_state(alices_tab, game_id))["tick"] == 0:
        pass
    key = {"game_id": game_id, "key": "up", "pressed": True, "seq": 1}
    await alices_tab.send({"type": "pong.input", "data": key})
    while (after := await next_state(alices_tab, game_id))["acks"]["left"] < 1:
        pass
    assert after["tick"] > before["tick"] and after["paused"] is None
    # And the refused sockets are still open.
    assert (await carols_tab.request("pong.unqueue"))["type"] == "pong.unqueue"

    # Alice's game ends (she leaves it): its slot is free, and carol's game starts.
    room = pong.games.rooms[game_id]
    assert (await alices_tab.request("pong.leave", {"game_id": game_id}))["type"] == "pong.leave"
    async with asyncio.timeout(10):
        await asyncio.shield(room.task)  # the game's loop records its end, then returns
    again = await carols_tab.request("pong.create", {"mode": "local", "options": ENDLESS})
    assert again["type"] == "pong.create", again
    # Full again: erin's acceptance still waits for a slot.
    answer = await erins_tab.request("pong.answer", {"invite_id": invite_id, "accept": True})
    assert answer["error"]["code"] == "server_busy"
