"""Online tournaments over real sockets: watch, start, the call, a no-show, games, standings.

Pong games run on a sped-up clock (20 game seconds per real second) with tiny paddles, so
an idle paddle loses the first point at once; the no-show deadline is real time (a few
seconds). Everything else is real: Hypercorn, the hub, the bus, the database.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from tournamentkit import http, match, take, until_view

from realtime_kit import realtime_server
from testkit import empty_tables, lose_game
from transcendence.app import create_app
from transcendence_pong.clock import ScaledClock
from transcendence_pong.models import Match, Rating
from transcendence_tournament.models import Entry, Game, Tournament
from transcendence_tournament.online import calls, entries

pytestmark = pytest.mark.modules("pong", "ai", "tournament", "chat")
QUICK = {"score_limit": 1, "paddle_height": 20}


@pytest.fixture
async def server(settings):
    async with realtime_server(settings) as server:
        games = server.app.extensions["pong"].games
        games.clock = ScaledClock(20)
        games.snapshot_rate = 10
        yield server
        await leave_nothing_running()


async def leave_nothing_running():
    """PostgreSQL's database is shared by the run and emptied only after the next app has
    started: leave no tournament for its start-up to carry on."""
    await Tournament.filter(status__in=["open", "running"]).update(status="cancelled")


async def test_a_three_player_cup_with_a_no_show_and_a_played_final(server):
    alice, bob, carol = [await server.user(n) for n in ("alice", "bob", "carol")]
    for user, rating in ((alice, 1300), (bob, 1200), (carol, 1100)):
        await Rating.create(user_id=user.id, rating=rating)
    a, b, c = [await server.connect(u) for u in (alice, bob, carol)]
    async with http(server, alice) as ha, http(server, bob) as hb, http(server, carol) as hc:
        created = await ha.post(
            "/online",
            json={"name": "Night cup", "size": 3, "options": QUICK, "no_show_seconds": 4},
        )
        assert created.status_code == 201, created.text
        tid = created.json()["id"]
        for tab in (a, b, c):
            watched = await tab.request("tournament.watch", {"id": tid})
            assert watched["type"] == "tournament.watch", watched
            assert watched["data"]["tournament"]["status"] == "open"
        assert (await hb.post(f"/{tid}/join", json={})).status_code == 200
        joined = await until_view(a, lambda v: len(v["players"]) == 2)
        assert joined["me"] is None  # a broadcast is the same for every watcher
        assert (await hc.post(f"/{tid}/join", json={"alias": "Caz"})).status_code == 200

    # Full: it starts. Seeds by rating: alice has the bye, bob (2) and carol (3) are called.
    running = await until_view(a, lambda v: v["status"] == "running")
    assert [p["alias"] for p in running["players"]] == ["alice", "bob", "Caz"]
    semi = match(running, "r1m2")
    assert (semi["left"]["alias"], semi["right"]["alias"], semi["status"]) == (
        "bob",
        "Caz",
        "ready",
    )
    call = (await take(b, "tournament.match_ready"))["data"]
    assert call == {
        "tournament_id": tid,
        "match_key": "r1m2",
        "match_id": semi["match_id"],
        "opponent": "Caz",
        "deadline": semi["ready_deadline"],
    }
    assert (await take(c, "tournament.match_ready"))["data"]["opponent"] == "bob"
    note = (await take(b, "notify"))["data"]
    assert note["kind"] == "tournament.match_ready"
    assert note["data"]["message"] == "Your match against Caz is ready"
    assert note["data"]["href"] == f"/play/games/{call['match_id']}?next=%2Ftournaments%2F{tid}"
    notice = (await take(b, "chat.message"))["data"]  # the chat's notices conversation
    assert "Your match against Caz is ready" in notice["text"]

    # Bob opens the game; Caz never does and loses by forfeit at the deadline.
    opened = await b.request("pong.join", {"game_id": call["match_id"]})
    assert opened["data"]["side"] == "left", opened
    present = await until_view(a, lambda v: (match(v, "r1m2")["joined"] or {}).get("left"))
    assert match(present, "r1m2")["status"] == "ready"  # still waiting for Caz
    after = await until_view(a, lambda v: match(v, "r1m2")["status"] == "done", timeout=30)
    semi = match(after, "r1m2")
    assert semi["winner"] == "left" and semi["forfeit"] is True
    assert datetime.fromisoformat(call["deadline"]) <= datetime.now(UTC)
    async with asyncio.timeout(15):  # the waiting pong game ends too, as a forfeit
        while (await Match.get(id=call["match_id"])).status != "finished":
            await asyncio.sleep(0.02)
    assert (await Match.get(id=call["match_id"])).forfeit is True

    # The final is called at once: alice against bob, both come, the game is played.
    final = match(after, "r2m1")
    assert final["status"] == "ready"
    assert (final["left"]["alias"], final["right"]["alias"]) == ("alice", "bob")
    calls = {}
    for tab in (a, b):
        calls[tab] = (await take(tab, "tournament.match_ready"))["data"]
        assert calls[tab]["match_key"] == "r2m1"
    assert calls[a]["opponent"] == "bob" and calls[b]["opponent"] == "alice"
    for tab in (a, b):
        await tab.request("pong.join", {"game_id": final["match_id"]})
    playing = await until_view(c, lambda v: match(v, "r2m1")["status"] in ("playing", "done"))
    assert match(playing, "r2m1")["match_id"] == final["match_id"]
    done = await until_view(c, lambda v: v["status"] == "finished")
    final = match(done, "r2m1")
    assert final["status"] == "done" and final["forfeit"] is False
    assert final["winner"] in ("left", "right") and max(final["score"]) == 1
    winner = final[final["winner"]]["alias"]
    assert done["winner"] == winner
    assert [s["place"] for s in done["standings"]] == [1, 2, 3]
    assert done["standings"][0]["alias"] == winner and done["standings"][2]["alias"] == "Caz"
    places = {p["alias"]: p["place"] for p in done["players"]}
    assert places["Caz"] == 3 and places[winner] == 1
    finished = (await take(c, "notify"))["data"]
    while finished["kind"] != "tournament.finished":
        finished = (await take(c, "notify"))["data"]
    assert finished["data"]["winner"] == winner
    for tab in (a, b, c):
        await tab.close()


async def test_a_match_lost_with_its_node_is_called_again(server):
    alice, bob, carol = [await server.user(n) for n in ("alice", "bob", "carol")]
    a, b = [await server.connect(u) for u in (alice, bob)]
    async with http(server, alice) as ha, http(server, bob) as hb, http(server, carol) as hc:
        created = await ha.post("/online", json={"name": "Lost cup", "size": 3, "options": QUICK})
        tid = created.json()["id"]
        await a.request("tournament.watch", {"id": tid})
        for other in (hb, hc):
            assert (await other.post(f"/{tid}/join", json={})).status_code == 200
    running = await until_view(a, lambda v: v["status"] == "running")
    lost = next(m for m in running["matches"] if m["status"] == "ready")
    assert (await take(b, "tournament.match_ready"))["data"]["match_id"] == lost["match_id"]

    # Its node is killed (the room vanishes, the row stays "running"); the next start
    # records the game interrupted, and the tournament calls the match again.
    games = server.app.extensions["pong"].games
    await lose_game(games, lost["match_id"])
    assert await games.close_abandoned() == [lost["match_id"]]
    again = await until_view(
        a, lambda v: match(v, lost["key"])["match_id"] not in (None, lost["match_id"])
    )
    called = match(again, lost["key"])
    assert called["status"] == "ready" and called["left"] == lost["left"]
    call = (await take(b, "tournament.match_ready"))["data"]
    assert call["match_id"] == called["match_id"] and call["match_key"] == lost["key"]
    assert (await Match.get(id=lost["match_id"])).status == "interrupted"
    for tab in (a, b):
        await tab.close()


async def test_a_round_robin_against_two_ai_seats(server):
    alice = await server.user("alice")
    a = await server.connect(alice)
    async with http(server, alice) as ha:
        created = await ha.post(
            "/online",
            json={"size": 3, "format": "round_robin", "options": QUICK, "seeding": "random"},
        )
        tid = created.json()["id"]
        await a.request("tournament.watch", {"id": tid})
        assert (await ha.post(f"/{tid}/ai", json={"level": "easy"})).status_code == 200
        started = await ha.post(f"/{tid}/ai", json={"level": "hard"})
        assert started.json()["status"] == "running"  # the third seat filled it
    # Alice opens each of her games when called; the AI plays its paddle, she does not.
    for _ in range(2):
        call = (await take(a, "tournament.match_ready", timeout=30))["data"]
        assert call["opponent"] in ("AI 1", "AI 2")
        opened = await a.request("pong.join", {"game_id": call["match_id"]})
        assert opened["data"]["side"] == "left", opened  # the AI always takes the right
    done = await until_view(a, lambda v: v["status"] == "finished", timeout=60)
    assert all(m["status"] == "done" for m in done["matches"]) and len(done["matches"]) == 3
    standings = done["standings"]
    assert [row["place"] for row in standings] == [1, 2, 3]
    assert {row["alias"] for row in standings} == {"alice", "AI 1", "AI 2"}
    assert all(row["played"] == 2 for row in standings)
    assert sum(row["wins"] for row in standings) == 3
    assert [row["wins"] for row in standings] == sorted(
        (r["wins"] for r in standings), reverse=True
    )
    assert done["winner"] == standings[0]["alias"]
    robots = next(
        m for m in done["matches"] if "alice" not in (m["left"]["alias"], m["right"]["alias"])
    )
    assert robots["match_id"] and robots["forfeit"] is False
    assert (await Match.get(id=robots["match_id"])).status == "finished"
    await a.close()


async def test_no_show_deadlines_fire_once_and_survive_a_restart(settings):
    """Timers come back from the database (a node's start-up arms them again); two timers
    for one deadline (two nodes) record one forfeit; after a restart the tournament goes on
    (a match whose game was interrupted by the stop is called again)."""
    from transcendence.accounts import service as accounts

    app = create_app(settings)
    async with app.test_app():
        await empty_tables()
        await app.extensions["transcendence"].registry.refresh()
        users = [
            await accounts.create_user(n, f"{n}@example.test", None) for n in ("ann", "bob", "cy")
        ]
        tournament = await entries.create(
            users[0],
            name="Restart cup",
            size=3,
            fmt="single",
            options=QUICK,
            starts_at=None,
            alias=None,
            seeding="rating",
            no_show_seconds=3,
        )
        for user in users[1:]:
            await entries.join(tournament.id, user, None)
        async with app.app_context():
            await calls.start(app, tournament.id)
        called = await Game.get(tournament_id=tournament.id, status="ready")
        assert called.key == "r1m2" and called.ready_deadline is not None
        timers = app.extensions["tournament"]
        assert list(timers.tasks) == [f"noshow:{called.id}"]
        await timers.stop()  # this node lost its timers: the database still has them
        await Game.filter(id=called.id).update(ready_deadline=datetime.now(UTC))  # due now
        await calls.rearm(app)
        assert list(timers.tasks) == [f"noshow:{called.id}"]
        # The re-armed timer and two more for the same deadline (other nodes), at once:
        # one forfeit, the final called once.
        async with app.app_context():
            await asyncio.gather(calls.no_show(app, called.id), calls.no_show(app, called.id))
        async with asyncio.timeout(20):
            while f"noshow:{called.id}" in timers.tasks:
                await asyncio.sleep(0.02)
        row = await Game.get(id=called.id)
        assert row.status == "done" and row.forfeit is True
        assert row.winner_seed == 2  # nobody came: the better seed goes on
        games = await Game.filter(tournament_id=tournament.id).order_by("id")
        assert [g.key for g in games] == ["r1m2", "r2m1"]
    # The node stops while the final waits for its players.

    again = create_app(settings)
    async with again.test_app():
        async with asyncio.timeout(30):
            while (await Tournament.get(id=tournament.id)).status != "finished":
                await asyncio.sleep(0.05)
        finished = await Tournament.get(id=tournament.id)
        assert finished.winner_alias == "ann"  # nobody came to the final either
        final = await Game.get(tournament_id=tournament.id, key="r2m1")
        assert final.status == "done" and final.forfeit is True
        places = await Entry.filter(tournament_id=tournament.id).order_by("seed")
        assert [e.place for e in places] == [1, 2, 3]
        async with asyncio.timeout(15):  # its waiting pong game ends as a forfeit too
            while (await Match.get(id=final.match_id)).status == "running":
                await asyncio.sleep(0.02)
        await leave_nothing_running()
