"""How many games one user holds: a few local or AI games, and one remote game at a time.

Real server (Hypercorn, the hub, the bus, the database); REST and the socket answer alike.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from tortoise.expressions import Q

from realtime_kit import realtime_server
from transcendence_pong.limits import max_local_games
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


async def invite_and_accept(inviter, invited, invited_tab, inviter_tab) -> dict:
    """`inviter` invites `invited`, who accepts: the answer frame (a game, or an error)."""
    sent = await inviter_tab.request("pong.invite", {"user_id": invited.id, "options": ENDLESS})
    invite_id = sent["data"]["invite_id"]
    await invited_tab.take("notify")
    return await invited_tab.request("pong.answer", {"invite_id": invite_id, "accept": True})


def test_the_local_game_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("TRANSCENDENCE_PONG_MAX_LOCAL_GAMES", raising=False)
    assert max_local_games() == 3
    monkeypatch.setenv("TRANSCENDENCE_PONG_MAX_LOCAL_GAMES", "5")
    assert max_local_games() == 5
    for bad in ("many", "0", "101"):
        monkeypatch.setenv("TRANSCENDENCE_PONG_MAX_LOCAL_GAMES", bad)
        with pytest.raises(ValueError, match="TRANSCENDENCE_PONG_MAX_LOCAL_GAMES"):
            max_local_games()


async def test_a_user_holds_a_few_local_or_ai_games_at_most(server):
    alice, bob = await server.user("alice"), await server.user("bob")
    limit = server.app.extensions["pong"].max_local_games
    http = rest(server, alice)
    body = {"mode": "local", "options": ENDLESS}
    # Side by side, as a script would: only `limit` of them start (it used to be all of them).
    answers = await asyncio.gather(*(http.post("/api/pong/games", json=body) for _ in range(8)))
    assert sorted(a.status_code for a in answers) == [201] * limit + [409] * (8 - limit)
    refused = [a.json()["error"]["code"] for a in answers if a.status_code == 409]
    assert set(refused) == {"too_many_games"}
    assert await Match.filter(left_user_id=alice.id, status="running").count() == limit
    # The socket says the same, for an AI game too; someone else is not limited by her.
    tab = await server.connect(alice)
    more = await tab.request("pong.create", {"mode": "ai", "options": ENDLESS})
    assert more["type"] == "error" and more["error"]["code"] == "too_many_games"
    bobs = await rest(server, bob).post("/api/pong/games", json=body)
    assert bobs.status_code == 201
    # One game given up: she may start another.
    game_id = next(a.json()["game_id"] for a in answers if a.status_code == 201)
    await tab.request("pong.join", {"game_id": game_id})
    assert (await tab.request("pong.leave", {"game_id": game_id}))["type"] == "pong.leave"
    async with asyncio.timeout(10):
        while (await Match.get(id=game_id)).status == "running":
            await asyncio.sleep(0.01)  # the forfeit is recorded by the game's loop
    again = await tab.request("pong.create", {"mode": "ai", "options": ENDLESS})
    assert again["type"] == "pong.create", again


async def test_a_player_in_a_remote_game_cannot_queue_accept_or_be_matched(server):
    alice, bob, carol, dave = [await server.user(n) for n in ("alice", "bob", "carol", "dave")]
    b, c, d = [await server.connect(u) for u in (bob, carol, dave)]
    # Carol waits in the queue; then she and dave start a game from an invitation.
    waiting = await c.request("pong.queue", {"options": ENDLESS})
    assert waiting["data"]["status"] == "waiting"
    started = await invite_and_accept(dave, carol, c, d)
    assert started["type"] == "pong.answer" and started["data"]["game_id"]
    assert not await QueueEntry.filter(user_id=carol.id).exists()  # out of the queue
    # So alice, queueing for the same game, waits instead of joining carol's second game.
    alone = await rest(server, alice).post("/api/pong/queue", json={"options": ENDLESS})
    assert alone.status_code == 200 and alone.json()["status"] == "waiting"
    await rest(server, alice).delete("/api/pong/queue")

    # Carol cannot queue again, over REST or the socket.
    queued = await rest(server, carol).post("/api/pong/queue", json={"options": ENDLESS})
    assert queued.status_code == 409 and queued.json()["error"]["code"] == "already_in_game"
    frame = await c.request("pong.queue", {"options": ENDLESS})
    assert frame["type"] == "error" and frame["error"]["code"] == "already_in_game"
    # Nor accept an invitation, which stays pending for later.
    refused = await invite_and_accept(bob, carol, c, b)
    assert refused["type"] == "error" and refused["error"]["code"] == "already_in_game"
    # And nobody starts a game with her: bob accepting her invitation is refused too.
    sent = await c.request("pong.invite", {"user_id": bob.id, "options": ENDLESS})
    await b.take("notify")
    answer = {"invite_id": sent["data"]["invite_id"], "accept": True}
    theirs = await b.request("pong.answer", answer)
    assert theirs["type"] == "error" and theirs["error"]["code"] == "already_in_game"
    assert "opponent" in theirs["error"]["message"]
    playing = Match.filter(Q(left_user_id=carol.id) | Q(right_user_id=carol.id), mode="remote")
    assert await playing.count() == 1
    assert await Invite.filter(recipient_id=carol.id, status="pending").count() == 1
    # A local game does not count against the remote one.
    local = await c.request("pong.create", {"mode": "local", "options": ENDLESS})
    assert local["type"] == "pong.create", local
