"""Members' read markers in a chat's `members` (the browser's "Seen"), never across a block."""

from __future__ import annotations

import pytest
from chat_testkit import block

pytestmark = pytest.mark.modules("chat")


def markers(chat: dict) -> dict[int, int | None]:
    return {m["id"]: m["last_read_id"] for m in chat["members"]}


async def test_members_carry_how_far_each_has_read(api, people):
    alice, bob, *_ = people
    chat = await api.direct(alice, bob)
    assert markers(chat) == {alice.id: 0, bob.id: 0}
    first = await api.send(alice, chat["id"], "one")
    await api.send(alice, chat["id"], "two")
    status, _ = await api.post(
        "/api/messages/mark_chat_as_read/", bob, {"chat_id": chat["id"], "message_id": first["id"]}
    )
    assert status == 200
    # Alice sees where Bob stopped, in the list and in the chat itself.
    listed = next(c for c in await api.chats(alice) if c["id"] == chat["id"])
    assert markers(listed) == {alice.id: 0, bob.id: first["id"]}
    status, one = await api.get(f"/api/chat/chats/{chat['id']}", alice)
    assert status == 200 and markers(one)[bob.id] == first["id"]


async def test_no_read_marker_crosses_a_block(api, people):
    alice, bob, carol, _ = people
    group = await api.group(alice, "trio", bob, carol)
    message = await api.send(alice, group["id"], "hello")
    for reader in (bob, carol):
        status, _ = await api.post(
            "/api/messages/mark_chat_as_read/", reader, {"chat_id": group["id"]}
        )
        assert status == 200
    await block(carol, alice)
    status, seen_by_alice = await api.get(f"/api/chat/chats/{group['id']}", alice)
    assert status == 200
    assert markers(seen_by_alice) == {alice.id: 0, bob.id: message["id"], carol.id: None}
    status, seen_by_carol = await api.get(f"/api/chat/chats/{group['id']}", carol)
    assert markers(seen_by_carol)[alice.id] is None
    assert markers(seen_by_carol)[bob.id] == message["id"]
