"""Chat over real sockets: Hypercorn, the hub, the bus and the database, two or more users.

Every tab of every member hears `chat.message`, `chat.read`, `chat.members` and
`chat.typing` as they happen; nothing here polls.
"""

from __future__ import annotations

import httpx
import pytest

from realtime_kit import realtime_server
from transcendence.accounts.models import Block
from transcendence_chat.config import chat_config
from transcendence_chat.models import Message

pytestmark = pytest.mark.modules("chat")


@pytest.fixture
async def server(settings):
    async with realtime_server(settings) as server:
        opened = []
        connect = server.connect

        async def tracked(*args, **kwargs):
            opened.append(await connect(*args, **kwargs))
            return opened[-1]

        server.connect = tracked
        server.rest_clients = []
        yield server
        for client in opened:
            await client.close()  # before the server stops: no wait for a graceful close
        for http in server.rest_clients:
            await http.aclose()


class Rest:
    def __init__(self, server, user) -> None:
        self.http = httpx.AsyncClient(
            base_url=server.http, headers={"Authorization": f"Bearer {user.access}"}
        )
        server.rest_clients.append(self.http)

    async def post(self, path: str, body: dict) -> dict:
        response = await self.http.post(path, json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    async def get(self, path: str, **params) -> dict:
        response = await self.http.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()


async def take(client, type_: str) -> dict:
    """The next frame of a type, including one that arrived while awaiting a reply."""
    for frame in client.seen:
        if frame["type"] == type_:
            client.seen.remove(frame)
            return frame
    return await client.expect(type_)


async def nothing_more(client, type_: str, wait: float = 0.3) -> None:
    """No frame of this type arrives (after the ones we already awaited)."""
    assert all(f["type"] != type_ for f in client.seen), client.seen
    with pytest.raises(TimeoutError):
        await client.expect(type_, timeout=wait)


async def test_a_message_and_its_read_receipt_reach_every_tab(server):
    alice, bob = await server.user("alice"), await server.user("bob")
    chat = await Rest(server, alice).post("/api/chats/create_private/", {"user_id": bob.id})
    a = await server.connect(alice)
    b1, b2 = await server.connect(bob), await server.connect(bob)

    reply = await a.request(
        "chat.send", {"chat_id": chat["id"], "text": "hello bob", "client_id": "c1"}
    )
    assert reply["type"] == "chat.send", reply
    stored = reply["data"]
    assert stored["text"] == "hello bob" and stored["sender"]["id"] == alice.id
    for tab in (b1, b2, a):
        pushed = await take(tab, "chat.message")
        assert pushed["data"] == stored

    read = await b1.request("chat.read", {"chat_id": chat["id"]})
    assert read["data"] == {
        "chat_id": chat["id"],
        "user_id": bob.id,
        "last_read_id": stored["id"],
        "unread_count": 0,
    }
    receipt = await take(a, "chat.read")
    assert receipt["data"] == {
        "chat_id": chat["id"],
        "user_id": bob.id,
        "last_read_id": stored["id"],
    }
    assert (await take(b2, "chat.read"))["data"]["user_id"] == bob.id  # bob's other tab too
    # reading again moves nothing and tells nobody
    await b1.request("chat.read", {"chat_id": chat["id"]})
    await nothing_more(a, "chat.read")


async def test_rest_messages_are_pushed_live_too(server):
    alice, bob = await server.user("alice"), await server.user("bob")
    rest = Rest(server, alice)
    chat = await rest.post("/api/chats/create_private/", {"user_id": bob.id})
    b = await server.connect(bob)
    sent = await rest.post("/api/messages/", {"chat": chat["id"], "text": "over http"})
    assert (await take(b, "chat.message"))["data"] == sent
    await Rest(server, bob).post("/api/messages/mark_chat_as_read/", {"chat_id": chat["id"]})
    assert (await take(b, "chat.read"))["data"]["last_read_id"] == sent["id"]


async def test_duplicates_over_the_socket_are_stored_and_pushed_once(server):
    alice, bob = await server.user("alice"), await server.user("bob")
    chat = await Rest(server, alice).post("/api/chats/create_private/", {"user_id": bob.id})
    a, b = await server.connect(alice), await server.connect(bob)
    frame = {"chat_id": chat["id"], "text": "once", "client_id": "retry-1"}
    first = await a.request("chat.send", frame)
    second = await a.request("chat.send", frame)
    assert first["data"] == second["data"]
    assert (await take(b, "chat.message"))["data"]["id"] == first["data"]["id"]
    await nothing_more(b, "chat.message")


async def test_rate_limit_is_an_error_frame_and_the_socket_stays(server):
    chat_config(server.app).rate_count = 2
    alice, bob = await server.user("alice"), await server.user("bob")
    chat = await Rest(server, alice).post("/api/chats/create_private/", {"user_id": bob.id})
    a = await server.connect(alice)
    for i in range(2):
        assert (await a.request("chat.send", {"chat_id": chat["id"], "text": f"{i}"}))[
            "type"
        ] == "chat.send"
    refused = await a.request("chat.send", {"chat_id": chat["id"], "text": "too many"})
    assert refused["type"] == "error" and refused["error"]["code"] == "rate_limited"
    assert refused["error"]["details"]["retry_after"] > 0
    assert (await a.request("ping"))["type"] == "pong"


async def test_bad_frames_and_strangers_get_error_frames(server):
    alice, bob, eve = [await server.user(n) for n in ("alice", "bob", "eve")]
    chat = await Rest(server, alice).post("/api/chats/create_private/", {"user_id": bob.id})
    e = await server.connect(eve)
    refused = await e.request("chat.send", {"chat_id": chat["id"], "text": "hi"})
    assert refused["error"]["code"] == "not_found"
    refused = await e.request("chat.send", {"chat_id": chat["id"], "text": "x" * 2001})
    assert refused["error"]["code"] == "invalid_data"
    assert refused["error"]["details"][0]["loc"] == ["text"]
    refused = await e.request("chat.read", {"chat_id": chat["id"]})
    assert refused["error"]["code"] == "not_found"


async def test_blocked_members_of_a_group_are_not_delivered(server):
    alice, bob, carol = [await server.user(n) for n in ("alice", "bob", "carol")]
    group = await Rest(server, carol).post(
        "/api/chats/create_group/", {"title": "g", "user_ids": [alice.id, bob.id]}
    )
    await Block.create(blocker_id=bob.id, blocked_id=alice.id)
    a, b = await server.connect(alice), await server.connect(bob)
    await a.request("chat.send", {"chat_id": group["id"], "text": "from alice"})
    await (await server.connect(carol)).request(
        "chat.send", {"chat_id": group["id"], "text": "from carol"}
    )
    # bob's first message is carol's: alice's never reached him
    assert (await take(b, "chat.message"))["data"]["text"] == "from carol"
    assert (await take(a, "chat.message"))["data"]["text"] == "from alice"
    assert (await take(a, "chat.message"))["data"]["text"] == "from carol"
    await a.request("chat.typing", {"chat_id": group["id"]})
    await nothing_more(b, "chat.typing")


async def test_membership_changes_and_typing_are_pushed(server):
    alice, bob, carol = [await server.user(n) for n in ("alice", "bob", "carol")]
    b, c = await server.connect(bob), await server.connect(carol)
    rest = Rest(server, alice)
    group = await rest.post("/api/chats/create_group/", {"title": "g", "user_ids": [bob.id]})
    created = await take(b, "chat.members")
    assert created["data"]["action"] == "created" and created["data"]["chat_id"] == group["id"]
    await rest.post(f"/api/chat/chats/{group['id']}/members", {"user_ids": [carol.id]})
    for tab in (b, c):
        added = await take(tab, "chat.members")
        assert added["data"]["action"] == "added" and added["data"]["user_ids"] == [carol.id]
        assert added["data"]["member_count"] == 3
    await c.request("chat.typing", {"chat_id": group["id"]})
    typing = await take(b, "chat.typing")
    assert typing["data"] == {"chat_id": group["id"], "user_id": carol.id}
    response = await rest.http.delete(f"/api/chat/chats/{group['id']}/members/{carol.id}")
    assert response.status_code == 204
    for tab in (b, c):
        removed = await take(tab, "chat.members")
        assert removed["data"]["action"] == "removed" and removed["data"]["user_ids"] == [carol.id]


@pytest.mark.modules("chat", "pong")
async def test_an_invite_is_answered_in_the_chat_and_starts_the_game(server):
    alice, bob = await server.user("alice"), await server.user("bob")
    chat = await Rest(server, alice).post("/api/chats/create_private/", {"user_id": bob.id})
    a, b = await server.connect(alice), await server.connect(bob)
    sent = await a.request("chat.invite", {"chat_id": chat["id"], "options": {"score_limit": 2}})
    assert sent["type"] == "chat.invite", sent
    invite_id = sent["data"]["invite_id"]
    shown = await take(b, "chat.message")
    assert shown["data"]["kind"] == "invite" and shown["data"]["data"]["invite_id"] == invite_id
    answered = await b.request(
        "chat.answer", {"chat_id": chat["id"], "invite_id": invite_id, "accept": True}
    )
    assert answered["data"]["status"] == "accepted"
    game_id = answered["data"]["game_id"]
    for tab, side in ((a, "left"), (b, "right")):
        matched = await take(tab, "pong.matched")
        assert matched["data"]["game_id"] == game_id and matched["data"]["side"] == side
        updated = await take(tab, "chat.message_updated")
        assert updated["data"]["data"]["status"] == "accepted"


async def test_invites_over_the_socket_without_pong(server):
    alice, bob = await server.user("alice"), await server.user("bob")
    chat = await Rest(server, alice).post("/api/chats/create_private/", {"user_id": bob.id})
    a = await server.connect(alice)
    refused = await a.request("chat.invite", {"chat_id": chat["id"]})
    assert refused["type"] == "error" and refused["error"]["code"] == "game_unavailable"
    refused = await a.request("chat.invite", {"chat_id": chat["id"], "game": "Not a game!"})
    assert refused["type"] == "error" and refused["error"]["code"] == "invalid_data"
    sent = await a.request("chat.send", {"chat_id": chat["id"], "text": "still here"})
    assert sent["type"] == "chat.send"  # the socket stayed open


async def test_channel_reads_stay_with_the_reader(server):
    alice, bob = await server.user("alice"), await server.user("bob")
    chan = await Rest(server, alice).post("/api/chat/channels/", {"name": "lobby"})
    await Rest(server, bob).post("/api/chat/channels/join", {"name": "lobby"})
    a, b1, b2 = await server.connect(alice), await server.connect(bob), await server.connect(bob)
    await a.request("chat.send", {"chat_id": chan["id"], "text": "hi all"})
    await b1.request("chat.read", {"chat_id": chan["id"]})
    assert (await take(b2, "chat.read"))["data"]["user_id"] == bob.id
    await nothing_more(a, "chat.read")


async def test_parallel_sends_from_many_tabs_store_exactly_the_limit(server):
    limit = chat_config(server.app).rate_count
    alice, bob = await server.user("alice"), await server.user("bob")
    chat = await Rest(server, alice).post("/api/chats/create_private/", {"user_id": bob.id})
    tabs = [await server.connect(alice) for _ in range(6)]
    # Every frame goes out before any answer is read: the tabs' sends run side by side.
    for t, tab in enumerate(tabs):
        for i in range(5):
            frame = {"chat_id": chat["id"], "text": f"{t}.{i}"}
            await tab.send({"type": "chat.send", "id": f"s{t}.{i}", "data": frame})
    answers = [await tab.expect(re=f"s{t}.{i}") for t, tab in enumerate(tabs) for i in range(5)]
    accepted = [a for a in answers if a["type"] == "chat.send"]
    refused = [a["error"]["code"] for a in answers if a["type"] == "error"]
    assert len(accepted) == limit and refused == ["rate_limited"] * (30 - limit)
    assert await Message.filter(sender_id=alice.id).count() == limit


async def test_members_changes_take_effect_on_the_next_message(server):
    """Each node keeps a chat's members for sending; every change reaches the next message."""
    alice, bob, carol, dave = [await server.user(n) for n in ("alice", "bob", "carol", "dave")]
    a, b, c, d = [await server.connect(u) for u in (alice, bob, carol, dave)]
    rest = Rest(server, alice)
    group = await rest.post(
        "/api/chats/create_group/", {"title": "g", "user_ids": [bob.id, carol.id]}
    )
    chat_id = group["id"]

    first = await a.request("chat.send", {"chat_id": chat_id, "text": "one"})  # members kept
    for tab in (b, c):
        assert (await take(tab, "chat.message"))["data"]["id"] == first["data"]["id"]

    # removed: carol can no longer send nor receive
    response = await rest.http.delete(f"/api/chat/chats/{chat_id}/members/{carol.id}")
    assert response.status_code == 204
    refused = await c.request("chat.send", {"chat_id": chat_id, "text": "still here?"})
    assert refused["type"] == "error" and refused["error"]["code"] == "not_found"
    second = await a.request("chat.send", {"chat_id": chat_id, "text": "two"})
    assert (await take(b, "chat.message"))["data"]["id"] == second["data"]["id"]

    # added: dave receives the very next message and may send
    await rest.post(f"/api/chat/chats/{chat_id}/members", {"user_ids": [dave.id]})
    third = await b.request("chat.send", {"chat_id": chat_id, "text": "three"})
    for tab in (b, d):
        assert (await take(tab, "chat.message"))["data"]["id"] == third["data"]["id"]
    from_dave = await d.request("chat.send", {"chat_id": chat_id, "text": "hi"})
    assert from_dave["type"] == "chat.send", from_dave
    for tab in (b, d):
        assert (await take(tab, "chat.message"))["data"]["id"] == from_dave["data"]["id"]

    # left: bob can no longer send nor receive
    left = await Rest(server, bob).http.post(f"/api/chat/chats/{chat_id}/leave")
    assert left.status_code in (200, 204), left.text
    refused = await b.request("chat.send", {"chat_id": chat_id, "text": "back?"})
    assert refused["type"] == "error" and refused["error"]["code"] == "not_found"
    fourth = await a.request("chat.send", {"chat_id": chat_id, "text": "four"})
    assert (await take(d, "chat.message"))["data"]["id"] == fourth["data"]["id"]
    # what carol and bob got after they were out: nothing
    await nothing_more(c, "chat.message")
    await nothing_more(b, "chat.message")


async def test_a_channel_joiner_receives_the_next_message(server):
    alice, bob = await server.user("alice"), await server.user("bob")
    a, b = await server.connect(alice), await server.connect(bob)
    channel = await Rest(server, alice).post("/api/chat/channels/", {"name": "lobby"})
    await a.request("chat.send", {"chat_id": channel["id"], "text": "before"})  # members kept
    await Rest(server, bob).post("/api/chat/channels/join", {"name": "lobby"})
    sent = await a.request("chat.send", {"chat_id": channel["id"], "text": "after"})
    assert (await take(b, "chat.message"))["data"]["id"] == sent["data"]["id"]
