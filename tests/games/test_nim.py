"""The second game (tests/support/transcendence_nim): a game other than pong, written
against the game API alone. Its matches are created for given seats, played to a winner
over REST, and reported to every module with a `MatchResult`; its invitations start
remote matches. docs/modules.md, "Writing a game"."""

from __future__ import annotations

import pytest

from transcendence.core import core_of
from transcendence.errors import APIError
from transcendence.games import SeatSpec, game_of, games_of, records
from transcendence.models import Notification

pytestmark = [pytest.mark.modules("pong"), pytest.mark.support("transcendence_nim")]
FIVE = {"stones": 5, "max_take": 2}


@pytest.fixture
def heard(app, monkeypatch):
    """The game hooks called through the app's core: [(name, arguments)]."""
    core = core_of(app)
    calls: list[tuple[str, dict]] = []
    original = core.call

    async def call(name, **kwargs):
        calls.append((name, kwargs))
        return await original(name, **kwargs)

    monkeypatch.setattr(core, "call", call)
    return calls


async def remote(app, alice, bob, **kwargs) -> str:
    core = core_of(app)
    seats = [SeatSpec(alice.id, "Ace"), SeatSpec(bob.id, "Bee")]
    return await game_of(core, "nim").create_match(core, seats, FIVE, mode="remote", **kwargs)


async def take(client, player, match_id, stones):
    url = f"/api/nim/matches/{match_id}/moves"
    return await client.post(url, json={"take": stones}, headers=player.headers)


async def test_nim_is_offered_beside_pong_while_its_module_is_on(app, client, make_user):
    alice = await make_user("alice")
    listed = await (await client.get("/api/games", headers=alice.headers)).get_json()
    assert [game["name"] for game in listed] == ["nim", "pong"]
    nim = listed[0]
    assert (nim["title"], nim["seats"]) == ("Nim", 2)
    assert nim["options"]["properties"]["stones"]["default"] == 15

    core = core_of(app)
    await core.registry.disable("nim", force=True)
    assert set(games_of(core)) == {"pong"}
    listed = await (await client.get("/api/games", headers=alice.headers)).get_json()
    assert [game["name"] for game in listed] == ["pong"]
    with pytest.raises(APIError) as off:
        game_of(core, "nim")
    assert (off.value.status, off.value.code) == (409, "game_unavailable")


async def test_a_match_is_played_to_a_winner_and_reported(app, client, make_user, heard):
    alice, bob = await make_user("alice"), await make_user("bob")
    match_id = await remote(app, alice, bob)

    assert (await take(client, alice, match_id, 2)).status_code == 200  # 3 left
    early = await take(client, alice, match_id, 1)  # Bob's turn
    assert (early.status_code, (await early.get_json())["error"]["code"]) == (409, "not_your_turn")
    assert (await take(client, bob, match_id, 1)).status_code == 200  # 2 left
    last = await take(client, alice, match_id, 2)
    assert (await last.get_json())["winner"] == 0

    finished = [kwargs["result"] for name, kwargs in heard if name == "match_finished"]
    assert len(finished) == 1
    result = finished[0]
    assert (result.game, result.id, result.mode, result.status) == (
        "nim",
        match_id,
        "remote",
        "finished",
    )
    assert [(p.user_id, p.name, p.score) for p in result.players] == [
        (alice.id, "Ace", 4),
        (bob.id, "Bee", 1),
    ]
    assert (result.winner, result.forfeit) == (0, False)
    assert all(counted.stats for counted in records.counts(result).values())
    after = await take(client, bob, match_id, 1)
    assert (after.status_code, (await after.get_json())["error"]["code"]) == (409, "match_over")


