"""The user and game-session dashboards, figure by figure, against matches set up here."""

from __future__ import annotations

import asyncio

import pytest
from statskit import TICKS_PER_RALLY, elo, rallies_for

from transcendence.core import core_of
from transcendence_pong.models import Match, Rating
from transcendence_pong.ratings import update_ratings
from transcendence_pong.records import result_of
from transcendence_stats import aggregation
from transcendence_stats.models import Opponent, PlayerStats, RatingPoint, UserMatch

pytestmark = pytest.mark.modules("pong", "stats")


async def dashboard(client, viewer, user_id, **query):
    response = await client.get(
        f"/api/stats/users/{user_id}", headers=viewer.headers, query_string=query
    )
    assert response.status_code == 200, await response.get_json()
    return await response.get_json()


async def test_the_user_dashboard_adds_up(client, make_player, matches):
    alice, bob = await make_player("alice"), await make_player("bob")
    carol = await make_player("carol")
    twelve = {
        "start": 2000,
        "end": 2000 + TICKS_PER_RALLY,
        "hits": 12,
        "max_speed": 900.0,
        "winner": "left",
    }
    longest = [*rallies_for(4, 0), twelve]
    played = [
        await matches.play(alice, bob, (5, 3)),  # W
        await matches.play(alice, bob, (5, 4)),  # W
        await matches.play(carol, alice, (5, 2)),  # L (alice on the right)
        await matches.play(alice, "AI (normal)", (5, 0), mode="ai", rallies=longest),  # W
        # An online tournament's match against an AI seat counts for its human player.
        await matches.play(
            alice, "Player 2", (5, 1), mode="tournament", record={"keyboard": False}
        ),  # W
        # Bob leaves at 1-0: the rally in play ends without a winner.
        await matches.play(
            alice,
            bob,
            (1, 0),
            forfeit="right",
            rallies=[
                *rallies_for(1, 0),
                {"start": 400, "end": 500, "hits": 3, "max_speed": 400.0, "winner": None},
            ],
        ),  # W
        await matches.play(alice, bob, (4, 5)),  # L
    ]

    body = await dashboard(client, bob, alice.id)
    assert body["user"] == {"id": alice.id, "display_name": "alice"}
    assert (body["games"], body["wins"], body["losses"]) == (7, 5, 2)
    assert body["win_rate"] == round(5 / 7, 4) == 0.7143
    assert body["current_streak"] == {"result": "loss", "length": 1}
    assert body["best_streak"] == 3  # games 4, 5 and 6
    assert body["worst_streak"] == 1
    # points: 5+5+2+5+5+1+4 scored, 3+4+5+0+1+0+5 conceded
    assert body["points"] == {
        "scored": 27,
        "conceded": 18,
        "difference": 9,
        "scored_per_game": round(27 / 7, 2),
        "conceded_per_game": round(18 / 7, 2),
    }
    # rallies: 8 + 9 + 7 + 5 + 6 + 2 + 9; all 3 hits long but one of 12
    assert body["rallies"] == {
        "count": 46,
        "total_hits": 45 * 3 + 12,
        "average_hits": round(147 / 46, 2),
        "longest_hits": 12,
        "average_seconds": round((45 * 180 + 100) / 46 / 60, 2),
    }
    by_mode = {row["mode"]: row for row in body["by_mode"]}
    assert [row["mode"] for row in body["by_mode"]] == ["local", "remote", "ai", "tournament"]
    assert by_mode["remote"] == {
        "mode": "remote",
        "games": 5,
        "wins": 3,
        "losses": 2,
        "win_rate": 0.6,
        "points_for": 17,
        "points_against": 17,
    }
    assert by_mode["ai"] == {
        "mode": "ai",
        "games": 1,
        "wins": 1,
        "losses": 0,
        "win_rate": 1.0,
        "points_for": 5,
        "points_against": 0,
    }
    assert by_mode["local"] == {
        "mode": "local",
        "games": 0,
        "wins": 0,
        "losses": 0,
        "win_rate": None,
        "points_for": 0,
        "points_against": 0,
    }
    assert by_mode["tournament"] == {
        "mode": "tournament",
        "games": 1,
        "wins": 1,
        "losses": 0,
        "win_rate": 1.0,
        "points_for": 5,
        "points_against": 1,
    }

    # The rating after each remote game, recomputed here (everyone starts at 1000).
    r = {"alice": 1000, "bob": 1000, "carol": 1000}
    expected = []
    for left, right, alice_won, match in (
        ("alice", "bob", True, played[0]),
        ("alice", "bob", True, played[1]),
        ("carol", "alice", False, played[2]),
        ("alice", "bob", True, played[5]),
        ("alice", "bob", False, played[6]),
    ):
        left_won = alice_won if left == "alice" else not alice_won
        r[left], r[right] = elo(r[left], r[right], left_won)
        expected.append((str(match.id), r["alice"]))
    assert [p for _, p in expected] == [1016, 1031, 1014, 1028, 1009]
    rating = body["rating"]
    assert [(p["match_id"], p["rating"]) for p in rating["points"]] == expected
    assert rating["points"][0]["at"] == played[0].ended_at.isoformat()
    assert rating["current"] == r["alice"] == (await Rating.get(user_id=alice.id)).rating
    assert rating["best"] == max(p for _, p in expected)
    assert rating["initial"] == 1000
    last_two = await dashboard(client, bob, alice.id, rating_points=2)
    assert [p["match_id"] for p in last_two["rating"]["points"]] == [e[0] for e in expected[-2:]]

    assert body["top_opponents"] == [
        {"user_id": bob.id, "name": "bob", "games": 4, "wins": 3, "losses": 1, "win_rate": 0.75},
        # one game each: the most recent first
        {"user_id": None, "name": "Player 2", "games": 1, "wins": 1, "losses": 0, "win_rate": 1.0},
        {
            "user_id": None,
            "name": "AI (normal)",
            "games": 1,
            "wins": 1,
            "losses": 0,
            "win_rate": 1.0,
        },
        {"user_id": carol.id, "name": "carol", "games": 1, "wins": 0, "losses": 1, "win_rate": 0.0},
    ]
    recent = body["recent_matches"]
    assert [m["match_id"] for m in recent] == [str(m.id) for m in reversed(played)]
    assert recent[0] == {
        "match_id": str(played[6].id),
        "mode": "remote",
        "side": "left",
        "opponent": {"user_id": bob.id, "name": "bob"},
        "score": {"scored": 4, "conceded": 5},
        "result": "loss",
        "forfeit": False,
        "ended_at": played[6].ended_at.isoformat(),
    }
    assert recent[1]["forfeit"] is True and recent[1]["result"] == "win"
    assert recent[4]["side"] == "right" and recent[4]["score"] == {"scored": 2, "conceded": 5}
    assert body["last_played_at"] == played[6].ended_at.isoformat()
    # game time: each match ends with its last rally (ticks 1920 + 2160 + 1680 + 2180 + 1440
    # + 500 + 2160)
    assert body["play_seconds"] == round(12040 / 60, 1) == 200.7

    # Bob's side of the same games.
    bob_view = await dashboard(client, alice, bob.id)
    assert (bob_view["games"], bob_view["wins"], bob_view["losses"]) == (4, 1, 3)
    assert bob_view["current_streak"] == {"result": "win", "length": 1}
    assert (bob_view["best_streak"], bob_view["worst_streak"]) == (1, 3)
    assert bob_view["points"]["scored"] == 3 + 4 + 0 + 5
    assert bob_view["top_opponents"] == [
        {"user_id": alice.id, "name": "alice", "games": 4, "wins": 1, "losses": 3, "win_rate": 0.25}
    ]
    assert bob_view["rating"]["current"] == r["bob"]


