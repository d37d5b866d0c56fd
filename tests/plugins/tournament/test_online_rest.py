"""Online tournaments over REST: creating, joining, leaving, starting, and the errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from transcendence_pong.models import Match, Rating
from transcendence_tournament.models import Game, Tournament

pytestmark = pytest.mark.modules("pong", "ai", "tournament")
QUICK = {"score_limit": 1, "paddle_height": 20}


@pytest.fixture
async def people(make_user):
    yield [
        await make_user(name, display_name=name.capitalize())
        for name in ("ann", "bob", "cy", "dee", "eve")
    ]
    # PostgreSQL's database is shared by the run and emptied only after the next app has
    # started: leave no tournament for its start-up to carry on.
    await Tournament.filter(status__in=["open", "running"]).update(status="cancelled")


async def post(client, user, path, body=None):
    response = await client.post(
        f"/api/tournament{path}", headers=user.headers, json=body if body is not None else {}
    )
    return response.status_code, await response.get_json()


async def get(client, user, path):
    response = await client.get(f"/api/tournament{path}", headers=user.headers)
    return response.status_code, await response.get_json()


async def test_creating_validates_size_format_start_time_and_alias(client, people):
    ann = people[0]
    for body, code in (
        ({"size": 2}, "validation_error"),
        ({"size": 17}, "validation_error"),
        ({"format": "swiss"}, "validation_error"),
        ({"seeding": "alphabetical"}, "validation_error"),
        ({"options": {"score_limit": 99}}, "invalid_options"),  # the game's own check
        ({"options": []}, "validation_error"),
        ({"game": "chess"}, "invalid_game"),
        ({"alias": ""}, "validation_error"),
        ({"alias": "   "}, "invalid_alias"),
        ({"starts_at": "2001-01-01T00:00:00Z"}, "invalid_starts_at"),
        ({"starts_at": "next tuesday"}, "validation_error"),
        ({"no_show_seconds": 0}, "validation_error"),
    ):
        status, data = await post(client, ann, "/online", {"name": "Cup", **body})
        assert status == 400, (body, data)
        assert data["error"]["code"] == code, (body, data)
        assert set(data["error"]) == {"code", "message", "details"}


async def test_a_created_tournament_is_open_with_its_creator_seated(client, people):
    ann = people[0]
    starts = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    status, view = await post(
        client,
        ann,
        "/online",
        {
            "name": "Evening cup",
            "size": 4,
            "format": "round_robin",
            "options": {**QUICK, "no_show_seconds": 30},
            "starts_at": starts.isoformat(),
        },
    )
    assert status == 201, view
    assert view["kind"] == "online" and view["status"] == "open"
    assert view["size"] == 4 and view["format"] == "round_robin"
    assert view["no_show_seconds"] == 30 and view["options"]["score_limit"] == 1
    assert "no_show_seconds" not in view["options"]  # pong options only
    assert datetime.fromisoformat(view["starts_at"]) == starts
    assert view["players"] == [
        {"seed": 1, "alias": "Ann", "user_id": ann.id, "ai": None, "place": None}
    ]
    assert view["me"] == {"seed": 1, "alias": "Ann"}
    assert view["matches"] == [] and view["winner"] is None
    assert view["owner"]["username"] == "ann"
    # Anyone signed in may read an online tournament; `me` is theirs.
    status, seen = await get(client, people[1], f"/{view['id']}")
    assert status == 200 and seen["me"] is None


async def test_joining_leaving_and_their_conflicts(client, people):
    ann, bob, cy, dee, eve = people
    _, view = await post(client, ann, "/online", {"name": "Cup", "size": 4, "starts_at": None})
    tid = view["id"]
    status, view = await post(client, bob, f"/{tid}/join", {"alias": "Bobby"})
    assert status == 200 and view["me"] == {"seed": 2, "alias": "Bobby"}
    assert (await post(client, bob, f"/{tid}/join"))[1]["error"]["code"] == "already_joined"
    status, taken = await post(client, cy, f"/{tid}/join", {"alias": "bobby"})
    assert status == 409 and taken["error"]["code"] == "alias_taken"
    status, view = await post(client, cy, f"/{tid}/join")
    assert status == 200 and view["me"]["alias"] == "Cy"  # the display name by default
    # Bob leaves, Dee takes a seat: three of four.
    status, view = await post(client, bob, f"/{tid}/leave")
    assert status == 200 and view["me"] is None and len(view["players"]) == 2
    status, again = await post(client, bob, f"/{tid}/leave")
    assert status == 409 and again["error"]["code"] == "not_joined"
    await post(client, dee, f"/{tid}/join")
    # Only the organiser starts; they need three players.
    status, refused = await post(client, dee, f"/{tid}/start")
    assert status == 403 and refused["error"]["code"] == "forbidden"
    # The fourth seat fills it: it starts by itself (no start time was set).
    status, view = await post(client, eve, f"/{tid}/join")
    assert status == 200 and view["status"] == "running"
    status, late = await post(client, bob, f"/{tid}/join")
    assert status == 409 and late["error"]["code"] == "already_started"
    status, late = await post(client, eve, f"/{tid}/leave")
    assert status == 409 and late["error"]["code"] == "already_started"
    assert (await post(client, ann, f"/{tid}/start"))[1]["error"]["code"] == "already_started"


async def test_a_full_tournament_refuses_another_seat(client, people):
    ann, bob, cy, dee, _ = people
    starts = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    _, view = await post(client, ann, "/online", {"size": 3, "starts_at": starts})
    tid = view["id"]
    await post(client, bob, f"/{tid}/join")
    status, view = await post(client, cy, f"/{tid}/join")
    assert status == 200 and view["status"] == "open"  # a start time is set: it waits for it
    status, full = await post(client, dee, f"/{tid}/join")
    assert status == 409 and full["error"]["code"] == "full"


async def test_starting_needs_three_players_and_seeds_by_rating(client, people):
    ann, bob, cy, *_ = people
    for user, rating in ((ann, 1000), (bob, 1300), (cy, 1150)):
        await Rating.create(user_id=user.id, rating=rating)
    _, view = await post(client, ann, "/online", {"size": 8, "seeding": "rating", "options": QUICK})
    tid = view["id"]
    await post(client, bob, f"/{tid}/join")
    status, few = await post(client, ann, f"/{tid}/start")
    assert status == 409 and few["error"]["code"] == "not_enough_players"
    await post(client, cy, f"/{tid}/join")
    status, view = await post(client, ann, f"/{tid}/start")
    assert status == 200 and view["status"] == "running"
    assert [(p["seed"], p["alias"]) for p in view["players"]] == [(1, "Bob"), (2, "Cy"), (3, "Ann")]
    # Three players, single elimination: the best seed has a bye, 2 and 3 are called.
    first = [m for m in view["matches"] if m["round"] == 1]
    bye = next(m for m in first if m["bye"])
    assert bye["left"]["alias"] == "Bob" and bye["status"] == "done" and bye["winner"] == "left"
    called = next(m for m in first if not m["bye"])
    assert called["status"] == "ready" and called["match_id"]
    assert {called["left"]["alias"], called["right"]["alias"]} == {"Cy", "Ann"}
    assert called["ready_deadline"] and called["forfeit"] is False
    final = next(m for m in view["matches"] if m["round"] == 2)
    assert final["status"] == "pending" and final["right"] is None
    assert await Game.filter(status="ready").count() == 1


async def test_next_is_refused_on_an_online_tournament_and_creates_nothing(client, people):
    ann, bob, cy, _, eve = people
    _, view = await post(client, ann, "/online", {"size": 3, "options": QUICK})
    tid = view["id"]
    await post(client, bob, f"/{tid}/join")
    status, view = await post(client, cy, f"/{tid}/join")
    assert status == 200 and view["status"] == "running"
    matches = await Match.all().count()
    # A stranger (it used to start a match for the next pairing, then answer 500), and the
    # organiser too: an online tournament's matches are called by the server.
    for who in (eve, ann):
        status, refused = await post(client, who, f"/{tid}/next")
        assert status == 403 and refused["error"]["code"] == "forbidden"
    assert await Match.all().count() == matches
    assert await Match.filter(left_user_id=eve.id).count() == 0


async def test_ai_seats_are_the_organisers_and_need_the_ai_module(client, app, people):
    ann, bob, *_ = people
    _, view = await post(client, ann, "/online", {"size": 4, "starts_at": None})
    tid = view["id"]
    status, refused = await post(client, bob, f"/{tid}/ai")
    assert status == 403 and refused["error"]["code"] == "forbidden"
    status, bad = await post(client, ann, f"/{tid}/ai", {"level": "godlike"})
    assert status == 400 and bad["error"]["code"] == "validation_error"
    status, view = await post(client, ann, f"/{tid}/ai", {"level": "hard"})
    assert status == 200
    robot = view["players"][-1]
    assert robot["alias"] == "AI 1" and robot["user_id"] is None and robot["ai"] == "hard"
    await app.extensions["transcendence"].registry.disable("ai")
    status, off = await post(client, ann, f"/{tid}/ai")
    assert status == 409 and off["error"]["code"] == "ai_unavailable"


async def test_the_list_filters_by_status_newest_first(client, people):
    ann, bob, *_ = people
    ids = []
    for name in ("One", "Two", "Three"):
        _, view = await post(client, ann, "/online", {"name": name, "size": 5})
        ids.append(view["id"])
    await post(client, bob, f"/{ids[0]}/join")
    status, listed = await get(client, bob, "/online?status=open")
    assert status == 200
    assert [t["id"] for t in listed["items"]] == ids[::-1]
    first = listed["items"][-1]
    assert first["players"] == 2 and first["size"] == 5 and first["status"] == "open"
    assert first["owner"] == {"id": ann.id, "username": "ann", "display_name": "Ann"}
    status, none = await get(client, bob, "/online?status=finished")
    assert status == 200 and none["items"] == []
    status, bad = await get(client, bob, "/online?status=sleeping")
    assert status == 400 and bad["error"]["code"] == "validation_error"
    status, mine = await get(client, bob, "/")  # organised or joined
    assert status == 200 and [t["id"] for t in mine["items"]] == [ids[0]]
    status, paged = await get(client, bob, "/online?limit=2")
    assert len(paged["items"]) == 2 and paged["next"]
    status, rest = await get(client, bob, f"/online?limit=2&cursor={paged['next']}")
    assert [t["id"] for t in rest["items"]] == [ids[0]]


async def test_unknown_tournaments_and_strangers(client, people):
    ann = people[0]
    for path in ("/999/join", "/999/leave", "/999/start", "/999/ai"):
        status, missing = await post(client, ann, path)
        assert status == 404, path
        assert missing["error"]["code"] == "not_found"
    assert (await get(client, ann, "/999"))[0] == 404
    response = await client.get("/api/tournament/online")
    assert response.status_code == 401


async def test_bodies_that_are_not_objects_are_refused(client, people):
    ann = people[0]
    _, view = await post(client, ann, "/online", {"size": 4})
    for path in ("/online", f"/{view['id']}/join", f"/{view['id']}/ai"):
        for body in ([], "x", 7, {"alias": ["a"], "level": 3}):
            response = await client.post(f"/api/tournament{path}", headers=ann.headers, json=body)
            assert response.status_code == 400, (path, body)
            assert (await response.get_json())["error"]["code"] == "validation_error"


async def test_ai_seats_forfeit_without_running_the_ai_while_it_is_disabled(
    client, app, people, monkeypatch
):
    """AI seats taken while the ai module was on; it is off at the start: no AI code runs
    (neither a bot against a person nor a game between two AI seats). Each AI seat is
    absent, as a no-show: the person wins their games, the better seed the AI's game."""
    import transcendence_ai.hooks as ai_hooks
    import transcendence_ai.tournament as ai_games

    def no_ai(*args, **kwargs):
        raise AssertionError("the ai module's code ran while it was disabled")

    monkeypatch.setattr(ai_games, "play", no_ai)
    monkeypatch.setattr(ai_hooks, "play", no_ai, raising=False)
    monkeypatch.setattr(ai_hooks, "Bot", no_ai)
    ann, *_ = people
    _, view = await post(
        client, ann, "/online", {"size": 4, "format": "round_robin", "options": QUICK}
    )
    tid = view["id"]
    for level in ("easy", "hard"):
        assert (await post(client, ann, f"/{tid}/ai", {"level": level}))[0] == 200
    await app.extensions["transcendence"].registry.disable("ai")
    status, view = await post(client, ann, f"/{tid}/start")
    assert status == 200, view
    status, view = await get(client, ann, f"/{tid}")
    assert view["status"] == "finished" and view["winner"] == "Ann"
    assert len(view["matches"]) == 3
    assert all(m["status"] == "done" and m["forfeit"] for m in view["matches"])
    assert all(m["match_id"] is None for m in view["matches"])  # no pong game was created
    robots = next(
        m for m in view["matches"] if "Ann" not in (m["left"]["alias"], m["right"]["alias"])
    )
    better = min(
        robots["left"],
        robots["right"],
        key=lambda p: next(e["seed"] for e in view["players"] if e["alias"] == p["alias"]),
    )
    assert robots[robots["winner"]]["alias"] == better["alias"]
    assert await Match.filter(mode="tournament").count() == 0
