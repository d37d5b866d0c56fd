"""A tournament of a game other than pong: Nim (tests/support/transcendence_nim), a second
game written against the game API alone. No pong module is loaded: the tournament knows
its game only through `transcendence.games`, and runs an online Nim tournament to its
winner over the real server (HTTP, sockets, the no-show timer) as it runs a pong one.
"""

from __future__ import annotations

import pytest
from tournamentkit import http, match, take, until_view

from realtime_kit import realtime_server
from transcendence.core import core_of
from transcendence.games import games_of
from transcendence_nim.models import NimMatch
from transcendence_tournament.models import Tournament

pytestmark = [pytest.mark.modules("tournament"), pytest.mark.support("transcendence_nim")]
FIVE = {"stones": 5, "max_take": 2}


@pytest.fixture
async def server(settings):
    async with realtime_server(settings) as server:
        yield server
        # PostgreSQL's database is shared by the run: leave no tournament for the next
        # app's start-up to carry on.
        await Tournament.filter(status__in=["open", "running"]).update(status="cancelled")


async def test_a_nim_cup_with_a_no_show_and_a_played_final(server):
    assert set(games_of(core_of(server.app))) == {"nim"}  # no pong here
    alice, bob, carol = [await server.user(n) for n in ("alice", "bob", "carol")]
    a, b = [await server.connect(u) for u in (alice, bob)]
    async with (
        http(server, alice) as ha,
        http(server, bob) as hb,
        http(server, carol) as hc,
        http(server, alice, "nim") as nim_a,
        http(server, bob, "nim") as nim_b,
    ):
        # The game's own options check applies, and only games offered here are taken.
        refused = await ha.post("/online", json={"game": "nim", "options": {"stones": 500}})
        assert (refused.status_code, refused.json()["error"]["code"]) == (400, "invalid_options")
        refused = await ha.post("/online", json={"size": 3})  # pong, by default: not here
        assert (refused.status_code, refused.json()["error"]["code"]) == (400, "invalid_game")
        assert refused.json()["error"]["details"]["games"] == ["nim"]

        created = await ha.post(
            "/online",
            json={
                "name": "Nim cup",
                "game": "nim",
                "size": 3,
                "options": FIVE,
                "no_show_seconds": 2,
            },
        )
        assert created.status_code == 201, created.text
        view = created.json()
        assert view["game"] == "nim" and view["options"] == FIVE
        tid = view["id"]
        listed = (await ha.get("/online")).json()["items"]
        assert [(t["id"], t["game"]) for t in listed] == [(tid, "nim")]
        for tab in (a, b):
            await tab.request("tournament.watch", {"id": tid})
        for player in (hb, hc):
            assert (await player.post(f"/{tid}/join", json={})).status_code == 200

        # Full: it starts. Nim has no ratings: the seeds follow the seats taken. Alice has
        # the bye; Bob and Carol are called to a held Nim match.
        running = await until_view(a, lambda v: v["status"] == "running")
        assert [p["alias"] for p in running["players"]] == ["alice", "bob", "carol"]
        semi = match(running, "r1m2")
        assert (semi["left"]["alias"], semi["right"]["alias"], semi["status"]) == (
            "bob",
            "carol",
            "ready",
        )
        call = (await take(b, "tournament.match_ready"))["data"]
        assert call["match_id"] == semi["match_id"] and call["opponent"] == "carol"
        note = (await take(b, "notify"))["data"]
        # Nim has no page of its own: the call links to the bracket.
        assert note["data"]["href"] == f"/tournaments/{tid}"

        # Bob opens the match; Carol never does and loses by forfeit at the deadline, and
        # the waiting Nim match ends too, through the game's `forfeit`.
        opened = await nim_b.post(f"/matches/{semi['match_id']}/join")
        assert opened.status_code == 200, opened.text
        present = await until_view(a, lambda v: (match(v, "r1m2")["joined"] or {}).get("left"))
        assert match(present, "r1m2")["status"] == "ready"
        after = await until_view(a, lambda v: match(v, "r1m2")["status"] == "done")
        semi = match(after, "r1m2")
        assert semi["winner"] == "left" and semi["forfeit"] is True
        forfeited = await NimMatch.get(id=semi["match_id"])
        assert (forfeited.status, forfeited.winner, forfeited.forfeit) == ("finished", 0, True)

        # The final: Alice against Bob, both open it and play it out over Nim's REST.
        final = match(after, "r2m1")
        assert (final["left"]["alias"], final["right"]["alias"]) == ("alice", "bob")
        assert (await take(a, "tournament.match_ready"))["data"]["match_id"] == final["match_id"]
        moves = f"/matches/{final['match_id']}/moves"
        early = await nim_a.post(moves, json={"take": 2})
        assert early.json()["error"]["code"] == "waiting_for_players"  # held for both
        for player in (nim_a, nim_b):
            assert (await player.post(f"/matches/{final['match_id']}/join")).status_code == 200
        playing = await until_view(a, lambda v: match(v, "r2m1")["status"] == "playing")
        assert match(playing, "r2m1")["joined"] == {"left": True, "right": True}
        for player, stones in ((nim_a, 2), (nim_b, 1), (nim_a, 2)):  # 5 -> 3 -> 2 -> 0
            moved = await player.post(moves, json={"take": stones})
            assert moved.status_code == 200, moved.text
        assert moved.json()["winner"] == 0  # Alice took the last stone

    done = await until_view(b, lambda v: v["status"] == "finished")
    final = match(done, "r2m1")
    assert final["winner"] == "left" and final["score"] == [4, 1] and final["forfeit"] is False
    assert done["winner"] == "alice"
    assert [(s["alias"], s["place"]) for s in done["standings"]] == [
        ("alice", 1),
        ("bob", 2),
        ("carol", 3),
    ]
    told = (await take(b, "notify"))["data"]
    while told["kind"] != "tournament.finished":
        told = (await take(b, "notify"))["data"]
    assert told["data"]["winner"] == "alice"
    for tab in (a, b):
        await tab.close()


async def test_a_local_nim_tournament_at_one_keyboard(client, make_user):
    """A local tournament's matches are the game's too: each `next` is a Nim match at this
    keyboard (the host moves for both aliases), and its result moves the bracket on."""
    host = await make_user("host")
    created = await client.post(
        "/api/tournament/local",
        headers=host.headers,
        json={"aliases": ["Ann", "Bob", "Cy"], "shuffle": False, "game": "nim", "options": FIVE},
    )
    assert created.status_code == 201, await created.get_json()
    tid = (await created.get_json())["id"]
    for expected in (["Bob", "Cy"], ["Ann", "Bob"]):  # Ann has the bye; Bob beats Cy
        started = await client.post(f"/api/tournament/{tid}/next", headers=host.headers)
        assert started.status_code == 201
        called = await started.get_json()
        assert called["players"] == expected
        moves = f"/api/nim/matches/{called['match_id']}/moves"
        for stones in (2, 1, 2):  # the first alias takes the last stone
            moved = await client.post(moves, headers=host.headers, json={"take": stones})
            assert moved.status_code == 200, await moved.get_json()
        assert (await moved.get_json())["status"] == "finished"
    view = await (await client.get(f"/api/tournament/{tid}", headers=host.headers)).get_json()
    assert view["game"] == "nim" and view["status"] == "finished"
    assert view["winner"] == "Ann"
    assert [(s["alias"], s["place"]) for s in view["standings"]] == [
        ("Ann", 1),
        ("Bob", 2),
        ("Cy", 3),
    ]
