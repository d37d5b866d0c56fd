"""A remote game's lifecycle over real sockets: held until both players are in, a countdown
before the first serve, a no-show cancels it for no one, a rematch with the same options.

Games run on a sped-up clock (20 game seconds per real second); the tests wait for frames,
never for time.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from transcendence_pong.models import Match, Rating

pytestmark = pytest.mark.modules("pong", "ai")
# Idle paddles this small lose a point within a couple of game seconds of the serve.
QUICK = {"score_limit": 1, "paddle_height": 20, "theme": "neon", "ball_speed": 420}


async def take(client, type_, timeout=5.0):
    """The next frame of a type, including one that arrived while awaiting a reply."""
    for frame in client.seen:
        if frame["type"] == type_:
            client.seen.remove(frame)
            return frame
    return await client.expect(type_, timeout=timeout)


async def states_until(client, predicate, timeout=10.0):
    """Every `pong.state` up to (and with) the first one that satisfies `predicate`."""
    seen = []
    async with asyncio.timeout(timeout):
        while True:
            state = (await client.expect("pong.state", timeout=timeout))["data"]
            seen.append(state)
            if predicate(state):
                return seen


async def invited_game(server, options, tabs=None):
    """Alice challenges Bob, who accepts: the game id and both users' sockets. `tabs`: a
    list that gets another socket of Alice's, open before the answer."""
    alice, bob = await server.user("alice"), await server.user("bob")
    a, b = await server.connect(alice), await server.connect(bob)
    if tabs is not None:
        tabs.append(await server.connect(alice))
    sent = await a.request("pong.invite", {"user_id": bob.id, "options": options})
    note = await b.expect("notify")
    assert note["data"]["data"]["invite_id"] == sent["data"]["invite_id"]
    accepted = await b.request(
        "pong.answer", {"invite_id": sent["data"]["invite_id"], "accept": True}
    )
    return alice, bob, a, b, accepted["data"]["game_id"]


async def ended(game_id: str) -> Match:
    async with asyncio.timeout(10):
        while (match := await Match.get(id=game_id)).status == "running":
            await asyncio.sleep(0.01)  # written right after the last frame
    return match


async def test_the_clock_waits_for_both_players_then_counts_down(server):
    wait = server.app.extensions["pong"].games.no_show_wait
    tabs: list = []
    _alice, _bob, a, b, game_id = await invited_game(server, QUICK, tabs)
    # Every tab of both players is sent to the game (`pong.matched`, which the browser
    # acts on), Alice's second tab too.
    for client, side in ((a, "left"), (tabs[0], "left"), (b, "right")):
        matched = await take(client, "pong.matched")
        assert matched["data"]["game_id"] == game_id and matched["data"]["side"] == side

    assert (await a.request("pong.join", {"game_id": game_id}))["data"]["side"] == "left"
    # Bob has not opened the game: it is held. Four game seconds pass, far more than an
    # idle paddle of 20 needs to lose a point, and nothing moves.
    held = await states_until(a, lambda s: s.get("waiting_seconds_left", wait) <= wait - 4)
    assert all(s["waiting"] == ["right"] for s in held)
    assert all(s["tick"] == 0 and s["scores"] == {"left": 0, "right": 0} for s in held)
    assert all(s["countdown"] is None for s in held)

    assert (await b.request("pong.join", {"game_id": game_id}))["data"]["side"] == "right"
    started = await states_until(a, lambda s: s["tick"] > 0)
    counting = [s for s in started if s["countdown"] is not None]
    assert counting, "no countdown before the first serve"
    assert counting[0]["countdown"] > 2.0 and counting[0]["waiting"] == []
    assert all(s["tick"] == 0 for s in counting)  # nothing moves while it counts down
    assert started[-1]["waiting"] == [] and started[-1]["countdown"] is None
    last = (await states_until(a, lambda s: s["phase"] == "finished"))[-1]
    assert last["winner"] in ("left", "right")


async def test_a_no_show_cancels_the_game_for_no_one(server):
    server.app.extensions["pong"].games.no_show_wait = 40.0  # game seconds: 2 real ones
    alice, bob, a, b, game_id = await invited_game(server, QUICK)
    await a.request("pong.join", {"game_id": game_id})
    # Bob never opens it: after the wait it is cancelled.
    last = (await states_until(a, lambda s: s.get("cancelled") is not None))[-1]
    assert last["cancelled"] == {"reason": "no_show", "sides": ["right"]}
    assert last["winner"] is None and last["tick"] == 0
    for client in (a, b):  # both are told, on every tab
        told = await take(client, "pong.cancelled")
        assert told["data"]["game_id"] == game_id and told["data"]["reason"] == "no_show"
    match = await ended(game_id)
    assert match.status == "cancelled" and match.winner is None
    assert await Rating.all().count() == 0  # no rating moved
    async with httpx.AsyncClient(base_url=server.http) as http:
        for user in (alice, bob):
            history = await http.get(
                "/api/pong/matches", headers={"Authorization": f"Bearer {user.access}"}
            )
            assert history.json()["items"] == []  # in no one's history
    rejoin = await b.request("pong.join", {"game_id": game_id})
    assert rejoin["error"]["code"] == "not_found"