async def test_recent_matches_are_the_last_ten(client, make_player, matches):
    alice = await make_player("alice")
    played = [await matches.play(alice, "AI (easy)", (5, i % 5), mode="ai") for i in range(12)]
    body = await dashboard(client, alice, alice.id)
    assert body["games"] == 12
    assert [m["match_id"] for m in body["recent_matches"]] == [
        str(m.id) for m in reversed(played[-10:])
    ]
    assert body["rating"] == {"current": None, "best": None, "initial": 1000, "points": []}
    assert body["top_opponents"][0]["games"] == 12


async def test_a_player_with_no_games_has_an_empty_dashboard(client, make_player):
    alice = await make_player("alice")
    body = await dashboard(client, alice, alice.id)
    assert (body["games"], body["wins"], body["losses"], body["win_rate"]) == (0, 0, 0, None)
    assert body["current_streak"] == {"result": None, "length": 0}
    assert body["rallies"]["average_hits"] is None
    assert body["recent_matches"] == [] and body["top_opponents"] == []
    assert all(row["games"] == 0 for row in body["by_mode"])


async def test_a_replayed_hook_counts_once(client, make_player, matches):
    alice, bob = await make_player("alice"), await make_player("bob")
    match = await matches.play(alice, bob, (5, 2))
    before = await dashboard(client, alice, alice.id)
    await matches.report(match)  # the hook again (and the rating moves again in pong)
    await asyncio.gather(*(aggregation.record_match(result_of(match)) for _ in range(3)))
    assert await aggregation.record_matches([result_of(match)] * 2) == 0
    after = await dashboard(client, alice, alice.id)
    assert after == before
    assert (after["games"], after["wins"]) == (1, 1)
    assert await UserMatch.filter(match_id=str(match.id)).count() == 2
    assert await RatingPoint.filter(match_id=str(match.id)).count() == 2
    assert (await Opponent.get(user_id=alice.id)).games == 1


