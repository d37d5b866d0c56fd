"""What a profile says of a player's games (the stats module's `user_profile_extras`) and the
full match history behind its "See all matches" (`GET /api/stats/users/<id>/matches`)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.modules("pong", "stats")


async def extras(client, viewer, user_id):
    response = await client.get(f"/api/users/{user_id}", headers=viewer.headers)
    assert response.status_code == 200
    return (await response.get_json())["extras"]


async def history(client, viewer, user_id, **query):
    response = await client.get(
        f"/api/stats/users/{user_id}/matches", headers=viewer.headers, query_string=query
    )
    assert response.status_code == 200, await response.get_json()
    return await response.get_json()


async def test_a_new_player_has_no_rate_and_no_streak(client, make_player):
    alice, bob = await make_player("alice"), await make_player("bob")
    mine = await extras(client, bob, alice.id)
    assert mine["stats"] == {
        "games": 0,
        "wins": 0,
        "losses": 0,
        "win_rate": None,
        "current_streak": {"result": None, "length": 0},
        "best_streak": 0,
        "worst_streak": 0,
    }
    assert mine["matches"] == [] and mine["matches_total"] == 0


async def test_the_profile_says_streaks_and_forfeits(client, make_player, matches):
    alice, bob = await make_player("alice"), await make_player("bob")
    for _ in range(3):
        await matches.play(alice, bob, (5, 2))
    # Alice was ahead 1-0 and left: a loss by forfeit, whatever the score says.
    left = await matches.play(alice, bob, (1, 0), forfeit="left")
    for _ in range(2):
        await matches.play(bob, alice, (5, 4))  # alice on the right: two more losses
    mine = await extras(client, bob, alice.id)
    assert mine["stats"]["current_streak"] == {"result": "loss", "length": 3}
    assert (mine["stats"]["best_streak"], mine["stats"]["worst_streak"]) == (3, 3)
    assert mine["stats"]["win_rate"] == 0.5
    forfeit = next(line for line in mine["matches"] if line["match_id"] == str(left.id))
    assert (forfeit["result"], forfeit["forfeit"], forfeit["score"]) == ("lost", True, "1-0")
    theirs = await extras(client, alice, bob.id)
    won = next(line for line in theirs["matches"] if line["match_id"] == str(left.id))
    assert (won["result"], won["forfeit"], won["score"]) == ("won", True, "0-1")
    assert theirs["stats"]["current_streak"] == {"result": "win", "length": 3}


async def test_the_profile_lists_the_latest_ten_and_counts_them_all(client, make_player, matches):
    alice, bob = await make_player("alice"), await make_player("bob")
    played = [await matches.play(alice, bob, (5, n % 5)) for n in range(14)]
    played.append(await matches.play(alice, "Player 2", (5, 1), mode="local"))  # history only
    played.append(await matches.play(alice, bob, (2, 5)))
    mine = await extras(client, alice, alice.id)
    assert mine["matches_total"] == 16
    assert [line["match_id"] for line in mine["matches"]] == [
        str(m.id) for m in reversed(played[-10:])
    ]
    assert mine["matches"][1]["result"] == "played"
    assert mine["stats"]["games"] == 15  # the one-keyboard game is in the history only

    # Every match, a page at a time, newest first, for anyone logged in.
    first = await history(client, bob, alice.id, limit=10)
    assert first["user"] == {"id": alice.id, "display_name": "alice"}
    assert first["total"] == 16 and first["next_cursor"] == "10"
    assert first["items"] == mine["matches"]
    rest = await history(client, bob, alice.id, limit=10, cursor=first["next_cursor"])
    assert rest["next_cursor"] is None
    assert [line["match_id"] for line in first["items"] + rest["items"]] == [
        str(m.id) for m in reversed(played)
    ]
    assert rest["items"][-1]["opponent"] == "bob" and rest["items"][-1]["score"] == "5-0"


async def test_the_history_of_nobody_is_not_found(client, make_player):
    alice = await make_player("alice")
    for user_id in (999_999, 2**31):
        response = await client.get(f"/api/stats/users/{user_id}/matches", headers=alice.headers)
        assert response.status_code == 404
        assert (await response.get_json())["error"]["code"] == "not_found"
    response = await client.get(
        f"/api/stats/users/{alice.id}/matches", headers=alice.headers, query_string={"limit": 0}
    )
    assert response.status_code == 400