async def test_a_rematch_starts_a_new_game_with_the_same_options(server):
    _alice, _bob, a, b, game_id = await invited_game(server, QUICK)
    for client in (a, b):
        await take(client, "pong.matched")
        await client.request("pong.join", {"game_id": game_id})
    await states_until(a, lambda s: s["phase"] == "finished")
    first = await ended(game_id)
    assert first.status == "finished"

    offered = await a.request("pong.rematch", {"game_id": game_id})
    assert offered["data"]["status"] == "offered" and offered["data"]["game_id"] is None
    note = await take(b, "notify")
    assert note["data"]["kind"] == "pong.invite"
    assert note["data"]["data"]["rematch_of"] == game_id
    answer = await b.request(
        "pong.answer", {"invite_id": offered["data"]["invite_id"], "accept": True}
    )
    again = answer["data"]["game_id"]
    assert again and again != game_id
    for client in (a, b):
        matched = await take(client, "pong.matched")
        assert matched["data"]["game_id"] == again
    second = await Match.get(id=again)
    assert second.mode == "remote" and second.options == first.options
    assert second.options["theme"] == "neon" and second.options["score_limit"] == 1


async def test_a_local_rematch_starts_at_once_and_only_for_its_player(server):
    alice = await server.user("alice")
    tab = await server.connect(alice)
    created = await tab.request("pong.create", {"mode": "local", "options": QUICK})
    game_id = created["data"]["game_id"]
    await states_until(tab, lambda s: s["phase"] == "finished")
    await ended(game_id)
    again = await tab.request("pong.rematch", {"game_id": game_id})
    assert again["data"]["status"] == "started"
    second = await Match.get(id=again["data"]["game_id"])
    assert second.mode == "local" and second.options == (await Match.get(id=game_id)).options
    stranger = await server.connect(await server.user("carol"))
    refused = await stranger.request("pong.rematch", {"game_id": game_id})
    assert refused["error"]["code"] == "forbidden"


async def test_a_player_who_leaves_the_view_is_away_until_they_come_back(server):
    server.app.extensions["pong"].games.grace = 30.0
    _alice, _bob, a, b, game_id = await invited_game(server, {"paddle_height": 600})
    for client in (a, b):
        await client.request("pong.join", {"game_id": game_id})
    await states_until(b, lambda s: s["phase"] == "playing")
    # Alice's tab goes to another page (its socket stays): she is away, the game pauses.
    assert (await a.request("pong.away", {"game_id": game_id}))["data"] == {"ok": True}
    paused = (await states_until(b, lambda s: s["paused"] is not None))[-1]
    assert paused["paused"]["side"] == "left"
    # Her socket still gets the countdown (the page's "Resume (N s)" banner).
    seen = (await states_until(a, lambda s: s["paused"] is not None))[-1]
    assert seen["paused"]["seconds_left"] <= 30
    await a.request("pong.join", {"game_id": game_id})  # Resume
    back = await states_until(b, lambda s: s["paused"] is None and s["countdown"] is None)
    assert any(s["countdown"] is not None for s in back)  # a countdown before play again


async def test_a_local_game_pauses_without_a_deadline_and_counts_down_again(server):
    alice = await server.user("alice")
    tab = await server.connect(alice)
    created = await tab.request("pong.create", {"mode": "local", "options": {"paddle_height": 600}})
    game_id = created["data"]["game_id"]
    await states_until(tab, lambda s: s["phase"] == "playing")
    await tab.request("pong.pause", {"game_id": game_id, "paused": True})
    paused = await states_until(tab, lambda s: s["paused"] is not None)
    frozen = paused[-1]
    assert frozen["paused"]["seconds_left"] is None  # no forfeit deadline
    # Many game seconds later it is still paused, nothing moved.
    later = (await states_until(tab, lambda s: s["server_time"] > frozen["server_time"] + 1))[-1]
    assert later["paused"] is not None and later["tick"] == frozen["tick"]
    # The player goes on: a countdown first.
    await tab.request("pong.pause", {"game_id": game_id, "paused": False})
    again = await states_until(tab, lambda s: s["paused"] is None and s["tick"] > frozen["tick"])
    assert any(s["countdown"] is not None for s in again)


async def test_players_and_spectators_see_how_many_watch(server):
    _alice, _bob, a, b, game_id = await invited_game(server, {"paddle_height": 600})
    for client in (a, b):
        await client.request("pong.join", {"game_id": game_id})
    carol = await server.connect(await server.user("carol"))
    dave = await server.connect(await server.user("dave"))
    for watcher in (carol, dave):
        assert (await watcher.request("pong.join", {"game_id": game_id}))["data"]["side"] is None
    await states_until(a, lambda s: s["spectators"] == 2)
    await states_until(carol, lambda s: s["spectators"] == 2)
    await dave.request("pong.leave", {"game_id": game_id})  # a spectator stops watching
    await states_until(b, lambda s: s["spectators"] == 1)