async def test_a_match_twice_in_one_batch_counts_once(client, make_player, matches):
    alice, bob = await make_player("alice"), await make_player("bob")
    twice = await matches.play(alice, bob, (1, 5), report=False)
    assert await aggregation.record_matches([result_of(twice)] * 2) == 2  # one per player
    assert await aggregation.record_matches([result_of(twice)]) == 0
    body = await dashboard(client, alice, alice.id)
    assert (body["games"], body["losses"], body["points"]["conceded"]) == (1, 1, 5)


async def test_keyboard_tournaments_count_for_no_account(client, make_player, matches):
    host, bob = await make_player("host"), await make_player("bob")
    # A local tournament: the host's keyboard plays every alias against every other.
    await matches.play(host, "Ann", (5, 1), mode="tournament")
    await matches.play(host, "Cy", (0, 5), mode="tournament")
    # An online tournament game: two accounts.
    await matches.play(host, bob, (5, 4), mode="tournament")
    body = await dashboard(client, host, host.id)
    assert (body["games"], body["wins"]) == (1, 1)
    assert next(r for r in body["by_mode"] if r["mode"] == "tournament")["games"] == 1
    # Nor does a running match, or one an account played against itself.
    running = await matches.play(host, bob, (1, 1), report=False)
    await Match.filter(id=running.id).update(status="running", winner=None)
    await matches.report(await Match.get(id=running.id))
    selfie = await matches.play(host, host, (5, 0), mode="local")
    assert await UserMatch.filter(match_id=str(selfie.id)).count() == 0
    assert (await dashboard(client, host, host.id))["games"] == 1


async def test_the_profile_carries_the_summary(client, make_user, matches):
    alice, bob = await make_user("alice"), await make_user("bob")
    await matches.play(alice, bob, (5, 3))
    await matches.play(alice, bob, (5, 3))
    await matches.play(alice, bob, (3, 5))
    response = await client.get(f"/api/users/{alice.id}", headers=bob.headers)
    assert response.status_code == 200
    stats = (await response.get_json())["extras"]["stats"]
    assert stats == {
        "games": 3,
        "wins": 2,
        "losses": 1,
        "win_rate": 0.6667,
        "current_streak": {"result": "loss", "length": 1},
        "best_streak": 2,
        "worst_streak": 1,
    }
    me = await (await client.get("/api/me/?include=extras", headers=bob.headers)).get_json()
    assert me["extras"]["stats"] == {
        "games": 3,
        "wins": 1,
        "losses": 2,
        "win_rate": 0.3333,
        "current_streak": {"result": "win", "length": 1},
        "best_streak": 1,
        "worst_streak": 2,
    }


