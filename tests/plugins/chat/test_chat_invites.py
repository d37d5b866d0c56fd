"""Invitations to play from a direct chat, through the core's game API: pong (the default)
when it is enabled."""

from __future__ import annotations

import pytest
from chat_testkit import block

from transcendence.hub import get_hub

pytestmark = pytest.mark.modules("chat", "pong")


async def test_an_invite_is_a_message_and_pongs_invitation(app, api, people):
    alice, bob, *_ = people
    chat = await api.direct(alice, bob)
    status, body = await api.post(
        f"/api/chat/chats/{chat['id']}/invite", alice, {"options": {"score_limit": 3}}
    )
    assert status == 201, body
    invite_id = body["invite_id"]
    message = body["message"]
    assert message["kind"] == "invite" and message["sender_id"] == alice.id
    assert message["data"]["status"] == "pending" and message["data"]["invite_id"] == invite_id
    assert message["data"]["options"] == {"score_limit": 3}
    from transcendence_pong.models import Invite

    row = await Invite.get(id=invite_id)
    assert row.sender_id == alice.id and row.recipient_id == bob.id and row.status == "pending"
    page = (await api.get("/api/messages/", bob, chat_id=chat["id"]))[1]
    assert page["items"][0]["id"] == message["id"]
    assert (await api.chats(bob))[0]["unread_count"] == 1


async def test_accepting_starts_the_game_for_both(app, api, people):
    alice, bob, *_ = people
    chat = await api.direct(alice, bob)
    invite_id = (await api.post(f"/api/chat/chats/{chat['id']}/invite", alice, {}))[1]["invite_id"]
    matched: list[tuple[int, dict]] = []
    deliver = get_hub(app).deliver
    original = deliver.to_user

    async def spy(user_id, type_, data=None):
        if type_ == "pong.matched":
            matched.append((user_id, data))
        await original(user_id, type_, data)

    deliver.to_user = spy  # type: ignore[method-assign]
    path = f"/api/chat/chats/{chat['id']}/invites/{invite_id}/answer"
    status, body = await api.post(path, alice, {"accept": True})
    assert status == 403 and body["error"]["code"] == "forbidden"  # only the invitee answers
    status, body = await api.post(path, bob, {})
    assert status == 400 and body["error"]["details"][0]["loc"] == ["accept"]
    status, body = await api.post(path, bob, {"accept": True})
    assert status == 200, body
    assert body["status"] == "accepted" and body["game_id"]
    assert body["message"]["data"]["status"] == "accepted"
    assert body["message"]["data"]["game_id"] == body["game_id"]
    assert sorted(uid for uid, _ in matched) == [alice.id, bob.id]
    assert {d["game_id"] for _, d in matched} == {body["game_id"]}
    status, _ = await api.post(path, bob, {"accept": True})
    assert status == 409  # pong: already accepted
    stored = (await api.get("/api/messages/", alice, chat_id=chat["id"]))[1]["items"][0]
    assert stored["data"]["status"] == "accepted"


async def test_declining(api, people):
    alice, bob, *_ = people
    chat = await api.direct(alice, bob)
    invite_id = (await api.post(f"/api/chat/chats/{chat['id']}/invite", alice, {}))[1]["invite_id"]
    status, body = await api.post(
        f"/api/chat/chats/{chat['id']}/invites/{invite_id}/answer", bob, {"accept": False}
    )
    assert status == 200 and body == {
        "status": "declined",
        "game_id": None,
        "message": body["message"],
    }
    assert body["message"]["data"]["status"] == "declined"
    status, body = await api.post(
        f"/api/chat/chats/{chat['id']}/invites/{invite_id + 1}/answer", bob, {"accept": True}
    )
    assert status == 404


async def test_an_invitation_stored_before_games_were_named_is_answered_as_pongs(api, people):
    """Invitations used to be stored without `data.game` (ref "pong.invite:<id>", as now):
    they are pong's, and answering one records its game."""
    from transcendence_chat.models import Message

    alice, bob, *_ = people
    chat = await api.direct(alice, bob)
    sent = (await api.post(f"/api/chat/chats/{chat['id']}/invite", alice, {}))[1]
    row = await Message.get(id=sent["message"]["id"])
    assert row.ref == f"pong.invite:{sent['invite_id']}"
    row.data = {k: v for k, v in row.data.items() if k != "game"}
    await row.save(update_fields=["data"])
    status, body = await api.post(
        f"/api/chat/chats/{chat['id']}/invites/{sent['invite_id']}/answer", bob, {"accept": True}
    )
    assert status == 200 and body["game_id"]
    assert body["message"]["data"]["game"] == "pong"
    assert body["message"]["data"]["status"] == "accepted"


async def test_invites_only_in_direct_chats_and_not_across_a_block(api, people):
    alice, bob, carol, _ = people
    group = await api.group(alice, "g", bob, carol)
    status, body = await api.post(f"/api/chat/chats/{group['id']}/invite", alice, {})
    assert status == 400 and body["error"]["code"] == "not_direct"
    chat = await api.direct(alice, bob)
    status, body = await api.post(
        f"/api/chat/chats/{chat['id']}/invite", alice, {"options": {"score_limit": 999}}
    )
    assert status == 400 and body["error"]["code"] == "invalid_options"
    await block(bob, alice)
    status, body = await api.post(f"/api/chat/chats/{chat['id']}/invite", alice, {})
    assert status == 403 and body["error"]["code"] == "blocked"


