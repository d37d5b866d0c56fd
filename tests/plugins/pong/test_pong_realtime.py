"""Pong over real sockets: local, AI and remote games, reconnection and forfeit.

Games run on a sped-up clock (20 game seconds per real second), so whole matches take a
fraction of a second; everything else is real: Hypercorn, the hub, the bus, the database.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from transcendence_pong.clock import ScaledClock
from transcendence_pong.engine import Side
from transcendence_pong.models import Match, Rating

pytestmark = pytest.mark.modules("pong", "ai")
QUICK = {"score_limit": 1, "paddle_height": 20}  # idle paddles lose the first point
ENDLESS = {"score_limit": 3, "paddle_height": 600}  # full-height paddles: no point for 30 s


class GatedClock(ScaledClock):
    """Fast game time that a test can hold still (`gate.clear()`): the rooms' loops wait at
    their next tick until `gate.set()`, so a quick game cannot end before a test is ready."""

    def __init__(self, speed: float):
        super().__init__(speed)
        self.gate = asyncio.Event()
        self.gate.set()

    async def sleep_until(self, deadline: float) -> None:
        await self.gate.wait()
        await super().sleep_until(deadline)


async def until_state(client, predicate, timeout=10.0):
    """The first `pong.state` frame that satisfies `predicate`."""
    async with asyncio.timeout(timeout):
        while True:
            frame = await client.expect("pong.state", timeout=timeout)
            if predicate(frame["data"]):
                return frame["data"]


async def finished_match(game_id: str) -> Match:
    async with asyncio.timeout(10):
        while (match := await Match.get(id=game_id)).status != "finished":
            await asyncio.sleep(0.01)  # the record is written right after the last frame
    return match


async def hang_up(client) -> None:
    """Close a tab's socket while reading what is still on its way: an unread backlog of
    snapshots would hold the closing handshake back (for the client's close timeout)."""
    reader = asyncio.create_task(client.closed())
    await client.close()
    await reader


async def ended_match(game_id: str) -> Match:
    """The match once it is no longer running (finished, or cancelled for no one)."""
    async with asyncio.timeout(10):
        while (match := await Match.get(id=game_id)).status == "running":
            await asyncio.sleep(0.01)  # the record is written right after the last frame
    return match


async def test_a_local_game_is_played_to_the_end_and_recorded(server):
    alice = await server.user("alice")
    tab = await server.connect(alice)
    created = await tab.request("pong.create", {"mode": "local", "options": QUICK})
    assert created["type"] == "pong.create", created
    game = created["data"]
    assert game["side"] == "left" and game["mode"] == "local"
    # One keyboard drives both paddles: W/S for the left, arrows for the right.
    await tab.send(
        {
            "type": "pong.input",
            "id": "k1",
            "data": {
                "game_id": game["game_id"],
                "key": "up",
                "pressed": True,
                "seq": 1,
                "side": "right",
            },
        }
    )
    last = await until_state(tab, lambda s: s["phase"] == "finished")
    assert last["winner"] in {"left", "right"}
    assert last["acks"]["right"] == 1  # the right paddle's key was applied and acknowledged
    match = await finished_match(game["game_id"])
    assert match.mode == "local" and match.left_user_id == alice.id
    assert match.record["rallies"] and match.options["score_limit"] == 1

    async with httpx.AsyncClient(base_url=server.http) as http:
        history = await http.get(
            "/api/pong/matches", headers={"Authorization": f"Bearer {alice.access}"}
        )
    assert [m["id"] for m in history.json()["items"]] == [game["game_id"]]


async def test_the_ai_fills_the_other_seat(server):
    alice = await server.user("alice")
    tab = await server.connect(alice)
    created = await tab.request(
        "pong.create", {"mode": "ai", "level": "hard", "options": {"score_limit": 1}}
    )
    game_id = created["data"]["game_id"]
    last = await until_state(tab, lambda s: s["phase"] == "finished", timeout=20)
    assert last["winner"] == "right"  # alice never touched a key
    match = await finished_match(game_id)
    assert match.mode == "ai" and match.right_name == "AI (hard)"


async def test_ai_games_are_refused_when_the_ai_module_is_off(server):
    await server.app.extensions["transcendence"].registry.disable("ai")
    tab = await server.connect(await server.user("alice"))
    refused = await tab.request("pong.create", {"mode": "ai"})
    assert refused["type"] == "error"
    assert refused["error"]["code"] == "ai_unavailable"
    assert (await tab.request("ping"))["type"] == "pong"  # the socket stays open


async def remote_game(server, options):
    alice, bob = await server.user("alice"), await server.user("bob")
    a, b = await server.connect(alice), await server.connect(bob)
    sent = await a.request("pong.invite", {"user_id": bob.id, "options": options})
    invite_id = sent["data"]["invite_id"]
    note = await b.expect("notify")
    assert note["data"]["kind"] == "pong.invite"
    assert note["data"]["data"]["invite_id"] == invite_id
    accepted = await b.request("pong.answer", {"invite_id": invite_id, "accept": True})
    game_id = accepted["data"]["game_id"]
    for client, side in ((a, "left"), (b, "right")):
        matched = await client.take("pong.matched")
        assert matched["data"]["game_id"] == game_id and matched["data"]["side"] == side
        joined = await client.request("pong.join", {"game_id": game_id})
        assert joined["data"]["side"] == side
    return alice, bob, a, b, game_id


async def test_remote_game_pauses_on_disconnect_and_resumes_on_reconnect(server):
    alice, _bob, a, b, game_id = await remote_game(server, ENDLESS)
    await until_state(b, lambda s: s["phase"] == "playing")
    await hang_up(a)  # alice's tab drops
    paused = await until_state(b, lambda s: s["paused"] is not None)
    assert paused["paused"]["side"] == "left" and paused["paused"]["seconds_left"] <= 4.0
    frozen = paused["tick"]

    again = await server.connect(alice)
    rejoined = await again.request("pong.join", {"game_id": game_id})
    assert rejoined["data"]["side"] == "left"
    await until_state(b, lambda s: s["countdown"] is not None)
    resumed = await until_state(
        b, lambda s: s["paused"] is None and s["countdown"] is None and s["tick"] > frozen + 10
    )
    assert resumed["scores"] == {"left": 0, "right": 0}  # nobody lost a point while away

    await b.request("pong.leave", {"game_id": game_id})  # bob gives up before any point
    last = await until_state(again, lambda s: s.get("cancelled") is not None)
    assert last["cancelled"] == {"reason": "abandoned", "sides": ["right"]}
    assert last["winner"] is None  # a loss for no one
    match = await ended_match(game_id)
    assert match.status == "cancelled" and match.winner is None and not match.forfeit
    assert await Rating.all().count() == 0  # no rating moved


async def test_a_player_who_does_not_come_back_loses_by_forfeit(server):
    alice, bob, a, b, game_id = await remote_game(server, ENDLESS)
    await until_state(a, lambda s: s["phase"] == "playing")
    # A point was scored (full-height paddles never let one through): leaving now is a
    # loss; before any point, the game would be cancelled instead.
    server.app.extensions["pong"].games.rooms[game_id].engine.scores[Side.LEFT] = 1
    await hang_up(b)
    last = await until_state(a, lambda s: s["phase"] == "finished", timeout=15)
    assert last["winner"] == "left"
    match = await finished_match(game_id)
    assert match.forfeit and match.winner == "left"
    # The result moved both ratings (right after the record is written).
    async with asyncio.timeout(5):
        while len(ratings := {r.user_id: r.rating for r in await Rating.all()}) < 2:
            await asyncio.sleep(0.01)
    assert ratings[alice.id] > 1000 > ratings[bob.id], (ratings, alice.id, bob.id)


async def test_the_queue_pairs_two_players(server):
    alice, bob = await server.user("alice"), await server.user("bob")
    a, b = await server.connect(alice), await server.connect(bob)
    waiting = await a.request("pong.queue", {"options": QUICK})
    assert waiting["data"] == {"status": "waiting", "game_id": None}
    matched = await b.request("pong.queue", {"options": QUICK})  # the same game settings
    assert matched["data"]["status"] == "matched"
    note = await a.take("pong.matched")
    assert note["data"]["game_id"] == matched["data"]["game_id"]
    assert note["data"]["opponent"]["id"] == bob.id


async def test_spectators_follow_a_game_without_a_seat(server):
    # A one-point game ends in a blink at 20x: its clock is held until the spectator is in.
    clock = server.app.extensions["pong"].games.clock = GatedClock(20)
    clock.gate.clear()
    _alice, _bob, _a, _b, game_id = await remote_game(server, QUICK)
    carol = await server.connect(await server.user("carol"))
    joined = await carol.request("pong.join", {"game_id": game_id})
    assert joined["data"]["side"] is None
    clock.gate.set()
    await until_state(carol, lambda s: s["phase"] == "playing")
    last = await until_state(carol, lambda s: s["phase"] == "finished")
    assert last["winner"] in {"left", "right"}  # she watched it to the end


async def test_blocked_players_cannot_invite(server):
    from transcendence.accounts.models import Block

    alice, bob = await server.user("alice"), await server.user("bob")
    await Block.create(blocker_id=bob.id, blocked_id=alice.id)
    a = await server.connect(alice)
    refused = await a.request("pong.invite", {"user_id": bob.id})
    assert refused["type"] == "error" and refused["error"]["code"] == "blocked"


async def test_bad_inputs_get_error_frames_and_the_socket_stays(server):
    tab = await server.connect(await server.user("alice"))
    bad = await tab.request("pong.input", {"game_id": "x", "key": "left", "pressed": True})
    assert bad["type"] == "error" and bad["error"]["code"] == "invalid_data"
    missing = await tab.request("pong.join", {"game_id": "not-a-game"})
    assert missing["error"]["code"] == "not_found"
    assert (await tab.request("ping"))["type"] == "pong"


async def test_keys_into_a_game_you_do_not_play_are_refused_on_socket_and_rest(server):
    alice, _bob, a, _b, game_id = await remote_game(server, ENDLESS)
    carol = await server.user("carol")
    c = await server.connect(carol)
    key = {"key": "up", "pressed": True}
    nobody = "00000000-0000-0000-0000-000000000000"
    await c.send({"type": "pong.input", "id": "k1", "data": {**key, "game_id": game_id}})
    await c.send({"type": "pong.input", "id": "k2", "data": {**key, "game_id": nobody}})
    assert (await c.request("ping"))["type"] == "pong"  # frames are answered in order
    errors = {f["re"]: f["error"]["code"] for f in c.seen if f["type"] == "error"}
    assert errors == {"k1": "forbidden", "k2": "not_found"}
    async with httpx.AsyncClient(base_url=server.http) as http:
        for who, game, status, code in (
            (carol, game_id, 403, "forbidden"),
            (carol, nobody, 404, "not_found"),
            (alice, game_id, 202, None),
        ):
            response = await http.post(
                f"/api/pong/games/{game}/input",
                json=key,
                headers={"Authorization": f"Bearer {who.access}"},
            )
            assert response.status_code == status
            assert code is None or response.json()["error"]["code"] == code
    # A player's own keys still go through, without an answer.
    await a.send({"type": "pong.input", "id": "k3", "data": {**key, "game_id": game_id}})
    assert (await a.request("ping"))["type"] == "pong"
    assert not [f for f in a.seen if f["type"] == "error"]


async def test_players_show_in_game_while_they_play(server):
    from transcendence.accounts.presence import presence_of

    alice, bob, _a, b, game_id = await remote_game(server, ENDLESS)
    await until_state(b, lambda s: s["phase"] == "playing")
    async with server.app.app_context():  # presence_of reads the current app's hub
        states = await presence_of([alice.id, bob.id])
    assert states[alice.id]["status"] == states[bob.id]["status"] == "in_game"
    await b.request("pong.leave", {"game_id": game_id})
    await ended_match(game_id)
    async with asyncio.timeout(5), server.app.app_context():
        while (await presence_of([alice.id]))[alice.id]["status"] == "in_game":
            await asyncio.sleep(0.01)  # presence is updated right after the record