async def test_the_profile_lists_matches_in_words(client, make_player, matches):
    alice, bob = await make_player("alice"), await make_player("bob")
    first = await matches.play(alice, bob, (5, 3))
    second = await matches.play(alice, "AI (hard)", (2, 5), mode="ai")
    await matches.play(alice, "Ann", (5, 0), mode="tournament")  # a keyboard tournament
    profile = await (await client.get(f"/api/users/{alice.id}", headers=bob.headers)).get_json()
    lines = profile["extras"]["matches"]
    assert lines == [
        {
            "game": "pong",
            "match_id": str(second.id),
            "result": "lost",
            "forfeit": False,
            "score": "2-5",
            "points": {"scored": 2, "conceded": 5},
            "opponent": "AI (hard)",
            "opponent_user_id": None,
            "mode": "ai",
            "date": second.ended_at.date().isoformat(),
            "ended_at": second.ended_at.isoformat(),
        },
        {
            "game": "pong",
            "match_id": str(first.id),
            "result": "won",
            "forfeit": False,
            "score": "5-3",
            "points": {"scored": 5, "conceded": 3},
            "opponent": "bob",
            "opponent_user_id": bob.id,
            "mode": "remote",
            "date": first.ended_at.date().isoformat(),
            "ended_at": first.ended_at.isoformat(),
        },
    ]
    assert profile["extras"]["matches_total"] == 2
    theirs = await (await client.get(f"/api/users/{bob.id}", headers=alice.headers)).get_json()
    assert theirs["extras"]["matches"][0]["result"] == "lost"
    assert theirs["extras"]["matches"][0]["opponent"] == "alice"


async def test_backfill_counts_what_the_hook_missed_once(app, client, make_player, matches):
    alice, bob = await make_player("alice"), await make_player("bob")
    await matches.play(alice, bob, (5, 3))
    # Two matches finished while the module was off: recorded, never reported to stats.
    missed = [
        await matches.play(alice, bob, (2, 5), report=False),
        await matches.play(alice, "AI (hard)", (5, 4), mode="ai", report=False),
    ]
    await matches.play(host := alice, "Ann", (5, 0), mode="tournament", report=False)
    assert await aggregation.backfill(core_of(app), batch=1) == 3  # 2 players + 1 player
    assert await aggregation.backfill(core_of(app)) == 0
    body = await dashboard(client, host, alice.id)
    assert (body["games"], body["wins"], body["losses"]) == (3, 2, 1)
    assert body["recent_matches"][0]["match_id"] == str(missed[1].id)
    # The rating after a caught-up game is lost: the current one is kept, with no new point.
    assert body["rating"]["current"] == (await Rating.get(user_id=alice.id)).rating == 1016
    assert len(body["rating"]["points"]) == 1


async def test_a_caught_up_match_charts_the_ratings_pong_stored_with_it(
    app, client, make_player, matches
):
    alice, bob = await make_player("alice"), await make_player("bob")
    await matches.play(alice, bob, (5, 3))
    missed = await matches.play(alice, bob, (2, 5), report=False)
    # Pong recorded it with its ratings (in one transaction); the hook never ran (the node
    # stopped, or the stats module was off), so the backfill is what counts it.
    await update_ratings(missed)
    after = {r.user_id: r.rating for r in await Rating.filter(user_id__in=[alice.id, bob.id])}
    stored = (await Match.get(id=missed.id)).record["ratings"]
    assert stored == {"left": after[alice.id], "right": after[bob.id]}
    assert after[alice.id] < 1016  # she lost it
    await matches.play(alice, "AI (hard)", (5, 1), report=False, mode="ai")  # no rating
    assert await aggregation.backfill(core_of(app)) == 3
    body = await dashboard(client, alice, alice.id)
    chart = [p["rating"] for p in body["rating"]["points"]]
    assert chart == [1016, after[alice.id]]  # both matches on the chart, exact
    assert body["rating"]["current"] == after[alice.id]


