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
