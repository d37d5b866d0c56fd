"""The leaderboard: order, periods, modes, pages; and stats from a game the engine played."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from statskit import Matches, elo

from transcendence_pong.clock import ScaledClock

pytestmark = pytest.mark.modules("pong", "stats")


async def board(client, viewer, **query):
    response = await client.get(
        "/api/stats/leaderboard", headers=viewer.headers, query_string=query
    )
    assert response.status_code == 200, await response.get_json()
    return await response.get_json()


def rows(body):
    return [(e["user"]["display_name"], e["games"], e["wins"]) for e in body["items"]]


@pytest.fixture
async def league(app, make_player):
    """p1..p5 and these results (days ago):

    40, 39: p1 beats p2 (remote) · 10: p3 beats p2 (remote) · 1: p4 beats p3 (remote)
    2: p5 wins three local games · 2: p2 loses to the AI
    """
    players = [await make_player(f"p{i}") for i in range(1, 6)]
    p1, p2, p3, p4, p5 = players
    now = datetime.now(UTC)
    games = Matches(app)
    await games.play(p1, p2, (5, 1), ended=now - timedelta(days=40))
    await games.play(p1, p2, (5, 2), ended=now - timedelta(days=39))
    await games.play(p3, p2, (5, 3), ended=now - timedelta(days=10))
    await games.play(p4, p3, (5, 4), ended=now - timedelta(days=1))
    for minutes in range(3):
        await games.play(
            p5, "Player 2", (5, 0), mode="local", ended=now - timedelta(days=2, minutes=minutes)
        )
    await games.play(p2, "AI (hard)", (0, 5), mode="ai", ended=now - timedelta(days=2))
    return players


async def test_by_wins_over_all_time(client, league):
    body = await board(client, league[0], mode="all")
    assert (body["period"], body["mode"], body["ranked_by"], body["since"]) == (
        "all",
        "all",
        "wins",
        None,
    )
    # most wins, then fewer games, then the older account; p5's three games at one
    # keyboard count for no wins (history only), so p5 is not ranked at all
    assert rows(body) == [("p1", 2, 2), ("p4", 1, 1), ("p3", 2, 1), ("p2", 4, 0)]
    assert [e["rank"] for e in body["items"]] == [1, 2, 3, 4]
    first = body["items"][0]
    assert first["user"]["id"] == league[0].id
    assert (first["losses"], first["win_rate"]) == (0, 1.0)
    assert body["items"][3]["losses"] == 4 and body["items"][3]["win_rate"] == 0.0
    assert body["next_cursor"] is None


async def test_by_wins_within_a_period(client, league):
    month = await board(client, league[0], period="month", mode="all")
    assert rows(month) == [("p4", 1, 1), ("p3", 2, 1), ("p2", 2, 0)]
    since = datetime.fromisoformat(month["since"])
    assert abs((datetime.now(UTC) - since) - timedelta(days=30)) < timedelta(minutes=1)
    week = await board(client, league[0], period="week", mode="all")
    assert rows(week) == [("p4", 1, 1), ("p2", 1, 0), ("p3", 1, 0)]


async def test_remote_is_ranked_by_rating(client, league):
    r = dict.fromkeys(["p1", "p2", "p3", "p4"], 1000)
    for winner, loser in (("p1", "p2"), ("p1", "p2"), ("p3", "p2"), ("p4", "p3")):
        r[winner], r[loser] = elo(r[winner], r[loser], True)
    assert r == {"p1": 1031, "p2": 954, "p3": 998, "p4": 1017}
    body = await board(client, league[0])  # the default board
    assert body["ranked_by"] == "rating" and body["mode"] == "remote"
    assert [(e["user"]["display_name"], e["rating"]) for e in body["items"]] == [
        ("p1", 1031),
        ("p4", 1017),
        ("p3", 998),
        ("p2", 954),
    ]  # p5 never played remote
    assert rows(body) == [("p1", 2, 2), ("p4", 1, 1), ("p3", 2, 1), ("p2", 3, 0)]
    month = await board(client, league[0], mode="remote", period="month")
    # only who played remote in the last 30 days; games and wins within the period
    assert [(e["user"]["display_name"], e["rating"]) for e in month["items"]] == [
        ("p4", 1017),
        ("p3", 998),
        ("p2", 954),
    ]
    assert rows(month) == [("p4", 1, 1), ("p3", 2, 1), ("p2", 1, 0)]
    week = await board(client, league[0], mode="remote", period="week")
    assert rows(week) == [("p4", 1, 1), ("p3", 1, 0)]


async def test_pages_follow_the_cursor(client, league):
    seen = []
    cursor = None
    pages = 0
    while True:
        query = {"limit": 2, "mode": "all"} | ({"cursor": cursor} if cursor else {})
        body = await board(client, league[0], **query)
        seen += [(e["rank"], e["user"]["display_name"]) for e in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 2
    assert seen == [(1, "p1"), (2, "p4"), (3, "p3"), (4, "p2")]


async def test_deleted_accounts_leave_the_board(client, league):
    from transcendence.accounts import privacy

    await privacy.anonymise(league[0].user)
    body = await board(client, league[1])
    assert "p1" not in [e["user"]["display_name"] for e in body["items"]]
    remote = await board(client, league[1], mode="remote")
    assert [e["user"]["display_name"] for e in remote["items"]] == ["p4", "p3", "p2"]


async def test_bad_filters_are_400(client, league):
    for query in (
        {"period": "year"},
        {"mode": "local"},  # one-keyboard games are on no board
        {"limit": 0},
        {"limit": 101},
        {"cursor": "-1"},
        {"cursor": "abc"},
    ):
        response = await client.get(
            "/api/stats/leaderboard", headers=league[0].headers, query_string=query
        )
        assert response.status_code == 400, query
        assert (await response.get_json())["error"]["code"] == "validation_error"


async def test_a_game_played_by_the_engine_shows_up(app, client, make_player):
    """A real local game on a sped-up clock, reported by pong itself."""
    games = app.extensions["pong"].games
    games.clock = ScaledClock(50)
    reported = asyncio.Event()
    original = games.on_finished

    async def finished(match):
        await original(match)
        reported.set()

    games.on_finished = finished
    alice = await make_player("alice")
    created = await client.post(
        "/api/pong/games",
        headers=alice.headers,
        json={"mode": "local", "options": {"score_limit": 2, "paddle_height": 20}},
    )
    assert created.status_code == 201, await created.get_json()
    game_id = (await created.get_json())["game_id"]
    async with asyncio.timeout(30):
        await reported.wait()

    match = await (
        await client.get(f"/api/stats/matches/{game_id}", headers=alice.headers)
    ).get_json()
    final = match["match"]["score"]
    assert max(final.values()) == 2
    assert match["score_over_time"][-1] | {"rally": 0, "t": 0} == {
        "rally": 0,
        "t": 0,
        "left": final["left"],
        "right": final["right"],
    }
    assert len(match["rallies"]) == final["left"] + final["right"]
    assert all(r["max_speed"] > 0 for r in match["rallies"])
    assert match["duration_seconds"] >= match["rallies"][-1]["end"]
    assert match["settings"]["score_limit"] == 2

    # A game at one keyboard is history only: no win, no loss, on no board.
    mine = await (
        await client.get(f"/api/stats/users/{alice.id}", headers=alice.headers)
    ).get_json()
    assert (mine["games"], mine["wins"], mine["losses"]) == (0, 0, 0)
    assert mine["recent_matches"] == [] and mine["top_opponents"] == []
    profile = await (await client.get("/api/me/?include=extras", headers=alice.headers)).get_json()
    line = profile["extras"]["matches"][0]
    assert line["result"] == "played" and line["opponent"] == "Player 2"
    assert line["score"] == f"{final['left']}-{final['right']}"