async def test_the_match_dashboard(client, make_player, matches):
    alice, bob = await make_player("alice"), await make_player("bob")
    rallies = [
        {"start": 60, "end": 300, "hits": 4, "max_speed": 480.5, "winner": "left"},
        {"start": 360, "end": 900, "hits": 9, "max_speed": 812.0, "winner": "right"},
        {"start": 960, "end": 1080, "hits": 1, "max_speed": 360.0, "winner": "left"},
    ]
    options = {"ball_speed": 400.0, "score_limit": 2, "powerups": True, "theme": "neon"}
    match = await matches.play(alice, bob, (2, 1), rallies=rallies, options=options)
    response = await client.get(f"/api/stats/matches/{match.id}", headers=bob.headers)
    assert response.status_code == 200
    body = await response.get_json()
    assert body["match"] == {
        "id": str(match.id),
        "mode": "remote",
        "left": {"user_id": alice.id, "name": "alice"},
        "right": {"user_id": bob.id, "name": "bob"},
        "score": {"left": 2, "right": 1},
        "winner": "left",
        "forfeit": False,
        "started_at": match.started_at.isoformat(),
        "ended_at": match.ended_at.isoformat(),
    }
    assert body["score_over_time"] == [
        {"rally": 0, "t": 0.0, "left": 0, "right": 0},
        {"rally": 1, "t": 5.0, "left": 1, "right": 0},
        {"rally": 2, "t": 15.0, "left": 1, "right": 1},
        {"rally": 3, "t": 18.0, "left": 2, "right": 1},
    ]
    assert body["rallies"] == [
        {
            "rally": 1,
            "start": 1.0,
            "end": 5.0,
            "seconds": 4.0,
            "hits": 4,
            "max_speed": 480.5,
            "winner": "left",
        },
        {
            "rally": 2,
            "start": 6.0,
            "end": 15.0,
            "seconds": 9.0,
            "hits": 9,
            "max_speed": 812.0,
            "winner": "right",
        },
        {
            "rally": 3,
            "start": 16.0,
            "end": 18.0,
            "seconds": 2.0,
            "hits": 1,
            "max_speed": 360.0,
            "winner": "left",
        },
    ]
    assert body["hits"] == {"left": 7, "right": 7}
    assert body["duration_seconds"] == 18.0  # 1080 ticks
    assert body["wall_seconds"] == 23.0  # the test started it 5 s before the first tick
    assert body["settings"] == options
    assert body["summary"] == {
        "rallies": 3,
        "total_hits": 14,
        "longest_rally_hits": 9,
        "average_rally_hits": round(14 / 3, 2),
        "longest_rally_seconds": 9.0,
        "max_speed": 812.0,
    }


async def test_a_forfeit_ends_the_score_line_where_it_stood(client, make_player, matches):
    alice, bob = await make_player("alice"), await make_player("bob")
    match = await matches.play(
        alice,
        bob,
        (0, 1),
        forfeit="right",
        rallies=[
            {"start": 60, "end": 240, "hits": 2, "max_speed": 400.0, "winner": "right"},
            {"start": 300, "end": 420, "hits": 5, "max_speed": 600.0, "winner": None},
        ],
    )
    body = await (
        await client.get(f"/api/stats/matches/{match.id}", headers=alice.headers)
    ).get_json()
    assert body["match"]["winner"] == "left" and body["match"]["forfeit"] is True
    assert body["score_over_time"][-1] == {"rally": 2, "t": 7.0, "left": 0, "right": 1}
    assert body["rallies"][-1]["winner"] is None


async def test_not_found_and_not_finished_are_json(client, make_player, matches):
    alice, bob = await make_player("alice"), await make_player("bob")
    for path in (
        "/api/stats/users/999999",
        "/api/stats/matches/not-a-uuid",
        "/api/stats/matches/00000000-0000-0000-0000-000000000000",
    ):
        response = await client.get(path, headers=alice.headers)
        assert response.status_code == 404, path
        assert (await response.get_json())["error"]["code"] == "not_found"
    running = await matches.play(alice, bob, (0, 0), rallies=[], report=False)
    await Match.filter(id=running.id).update(status="running", winner=None)
    response = await client.get(f"/api/stats/matches/{running.id}", headers=alice.headers)
    assert response.status_code == 409
    assert (await response.get_json())["error"]["code"] == "not_finished"
    bad = await client.get(f"/api/stats/users/{alice.id}?rating_points=0", headers=alice.headers)
    assert bad.status_code == 400


async def test_every_stats_route_needs_a_token(client, make_player, matches):
    alice, bob = await make_player("alice"), await make_player("bob")
    match = await matches.play(alice, bob, (5, 0))
    for path in (
        f"/api/stats/users/{alice.id}",
        f"/api/stats/matches/{match.id}",
        "/api/stats/leaderboard",
    ):
        for headers in ({}, {"Authorization": "Bearer forged"}):
            response = await client.get(path, headers=headers)
            assert response.status_code == 401, path
            assert (await response.get_json())["error"]["code"] in {"unauthorized", "invalid_token"}


