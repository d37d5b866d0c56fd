"""Groups (owner adds and removes, members leave, all my friends) and public channels."""

from __future__ import annotations

import pytest
from chat_testkit import befriend

pytestmark = pytest.mark.modules("chat")


async def test_a_group_of_all_my_friends(api, people):
    alice, bob, carol, dave = people
    await befriend(alice, bob)
    await befriend(carol, alice)
    status, chat = await api.post(
        "/api/chats/create_group/", alice, {"title": "friends", "all_friends": True}
    )
    assert status == 201
    assert sorted(m["id"] for m in chat["members"]) == sorted([alice.id, bob.id, carol.id])
    status, chat = await api.post(
        "/api/chats/create_group/",
        alice,
        {"title": "friends+", "all_friends": True, "user_ids": [dave.id, bob.id]},
    )
    assert status == 201 and chat["member_count"] == 4
    status, body = await api.post(
        "/api/chats/create_group/", dave, {"title": "lonely", "all_friends": True}
    )
    assert status == 400 and body["error"]["details"][0]["loc"] == ["user_ids"]


async def test_owner_adds_and_removes_members(api, people):
    alice, bob, carol, dave = people
    group = await api.group(alice, "g", bob)
    gid = group["id"]
    await api.send(alice, gid, "before carol")
    status, body = await api.post(f"/api/chat/chats/{gid}/members", bob, {"user_ids": [carol.id]})
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, chat = await api.post(f"/api/chat/chats/{gid}/members", alice, {"user_ids": [carol.id]})
    assert status == 200 and chat["member_count"] == 3
    await api.send(bob, gid, "after carol")
    # carol sees the group from the moment she was added, not what was said before
    assert await api.texts(carol, gid) == ["after carol"]
    assert {c["id"]: c["unread_count"] for c in await api.chats(carol)} == {gid: 1}
    status, body = await api.post(f"/api/chat/chats/{gid}/members", alice, {"user_ids": [12345]})
    assert status == 404
    status, body = await api.post(f"/api/chat/chats/{gid}/members", alice, {"user_ids": []})
    assert status == 400 and body["error"]["details"][0]["loc"] == ["user_ids"]

    status, _ = await api.delete(f"/api/chat/chats/{gid}/members/{carol.id}", bob)
    assert status == 403
    status, _ = await api.delete(f"/api/chat/chats/{gid}/members/{carol.id}", alice)
    assert status == 204
    assert await api.chats(carol) == []
    status, _ = await api.get("/api/messages/", carol, chat_id=gid)
    assert status == 404
    status, _ = await api.delete(f"/api/chat/chats/{gid}/members/{dave.id}", alice)
    assert status == 404
    status, members = await api.get(f"/api/chat/chats/{gid}/members", bob)
    assert status == 200 and [m["id"] for m in members["items"]] == [alice.id, bob.id]


async def test_members_leave_and_the_owner_hands_over(api, people):
    alice, bob, carol, _ = people
    group = await api.group(alice, "g", bob, carol)
    gid = group["id"]
    status, _ = await api.post(f"/api/chat/chats/{gid}/leave", alice)
    assert status == 204
    status, chat = await api.get(f"/api/chat/chats/{gid}", bob)
    assert status == 200 and chat["owner_id"] == bob.id and chat["role"] == "owner"
    assert chat["member_count"] == 2
    status, _ = await api.post(f"/api/chat/chats/{gid}/leave", alice)
    assert status == 404
    await api.post(f"/api/chat/chats/{gid}/leave", bob)
    await api.post(f"/api/chat/chats/{gid}/leave", carol)
    from transcendence_chat.models import Conversation

    assert not await Conversation.exists(id=gid)  # the last one out deletes it


async def test_direct_chats_cannot_be_left_nor_grown(api, people):
    alice, bob, carol, _ = people
    chat = await api.direct(alice, bob)
    status, body = await api.post(f"/api/chat/chats/{chat['id']}/leave", alice)
    assert status == 400 and body["error"]["code"] == "cannot_leave"
    status, body = await api.post(
        f"/api/chat/chats/{chat['id']}/members", alice, {"user_ids": [carol.id]}
    )
    assert status == 400 and body["error"]["code"] == "not_a_group"


async def test_channels_create_list_join_leave(api, people):
    alice, bob, carol, _ = people
    status, chan = await api.post("/api/chat/channels/", alice, {"name": "Lobby"})
    assert status == 201
    assert chan["kind"] == "channel" and chan["name"] == "Lobby" and chan["title"] == "#Lobby"
    status, body = await api.post("/api/chat/channels/", bob, {"name": "lobby"})
    assert status == 409 and body["error"]["code"] == "name_taken"
    status, body = await api.post("/api/chat/channels/", bob, {"name": "no spaces"})
    assert status == 400 and body["error"]["details"][0]["loc"] == ["name"]
    await api.post("/api/chat/channels/", bob, {"name": "games", "title": "Games talk"})

    status, listed = await api.get("/api/chat/channels/", carol)
    assert status == 200
    assert [(c["name"], c["joined"]) for c in listed["items"]] == [
        ("games", False),
        ("Lobby", False),
    ]
    status, listed = await api.get("/api/chat/channels/", carol, q="LOB")
    assert [c["name"] for c in listed["items"]] == ["Lobby"]

    status, joined = await api.post("/api/chat/channels/join", carol, {"name": "LOBBY"})
    assert status == 201 and joined["id"] == chan["id"] and joined["member_count"] == 2
    status, again = await api.post("/api/chat/channels/join", carol, {"name": "lobby"})
    assert status == 200 and again["member_count"] == 2
    status, body = await api.post("/api/chat/channels/join", carol, {"name": "nowhere"})
    assert status == 404 and body["error"]["details"] == {"field": "name"}

    await api.send(carol, chan["id"], "hello lobby")
    assert await api.texts(alice, chan["id"]) == ["hello lobby"]
    status, _ = await api.post(f"/api/chat/chats/{chan['id']}/leave", carol)
    assert status == 204
    status, _ = await api.get("/api/messages/", carol, chat_id=chan["id"])
    assert status == 404
    status, listed = await api.get("/api/chat/channels/", carol, limit=1)
    assert [c["name"] for c in listed["items"]] == ["games"] and listed["next"]
    status, rest = await api.get("/api/chat/channels/", carol, limit=1, cursor=listed["next"])
    assert [c["name"] for c in rest["items"]] == ["Lobby"] and rest["next"] is None


async def test_a_group_whose_owner_was_deleted_is_taken_over(api, people):
    from transcendence.accounts.models import User

    alice, bob, carol, dave = people
    group = await api.group(alice, "g", bob, carol)
    await User.filter(id=alice.id).delete()
    status, chat = await api.get(f"/api/chat/chats/{group['id']}", bob)
    assert chat["member_count"] == 2 and chat["owner_id"] is None
    status, _ = await api.post(
        f"/api/chat/chats/{group['id']}/members", carol, {"user_ids": [dave.id]}
    )
    assert status == 403  # not the longest-standing member
    status, chat = await api.post(
        f"/api/chat/chats/{group['id']}/members", bob, {"user_ids": [dave.id]}
    )
    assert status == 200 and chat["owner_id"] == bob.id and chat["member_count"] == 3
