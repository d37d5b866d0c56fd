"""Stats count any game through the game API alone: matches of Nim, the second game
(tests/support/transcendence_nim), played over its REST routes while pong is off, show on
the players' dashboards, histories, profiles and leaderboards."""

from __future__ import annotations

import pytest

from transcendence.core import core_of
from transcendence.games import SeatSpec, game_of

pytestmark = [pytest.mark.modules("pong", "stats"), pytest.mark.support("transcendence_nim")]
FIVE = {"stones": 5, "max_take": 2}


@pytest.fixture
async def no_pong(app):
    """Pong is disabled: nothing below goes through it."""
    await core_of(app).registry.disable("pong")


async def remote(app, first, second) -> str:
    core = core_of(app)
    seats = [
        SeatSpec(first.id, first.user.display_name),
        SeatSpec(second.id, second.user.display_name),
    ]
    return await game_of(core, "nim").create_match(core, seats, FIVE, mode="remote")


async def play(client, match_id, *turns):
    """`turns`: (player, stones) in order; the last one takes the last stone."""
    for player, stones in turns:
        response = await client.post(
            f"/api/nim/matches/{match_id}/moves", json={"take": stones}, headers=player.headers
        )
        assert response.status_code == 200, await response.get_json()
    return await response.get_json()


async def get(client, viewer, path, **query):
    response = await client.get(path, headers=viewer.headers, query_string=query)
    assert response.status_code == 200, await response.get_json()
    return await response.get_json()


async def test_matches_of_another_game_are_counted(app, client, make_player, no_pong):
    alice, bob = await make_player("alice"), await make_player("bob")
    won = await remote(app, alice, bob)
    assert (await play(client, won, (alice, 2), (bob, 1), (alice, 2)))["winner"] == 0
    lost = await remote(app, alice, bob)
    assert (await play(client, lost, (alice, 1), (bob, 1), (alice, 1), (bob, 2)))["winner"] == 1
    # Against Nim's own AI ("easy" takes one stone): 5 → 3 → 2 → 0.
    created = await client.post(
        "/api/nim/matches", json={"level": "easy", "options": FIVE}, headers=alice.headers
    )
    assert created.status_code == 201
    against_ai = (await created.get_json())["id"]
    assert (await play(client, against_ai, (alice, 2), (alice, 2)))["winner"] == 0

    body = await get(client, bob, f"/api/stats/users/{alice.id}", game="nim")
    assert body["game"] == "nim"
    assert (body["games"], body["wins"], body["losses"]) == (3, 2, 1)
    assert body["current_streak"] == {"result": "win", "length": 1}
    by_mode = {row["mode"]: (row["games"], row["wins"], row["losses"]) for row in body["by_mode"]}
    assert by_mode == {
        "local": (0, 0, 0),
        "remote": (2, 1, 1),
        "ai": (1, 1, 0),
        "tournament": (0, 0, 0),
    }
    # Points are what the game counts (stones taken): 4 + 2 + 4 for, 1 + 3 + 1 against.
    assert (body["points"]["scored"], body["points"]["conceded"]) == (10, 5)
    assert body["rating"]["current"] is None and body["rating"]["points"] == []
    assert [(o["name"], o["games"], o["wins"]) for o in body["top_opponents"]] == [
        ("bob", 2, 1),
        ("AI (easy)", 1, 1),
    ]
    assert [m["match_id"] for m in body["recent_matches"]] == [against_ai, lost, won]
    # Bob's side, and pong's dashboard (the default) untouched.
    theirs = await get(client, alice, f"/api/stats/users/{bob.id}", game="nim")
    assert (theirs["games"], theirs["wins"], theirs["losses"]) == (2, 1, 1)
    assert (await get(client, alice, f"/api/stats/users/{alice.id}"))["games"] == 0

    history = await get(client, bob, f"/api/stats/users/{alice.id}/matches")
    assert history["total"] == 3
    assert [
        (m["game"], m["match_id"], m["result"], m["score"], m["opponent"]) for m in history["items"]
    ] == [
        ("nim", against_ai, "won", "4-1", "AI (easy)"),
        ("nim", lost, "lost", "2-3", "bob"),
        ("nim", won, "won", "4-1", "bob"),
    ]
    profile = await get(client, bob, f"/api/users/{alice.id}")
    assert profile["extras"]["stats"]["games"] == 3 and profile["extras"]["stats"]["wins"] == 2
    assert profile["extras"]["matches_total"] == 3

    board = await get(client, bob, "/api/stats/leaderboard", game="nim", mode="all")
    assert board["game"] == "nim"
    assert [(e["user"]["display_name"], e["wins"], e["losses"]) for e in board["items"]] == [
        ("alice", 2, 1),
        ("bob", 1, 1),
    ]
    assert (await get(client, bob, "/api/stats/leaderboard", mode="all"))["items"] == []

    # The match's own dashboard is read from Nim (no rallies: Nim reports none).
    match = await get(client, bob, f"/api/stats/matches/{won}", game="nim")
    assert match["game"] == "nim"
    assert match["match"]["score"] == {"left": 4, "right": 1}
    assert match["match"]["winner"] == "left" and match["rallies"] == []
    # Without `game`, pong's: off here, so said as such.
    unknown = await client.get(f"/api/stats/matches/{won}", headers=bob.headers)
    assert unknown.status_code == 409
    assert (await unknown.get_json())["error"]["code"] == "game_unavailable"


async def test_a_game_match_missed_while_stats_was_off_is_caught_up(
    app, client, make_player, no_pong
):
    alice, bob = await make_player("alice"), await make_player("bob")
    registry = core_of(app).registry
    await registry.disable("stats")
    missed = await remote(app, alice, bob)
    await play(client, missed, (alice, 1), (bob, 2), (alice, 2))  # alice takes the last
    await registry.enable("stats")
    await app.extensions["stats"]  # the catch-up started by `startup`, through Nim's API
    body = await get(client, alice, f"/api/stats/users/{alice.id}", game="nim")
    assert (body["games"], body["wins"]) == (1, 1)
    assert body["recent_matches"][0]["match_id"] == missed