async def test_the_routes_are_in_openapi(client):
    spec = await (await client.get("/openapi.json")).get_json()
    for path in (
        "/api/stats/users/{user_id}",
        "/api/stats/matches/{match_id}",
        "/api/stats/leaderboard",
    ):
        get = spec["paths"][path]["get"]
        assert "200" in get["responses"], path
        assert get.get("description") or get.get("summary"), path
    parameters = {p["name"] for p in spec["paths"]["/api/stats/leaderboard"]["get"]["parameters"]}
    assert {"period", "mode", "limit", "cursor"} <= parameters


async def test_rows_go_with_a_deleted_account(make_player, matches):
    from transcendence.accounts import privacy

    alice, bob = await make_player("alice"), await make_player("bob")
    await matches.play(alice, bob, (5, 1))
    await privacy.delete(alice.user)
    assert await PlayerStats.filter(user_id=alice.id).count() == 0
    assert await UserMatch.filter(user_id=alice.id).count() == 0
    kept = await Opponent.get(user_id=bob.id)
    assert (kept.opponent_user_id, kept.name, kept.games) == (None, "alice", 1)  # type: ignore[attr-defined]


async def test_concurrent_reports_neither_lose_nor_double_count(client, make_player, matches):
    alice, bob = await make_player("alice"), await make_player("bob")
    played = [await matches.play(alice, bob, (5, i), report=False) for i in range(4)]
    # Four different matches of the same players at once, each reported three times.
    await asyncio.gather(
        *(aggregation.record_match(result_of(m)) for m in played for _ in range(3))
    )
    body = await dashboard(client, alice, alice.id)
    assert (body["games"], body["wins"], body["points"]["conceded"]) == (4, 4, 0 + 1 + 2 + 3)
    assert body["best_streak"] == 4
    assert await UserMatch.filter(user_id=alice.id).count() == 4
    assert (await Opponent.get(user_id=bob.id)).games == 4


async def test_odd_input_is_a_4xx_never_a_5xx(client, make_player):
    alice = await make_player("alice")
    paths = [
        "/api/stats/users/0",
        f"/api/stats/users/{2**31}",
        f"/api/stats/users/{10**30}",
        "/api/stats/users/-1",
        "/api/stats/users/abc",
        f"/api/stats/users/{alice.id}?rating_points=1001",
        f"/api/stats/users/{alice.id}?rating_points=x",
        "/api/stats/matches/" + "f" * 500,
        "/api/stats/matches/%00",
        "/api/stats/matches/00000000-0000-0000-0000-00000000000g",
        "/api/stats/leaderboard?limit=1e9",
        "/api/stats/leaderboard?cursor=9999999",
        "/api/stats/leaderboard?cursor=999999",
        "/api/stats/leaderboard?period=week&period=month",
        "/api/stats/leaderboard?mode=%00",
    ]
    for path in paths:
        response = await client.get(path, headers=alice.headers)
        assert 200 <= response.status_code < 500, (path, response.status_code)
        body = await response.get_json()
        assert response.status_code == 200 or body["error"]["code"], path


async def test_matches_played_while_disabled_are_counted_when_enabled(
    app, client, make_player, matches
):
    from transcendence.core import core_of

    registry = core_of(app).registry
    alice, bob = await make_player("alice"), await make_player("bob")
    await matches.play(alice, bob, (5, 1))
    await registry.disable("stats")
    assert "stats" not in app.extensions  # its shutdown ran
    off = await client.get(f"/api/stats/users/{alice.id}", headers=alice.headers)
    assert (await off.get_json())["error"]["code"] == "module_disabled"
    await matches.play(alice, bob, (2, 5))  # the hook skips the disabled module
    assert await UserMatch.filter(user_id=alice.id).count() == 1
    await registry.enable("stats")
    await app.extensions["stats"]  # the catch-up started by `startup`
    body = await dashboard(client, alice, alice.id)
    assert (body["games"], body["wins"], body["losses"]) == (2, 1, 1)
    assert body["current_streak"] == {"result": "loss", "length": 1}
