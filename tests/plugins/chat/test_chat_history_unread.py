"""History pages, unread counts and read markers."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.modules("chat")


async def test_history_pages_newest_first_without_gaps_or_repeats(api, people):
    alice, bob, *_ = people
    chat = await api.direct(alice, bob)
    sent = [await api.send(alice if i % 2 else bob, chat["id"], f"m{i}") for i in range(25)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = {"chat_id": chat["id"], "limit": 10}
        if cursor:
            query["cursor"] = cursor
        status, page = await api.get("/api/messages/", alice, **query)
        assert status == 200
        pages += 1
        seen += [m["text"] for m in page["items"]]
        if pages == 1:
            await api.send(bob, chat["id"], "late")  # arrives while paging: no repeat, no skip
        cursor = page["next"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == [m["text"] for m in reversed(sent)]


async def test_history_refuses_a_forged_cursor_and_bad_limits(api, people):
    alice, bob, *_ = people
    chat = await api.direct(alice, bob)
    status, body = await api.get("/api/messages/", alice, chat_id=chat["id"], cursor="!!")
    assert status == 400 and body["error"]["code"] == "invalid_cursor"
    status, body = await api.get("/api/messages/", alice, chat_id=chat["id"], limit=500)
    assert status == 400 and body["error"]["details"][0]["loc"] == ["limit"]
    status, body = await api.get("/api/messages/", alice)
    assert status == 400 and body["error"]["details"][0]["loc"] == ["chat_id"]
    status, body = await api.get("/api/messages/", alice, chat_id="abc")
    assert status == 400 and body["error"]["details"][0]["loc"] == ["chat_id"]


async def test_chat_list_pages(api, people):
    alice, bob, carol, dave = people
    chats = [await api.direct(alice, other) for other in (bob, carol, dave)]
    await api.send(alice, chats[1]["id"], "bump")  # carol's chat is now the newest
    status, first = await api.get("/api/chats/", alice, limit=2)
    assert status == 200 and first["next"]
    status, second = await api.get("/api/chats/", alice, limit=2, cursor=first["next"])
    assert second["next"] is None
    order = [c["id"] for c in first["items"] + second["items"]]
    assert order == [chats[1]["id"], chats[2]["id"], chats[0]["id"]]
    status, body = await api.get("/api/chats/", alice, cursor="WzEsMiwzXQ")  # [1,2,3]
    assert status == 400 and body["error"]["code"] == "invalid_cursor"


async def test_unread_counts_follow_read_markers(api, people):
    alice, bob, carol, _ = people
    group = await api.group(alice, "g", bob, carol)
    gid = group["id"]
    first = await api.send(alice, gid, "1")
    await api.send(carol, gid, "2")
    await api.send(alice, gid, "3")
    unread = {c["id"]: c["unread_count"] for c in await api.chats(bob)}
    assert unread == {gid: 3}
    status, body = await api.get("/api/chat/unread", bob)
    assert status == 200 and body == {"total": 3, "chats": {str(gid): 3}}
    # read up to the first message only
    status, body = await api.post(
        "/api/messages/mark_chat_as_read/", bob, {"chat_id": gid, "message_id": first["id"]}
    )
    assert status == 200 and body["unread_count"] == 2 and body["last_read_id"] == first["id"]
    # a marker never moves back
    status, body = await api.post(
        "/api/messages/mark_chat_as_read/", bob, {"chat_id": gid, "message_id": 0}
    )
    assert body["last_read_id"] == first["id"] and body["unread_count"] == 2
    await api.post("/api/messages/mark_chat_as_read/", bob, {"chat_id": gid})
    assert {c["id"]: c["unread_count"] for c in await api.chats(bob)} == {gid: 0}
    assert (await api.get("/api/chat/unread", bob))[1] == {"total": 0, "chats": {}}
    # carol wrote "2": only alice's two are unread for her
    assert {c["id"]: c["unread_count"] for c in await api.chats(carol)} == {gid: 2}
    status, page = await api.get("/api/messages/", bob, chat_id=gid)
    assert page["last_read_id"] == page["items"][0]["id"]