async def test_bad_moves_are_refused_and_change_nothing(app, client, make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    match_id = await remote(app, alice, bob)
    too_many = await take(client, alice, match_id, 3)  # max_take is 2
    assert (too_many.status_code, (await too_many.get_json())["error"]["code"]) == (
        400,
        "invalid_move",
    )
    assert (await take(client, alice, match_id, 0)).status_code == 400  # the schema's
    for unknown in ("not-an-id", "00000000-0000-0000-0000-000000000000"):
        assert (await take(client, alice, unknown, 1)).status_code == 404
    eve = await make_user("eve")
    assert (await take(client, eve, match_id, 1)).status_code == 404  # not her match
    view = await (await client.get(f"/api/nim/matches/{match_id}", headers=bob.headers)).get_json()
    assert (view["stones_left"], view["turn"]) == (5, 0)
    bad = await client.post(
        "/api/nim/matches", json={"options": {"stones": 500}}, headers=alice.headers
    )
    assert (bad.status_code, (await bad.get_json())["error"]["code"]) == (400, "invalid_options")


async def test_a_held_match_waits_for_its_players(app, client, make_user, heard):
    alice, bob = await make_user("alice"), await make_user("bob")
    match_id = await remote(app, alice, bob, hold=True)
    held = await take(client, alice, match_id, 1)
    assert (await held.get_json())["error"]["code"] == "waiting_for_players"
    for player in (alice, bob, bob):  # a second visit is no second arrival
        url = f"/api/nim/matches/{match_id}/join"
        assert (await client.post(url, headers=player.headers)).status_code == 200
    joined = [kwargs for name, kwargs in heard if name == "match_player_joined"]
    assert [(j["game"], j["match_id"], j["user_id"]) for j in joined] == [
        ("nim", match_id, alice.id),
        ("nim", match_id, bob.id),
    ]
    assert (await take(client, alice, match_id, 1)).status_code == 200


async def test_a_forfeit_ends_the_match_for_the_other_seat(app, make_user, heard):
    alice, bob = await make_user("alice"), await make_user("bob")
    core = core_of(app)
    match_id = await remote(app, alice, bob, hold=True)
    nim = game_of(core, "nim")
    await nim.forfeit(core, match_id, alice.id)
    await nim.forfeit(core, match_id, alice.id)  # once ended, nothing more
    [result] = [kwargs["result"] for name, kwargs in heard if name == "match_finished"]
    assert (result.winner, result.forfeit) == (1, True)
    # Given up before a stone was taken: a loss for no one.
    assert records.counts(result) == dict.fromkeys((0, 1), records.HISTORY_ONLY)


async def test_the_ai_answers_each_move_at_once(client, make_user):
    user = await make_user("alice")
    created = await client.post(
        "/api/nim/matches", json={"level": "hard", "options": FIVE}, headers=user.headers
    )
    assert created.status_code == 201
    match = await created.get_json()
    moved = await take(client, user, match["id"], 1)  # 4 left: the AI takes 1, leaving 3
    assert (await moved.get_json())["stones_left"] == 3
    assert (await moved.get_json())["turn"] == 0


async def test_ai_seats_play_headless(app):
    core = core_of(app)
    nim = game_of(core, "nim")
    seats = [SeatSpec(None, "Easy", "easy"), SeatSpec(None, "Hard", "hard")]
    result = await nim.play_headless(core, seats, FIVE)
    assert result is not None and result.status == "finished"
    assert result.winner == 1  # the winning strategy beats one stone at a time
    assert sum(p.score for p in result.players) == 5
    assert await nim.result(result.id) == result
    assert [r.id for r in await nim.finished()] == [result.id]


async def test_an_invitation_starts_a_remote_match(app, make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    core = core_of(app)
    nim = game_of(core, "nim")
    invite_id = await nim.invite(core, alice.id, bob.id, FIVE)
    note = await Notification.get(user_id=bob.id, kind="nim.invite")
    assert note.data["invite_id"] == invite_id
    match_id = await nim.answer(core, bob.id, invite_id, True)
    assert match_id is not None
    result = await nim.result(match_id)
    assert result is not None and result.mode == "remote"
    assert [p.user_id for p in result.players] == [alice.id, bob.id]
    with pytest.raises(APIError) as again:  # answered already
        await nim.answer(core, bob.id, invite_id, False)
    assert again.value.status == 404
    declined = await nim.invite(core, alice.id, bob.id, {})
    assert await nim.answer(core, bob.id, declined, False) is None
