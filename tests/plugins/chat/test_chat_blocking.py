"""Blocking: no message crosses a block, in direct chats, groups and channels."""

from __future__ import annotations

import pytest
from chat_testkit import block

pytestmark = pytest.mark.modules("chat")


async def test_a_blocked_user_cannot_open_a_direct_chat_with_the_blocker(api, people):
    alice, bob, *_ = people
    await block(alice, bob)
    status, body = await api.post("/api/chats/create_private/", bob, {"user_id": alice.id})
    assert status == 403 and body["error"]["code"] == "blocked"
    status, body = await api.post("/api/chats/create_private/", alice, {"user_id": bob.id})
    assert status == 403


async def test_an_existing_direct_chat_refuses_messages_across_a_block(api, people):
    alice, bob, *_ = people
    chat = await api.direct(alice, bob)
    await api.send(bob, chat["id"], "before")
    await block(alice, bob)
    status, body = await api.post("/api/messages/", bob, {"chat": chat["id"], "text": "after"})
    assert status == 403 and body["error"]["code"] == "blocked"
    status, body = await api.post("/api/messages/", alice, {"chat": chat["id"], "text": "me?"})
    assert status == 403
    # the blocker no longer sees the blocked user's messages, nor as the last message
    assert await api.texts(alice, chat["id"]) == []
    listed = await api.chats(alice)
    assert listed[0]["last_message"] is None


async def test_groups_hide_a_blocked_members_messages_both_ways(api, people):
    alice, bob, carol, _ = people
    group = await api.group(carol, "g", alice, bob)
    gid = group["id"]
    await block(alice, bob)
    await api.send(bob, gid, "from bob")
    await api.send(carol, gid, "from carol")
    await api.send(alice, gid, "from alice")
    assert await api.texts(alice, gid) == ["from alice", "from carol"]
    assert await api.texts(bob, gid) == ["from carol", "from bob"]
    assert await api.texts(carol, gid) == ["from alice", "from carol", "from bob"]
    unread = {c["id"]: c["unread_count"] for c in await api.chats(alice)}
    assert unread[gid] == 1  # carol's only: bob's never counted
    status, body = await api.post("/api/messages/mark_chat_as_read/", alice, {"chat_id": gid})
    assert body["unread_count"] == 0
    # creating a group or adding someone across a block is refused
    status, body = await api.post(
        "/api/chats/create_group/", alice, {"title": "x", "user_ids": [bob.id, carol.id]}
    )
    assert status == 403 and body["error"]["details"]["user_ids"] == [bob.id]
    mine = await api.group(alice, "mine", carol)
    status, body = await api.post(
        f"/api/chat/chats/{mine['id']}/members", alice, {"user_ids": [bob.id]}
    )
    assert status == 403 and body["error"]["code"] == "blocked"


async def test_channels_hide_a_blocked_users_messages(api, people):
    alice, bob, carol, _ = people
    _, chan = await api.post("/api/chat/channels/", carol, {"name": "lobby"})
    await api.post("/api/chat/channels/join", alice, {"name": "lobby"})
    await api.post("/api/chat/channels/join", bob, {"name": "lobby"})
    await block(bob, alice)  # bob blocks alice: neither sees the other
    await api.send(alice, chan["id"], "alice here")
    await api.send(bob, chan["id"], "bob here")
    assert await api.texts(bob, chan["id"]) == ["bob here"]
    assert await api.texts(alice, chan["id"]) == ["alice here"]
    assert await api.texts(carol, chan["id"]) == ["bob here", "alice here"]
    listed = {c["id"]: c for c in await api.chats(alice)}
    assert listed[chan["id"]]["last_message"]["text"] == "alice here"
