"""The record rule (pong's records.py, docs/stats.md "What counts"), as a player sees it on
the dashboards, the profile and the leaderboards: one rule for every kind of game."""

from __future__ import annotations

import uuid

import pytest

from transcendence_pong.models import Match, Rating

pytestmark = pytest.mark.modules("pong", "stats")


async def dashboard(client, viewer, user_id):
    response = await client.get(f"/api/stats/users/{user_id}", headers=viewer.headers)
    assert response.status_code == 200
    return await response.get_json()


async def board(client, viewer, **query):
    response = await client.get(
        "/api/stats/leaderboard", headers=viewer.headers, query_string=query
    )
    assert response.status_code == 200, await response.get_json()
    return [
        (e["user"]["display_name"], e["games"], e["wins"])
        for e in (await response.get_json())["items"]
    ]


async def history(client, player):
    profile = await (await client.get("/api/me/?include=extras", headers=player.headers)).get_json()
    return [(m["result"], m["score"], m["mode"]) for m in profile["extras"]["matches"]]


def by_mode(body, mode):
    row = next(r for r in body["by_mode"] if r["mode"] == mode)
    return (row["games"], row["wins"], row["losses"])


async def test_a_game_at_one_keyboard_is_history_only(client, make_player, matches):
    alice = await make_player("alice")
    await matches.play(alice, "Player 2", (5, 1), mode="local")
    await matches.play(alice, "Player 2", (2, 5), mode="local")
    body = await dashboard(client, alice, alice.id)
    assert (body["games"], body["wins"], body["losses"]) == (0, 0, 0)
    assert by_mode(body, "local") == (0, 0, 0) and body["rating"]["current"] is None
    assert await history(client, alice) == [("played", "2-5", "local"), ("played", "5-1", "local")]
    for mode in ("remote", "ai", "tournament", "all"):
        assert await board(client, alice, mode=mode) == []


async def test_a_game_against_the_ai_counts_per_mode_not_for_the_rating(
    client, make_player, matches
):
    alice = await make_player("alice")
    await matches.play(alice, "AI (hard)", (5, 2), mode="ai")
    body = await dashboard(client, alice, alice.id)
    assert by_mode(body, "ai") == (1, 1, 0)
    assert body["rating"]["current"] is None and body["rating"]["points"] == []
    assert await Rating.filter(user_id=alice.id).count() == 0
    assert await board(client, alice) == []  # the main board ranks by rating
    assert await board(client, alice, mode="ai") == [("alice", 1, 1)]
    assert await history(client, alice) == [("won", "5-2", "ai")]


async def test_an_online_tournament_game_counts_for_its_humans_even_against_an_ai_seat(
    client, make_player, matches
):
    alice, bob = await make_player("alice"), await make_player("bob")
    # An AI seat: no account on the right, played from two devices (not one keyboard).
    await matches.play(alice, "AI 1", (5, 3), mode="tournament", record={"keyboard": False})
    await matches.play(bob, alice, (5, 4), mode="tournament", record={"keyboard": False})
    # A keyboard tournament's aliases belong to no account.
    await matches.play(alice, "Ann", (5, 0), mode="tournament", record={"keyboard": True})
    mine = await dashboard(client, alice, alice.id)
    assert by_mode(mine, "tournament") == (2, 1, 1)
    assert by_mode(await dashboard(client, alice, bob.id), "tournament") == (1, 1, 0)
    assert await board(client, alice, mode="tournament") == [("bob", 1, 1), ("alice", 2, 1)]
    assert await board(client, alice) == []  # no rating from tournaments


async def test_a_game_abandoned_before_any_point_is_no_loss(client, make_player, matches):
    alice = await make_player("alice")
    await matches.play(alice, "AI (easy)", (0, 0), mode="ai", forfeit="left")
    body = await dashboard(client, alice, alice.id)
    assert (body["games"], body["losses"]) == (0, 0)
    assert await history(client, alice) == [("played", "0-0", "ai")]
    # Once a point was played, leaving is a loss.
    await matches.play(alice, "AI (easy)", (1, 0), mode="ai", forfeit="left")
    assert (await dashboard(client, alice, alice.id))["losses"] == 1


async def test_a_cancelled_remote_game_counts_for_no_one(client, make_player, matches):
    alice, bob = await make_player("alice"), await make_player("bob")
    cancelled = await Match.create(
        id=uuid.uuid4(),
        mode="remote",
        status="cancelled",
        left_user_id=alice.id,
        right_user_id=bob.id,
        left_name="alice",
        right_name="bob",
        record={"cancelled": {"reason": "no_show", "sides": ["right"]}},
    )
    await matches.report(cancelled)
    for player in (alice, bob):
        assert (await dashboard(client, player, player.id))["games"] == 0
        assert await history(client, player) == []
    assert await Rating.all().count() == 0


async def test_remote_games_count_everywhere_and_the_default_board_is_the_rating(
    client, make_player, matches
):
    alice, bob = await make_player("alice"), await make_player("bob")
    await matches.play(alice, bob, (5, 3))
    # Bob piles up wins at one keyboard and against the AI: they do not rank him higher.
    for _ in range(3):
        await matches.play(bob, "Player 2", (5, 0), mode="local")
        await matches.play(bob, "AI (easy)", (5, 0), mode="ai")
    assert await board(client, alice) == [("alice", 1, 1), ("bob", 1, 0)]
    assert (await dashboard(client, alice, alice.id))["rating"]["current"] == 1016
