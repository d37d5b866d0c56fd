"""The fixed REST contract: exact paths, bodies and status codes."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.modules("chat")


async def test_create_private_is_201_then_200_for_the_same_pair(api, people):
    alice, bob, *_ = people
    status, chat = await api.post("/api/chats/create_private/", alice, {"user_id": bob.id})
    assert status == 201
    assert chat["kind"] == "direct" and chat["title"] == "bob"
    assert sorted(m["id"] for m in chat["members"]) == [alice.id, bob.id]
    assert chat["unread_count"] == 0 and chat["last_message"] is None
    again, same = await api.post("/api/chats/create_private/", bob, {"user_id": alice.id})
    assert again == 200 and same["id"] == chat["id"] and same["title"] == "alice"


async def test_create_private_refuses_bad_bodies_myself_and_strangers(api, people):
    alice, *_ = people
    status, body = await api.post("/api/chats/create_private/", alice, {})
    assert status == 400 and body["error"]["code"] == "validation_error"
    assert body["error"]["details"][0]["loc"] == ["user_id"]
    status, body = await api.post("/api/chats/create_private/", alice, {"user_id": "x"})
    assert status == 400 and body["error"]["details"][0]["loc"] == ["user_id"]
    status, body = await api.post("/api/chats/create_private/", alice, {"user_id": alice.id})
    assert status == 400 and body["error"]["details"] == {"field": "user_id"}
    status, body = await api.post("/api/chats/create_private/", alice, {"user_id": 999999})
    assert status == 404 and body["error"]["code"] == "not_found"
    status, body = await api.post("/api/chats/create_private/", alice, {"user_id": 2**40})
    assert status == 400


async def test_create_group_with_chosen_users(api, people):
    alice, bob, carol, _dave = people
    status, chat = await api.post(
        "/api/chats/create_group/",
        alice,
        {"title": "  Pong   night ", "user_ids": [bob.id, carol.id]},
    )
    assert status == 201
    assert chat["kind"] == "group" and chat["title"] == "Pong night"
    assert chat["owner_id"] == alice.id and chat["role"] == "owner"
    assert {m["id"]: m["role"] for m in chat["members"]} == {
        alice.id: "owner",
        bob.id: "member",
        carol.id: "member",
    }
    assert chat["member_count"] == 3


async def test_create_group_bad_bodies_name_the_field(api, people):
    alice, bob, *_ = people
    for body, field in (
        ({"user_ids": [bob.id]}, "title"),
        ({"title": "", "user_ids": [bob.id]}, "title"),
        ({"title": "x" * 65, "user_ids": [bob.id]}, "title"),
        ({"title": "ok", "user_ids": "nope"}, "user_ids"),
        ({"title": "ok", "user_ids": [0]}, "user_ids"),
        ({"title": "ok", "user_ids": []}, "user_ids"),
        ({"title": "ok", "user_ids": [alice.id]}, "user_ids"),
    ):
        status, answer = await api.post("/api/chats/create_group/", alice, body)
        assert status == 400, (body, answer)
        assert answer["error"]["details"][0]["loc"][0] == field, (body, answer)
    status, answer = await api.post(
        "/api/chats/create_group/", alice, {"title": "ok", "user_ids": [bob.id, 999999]}
    )
    assert status == 404 and answer["error"]["details"]["user_ids"] == [999999]


async def test_post_message_is_201_with_the_stored_message(api, people):
    alice, bob, *_ = people
    chat = await api.direct(alice, bob)
    text = "<b>hi</b> & welcome\nsecond line"
    status, message = await api.post("/api/messages/", alice, {"chat": chat["id"], "text": text})
    assert status == 201
    assert message["text"] == text  # stored and returned as text, not escaped
    assert message["chat"] == message["chat_id"] == chat["id"]
    assert message["kind"] == "text" and message["sender"]["id"] == alice.id
    assert message["sender"]["display_name"] == "alice" and message["created_at"]
    status, page = await api.get("/api/messages/", bob, chat_id=chat["id"])
    assert status == 200 and page["items"] == [message] and page["next"] is None


async def test_post_message_bad_bodies(api, people):
    alice, bob, *_ = people
    chat = await api.direct(alice, bob)
    for body, field in (
        ({"text": "hi"}, "chat"),
        ({"chat": chat["id"]}, "text"),
        ({"chat": chat["id"], "text": ""}, "text"),
        ({"chat": chat["id"], "text": "   \n "}, "text"),
        ({"chat": chat["id"], "text": "x" * 2001}, "text"),
        ({"chat": chat["id"], "text": "nul \x00 here"}, "text"),
        ({"chat": chat["id"], "text": 5}, "text"),
        ({"chat": chat["id"], "text": "hi", "client_id": ""}, "client_id"),
        ({"chat": chat["id"], "text": "hi", "client_id": "x" * 65}, "client_id"),
    ):
        status, answer = await api.post("/api/messages/", alice, body)
        assert status == 400, (body, answer)
        assert answer["error"]["code"] == "validation_error"
        assert answer["error"]["details"][0]["loc"][0] == field, (body, answer)
    status, _ = await api.post("/api/messages/", alice, {"chat": chat["id"], "text": "x" * 2000})
    assert status == 201
    status, _ = await api.post("/api/messages/", alice, {"chat_id": chat["id"], "text": "alias"})
    assert status == 201


async def test_list_chats_newest_first_with_last_message_and_unread(api, people):
    alice, bob, carol, _ = people
    with_bob = await api.direct(alice, bob)
    group = await api.group(carol, "trio", alice, bob)
    with_carol = await api.direct(alice, carol)
    await api.send(bob, with_bob["id"], "one")
    await api.send(bob, with_bob["id"], "two")
    await api.send(carol, group["id"], "hello group")
    status, page = await api.get("/api/chats/", alice)
    assert status == 200 and page["next"] is None
    items = page["items"]
    assert [c["id"] for c in items] == [group["id"], with_bob["id"], with_carol["id"]]
    by_id = {c["id"]: c for c in items}
    assert by_id[with_bob["id"]]["unread_count"] == 2
    assert by_id[with_bob["id"]]["last_message"]["text"] == "two"
    assert by_id[group["id"]]["unread_count"] == 1
    assert by_id[group["id"]]["title"] == "trio"
    assert by_id[with_carol["id"]]["unread_count"] == 0
    assert by_id[with_carol["id"]]["last_message"] is None
    for chat in items:
        assert set(chat) >= {"id", "kind", "title", "members", "last_message", "unread_count"}
    # my own messages are never unread for me
    assert {c["id"]: c["unread_count"] for c in await api.chats(bob)}[with_bob["id"]] == 0


async def test_mark_chat_as_read(api, people):
    alice, bob, *_ = people
    chat = await api.direct(alice, bob)
    await api.send(bob, chat["id"], "one")
    last = await api.send(bob, chat["id"], "two")
    status, body = await api.post(
        "/api/messages/mark_chat_as_read/", alice, {"chat_id": chat["id"]}
    )
    assert status == 200
    assert body == {
        "chat_id": chat["id"],
        "user_id": alice.id,
        "last_read_id": last["id"],
        "unread_count": 0,
    }
    assert (await api.chats(alice))[0]["unread_count"] == 0
    status, body = await api.post("/api/messages/mark_chat_as_read/", alice, {})
    assert status == 400 and body["error"]["details"][0]["loc"] == ["chat_id"]


async def test_non_members_get_404_never_the_content(api, people):
    alice, bob, carol, _ = people
    chat = await api.direct(alice, bob)
    await api.send(alice, chat["id"], "secret")
    cid = chat["id"]
    for method, path, body, query in (
        ("GET", "/api/messages/", None, {"chat_id": cid}),
        ("POST", "/api/messages/", {"chat": cid, "text": "let me in"}, {}),
        ("POST", "/api/messages/mark_chat_as_read/", {"chat_id": cid}, {}),
        ("GET", f"/api/chat/chats/{cid}", None, {}),
        ("GET", f"/api/chat/chats/{cid}/members", None, {}),
        ("POST", f"/api/chat/chats/{cid}/leave", None, {}),
        ("POST", f"/api/chat/chats/{cid}/invite", {}, {}),
        ("POST", f"/api/chat/chats/{cid}/invites/1/answer", {"accept": True}, {}),
        ("GET", "/api/messages/", None, {"chat_id": 987654}),
    ):
        status, answer = await api.call(method, path, carol, body, **query)
        assert status == 404, (method, path, status, answer)
        assert answer["error"]["code"] == "not_found"
        assert "secret" not in str(answer)
    assert await api.chats(carol) == []


async def test_every_route_needs_a_token(client):
    for method, path in (
        ("GET", "/api/chats/"),
        ("POST", "/api/chats/create_private/"),
        ("POST", "/api/chats/create_group/"),
        ("GET", "/api/messages/?chat_id=1"),
        ("POST", "/api/messages/"),
        ("POST", "/api/messages/mark_chat_as_read/"),
    ):
        response = await client.open(path, method=method, json={})
        assert response.status_code == 401, path


async def test_disabled_module_answers_404_module_disabled(app, api, people):
    alice, bob, *_ = people
    await app.extensions["transcendence"].registry.disable("chat")
    status, body = await api.post("/api/chats/create_private/", alice, {"user_id": bob.id})
    assert status == 404 and body["error"]["code"] == "module_disabled"
    status, body = await api.get("/api/chats/", alice)
    assert status == 404 and body["error"]["code"] == "module_disabled"