async def test_refused_with_pong_disabled(app, api, people):
    alice, bob, *_ = people
    chat = await api.direct(alice, bob)
    invite_id = (await api.post(f"/api/chat/chats/{chat['id']}/invite", alice, {}))[1]["invite_id"]
    await app.extensions["transcendence"].registry.disable("pong")
    status, body = await api.post(f"/api/chat/chats/{chat['id']}/invite", alice, {})
    assert status == 409 and body["error"]["code"] == "game_unavailable"
    status, body = await api.post(
        f"/api/chat/chats/{chat['id']}/invites/{invite_id}/answer", bob, {"accept": True}
    )
    assert status == 409 and body["error"]["code"] == "game_unavailable"
    assert len(await api.texts(alice, chat["id"])) == 1  # nothing was posted


@pytest.mark.modules("chat")
async def test_refused_when_pong_is_not_installed(api, people):
    alice, bob, *_ = people
    chat = await api.direct(alice, bob)
    status, body = await api.post(f"/api/chat/chats/{chat['id']}/invite", alice, {})
    assert status == 409 and body["error"]["code"] == "game_unavailable"
    assert "pong" in body["error"]["message"]


# --- a game other than pong: the second game of tests/support, which chat never names ------


@pytest.mark.modules("chat")
@pytest.mark.support("transcendence_nim")
async def test_an_invitation_to_another_game_starts_a_match_of_it(app, api, people):
    """Nim (tests/support/transcendence_nim) is invited to and started from a direct chat
    through the game API alone; the match is then played to a win over Nim's own routes."""
    alice, bob, *_ = people
    chat = await api.direct(alice, bob)
    five = {"stones": 5, "max_take": 2}
    status, body = await api.post(
        f"/api/chat/chats/{chat['id']}/invite", alice, {"game": "nim", "options": five}
    )
    assert status == 201, body
    invite_id, message = body["invite_id"], body["message"]
    assert message["kind"] == "invite" and message["text"] == "alice invites you to play Nim"
    assert message["data"]["game"] == "nim" and message["data"]["options"] == five
    seen = (await api.get("/api/messages/", bob, chat_id=chat["id"]))[1]["items"][0]
    assert seen["id"] == message["id"] and seen["data"]["status"] == "pending"

    path = f"/api/chat/chats/{chat['id']}/invites/{invite_id}/answer"
    status, body = await api.post(path, bob, {"accept": True})  # pong's, by default: absent
    assert status == 409 and body["error"]["code"] == "game_unavailable"
    status, body = await api.post(path, bob, {"game": "nim", "accept": True})
    assert status == 200, body
    match_id = body["game_id"]
    assert body["status"] == "accepted" and body["message"]["data"]["game_id"] == match_id

    status, match = await api.get(f"/api/nim/matches/{match_id}", bob)
    assert status == 200 and match["mode"] == "remote" and match["status"] == "running"
    assert [p["user_id"] for p in match["players"]] == [alice.id, bob.id]
    assert match["stones_left"] == 5  # the invitation's options
    for player, stones in ((alice, 2), (bob, 1), (alice, 2)):
        status, match = await api.post(
            f"/api/nim/matches/{match_id}/moves", player, {"take": stones}
        )
        assert status == 200, match
    assert match["status"] == "finished" and match["winner"] == 0  # alice took the last


@pytest.mark.modules("chat", "pong")
@pytest.mark.support("transcendence_nim")
async def test_each_invitation_is_answered_for_its_own_game(api, people):
    """Invitation ids are each game's own: answering Nim's leaves Pong's pending."""
    alice, bob, *_ = people
    chat = await api.direct(alice, bob)
    invite = f"/api/chat/chats/{chat['id']}/invite"
    pong = (await api.post(invite, alice, {}))[1]
    nim = (await api.post(invite, alice, {"game": "nim"}))[1]
    assert pong["message"]["data"]["game"] == "pong" and nim["message"]["data"]["game"] == "nim"
    status, body = await api.post(
        f"/api/chat/chats/{chat['id']}/invites/{nim['invite_id']}/answer",
        bob,
        {"game": "nim", "accept": False},
    )
    assert status == 200 and body["message"]["id"] == nim["message"]["id"]
    shown = {
        m["id"]: m["data"]
        for m in (await api.get("/api/messages/", bob, chat_id=chat["id"]))[1]["items"]
    }
    assert shown[nim["message"]["id"]]["status"] == "declined"
    assert shown[pong["message"]["id"]]["status"] == "pending"


@pytest.mark.modules("chat")
@pytest.mark.support("transcendence_nim")
async def test_an_unavailable_or_unknown_game_is_refused(app, api, people):
    alice, bob, *_ = people
    chat = await api.direct(alice, bob)
    invite = f"/api/chat/chats/{chat['id']}/invite"
    status, body = await api.post(invite, alice, {"game": "chess"})
    assert status == 409 and body["error"]["code"] == "game_unavailable"
    status, body = await api.post(invite, alice, {"game": "../nim"})
    assert status == 400 and body["error"]["details"][0]["loc"] == ["game"]
    invite_id = (await api.post(invite, alice, {"game": "nim"}))[1]["invite_id"]
    await app.extensions["transcendence"].registry.disable("nim")
    status, body = await api.post(invite, alice, {"game": "nim"})
    assert status == 409 and body["error"]["code"] == "game_unavailable"
    assert "nim" in body["error"]["message"]
    status, body = await api.post(
        f"/api/chat/chats/{chat['id']}/invites/{invite_id}/answer",
        bob,
        {"game": "nim", "accept": True},
    )
    assert status == 409 and body["error"]["code"] == "game_unavailable"
    assert len(await api.texts(alice, chat["id"])) == 1  # only the first invitation
