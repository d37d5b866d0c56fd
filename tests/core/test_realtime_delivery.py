"""Delivery, topics, presence, notifications and the protocol schema, over real sockets.

With `TEST_REDIS_URL` set these run on the Redis bus and the Redis presence store.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from realtime_kit import RT_MODULES, realtime_server
from transcendence.accounts.models import Block, Friendship, User
from transcendence.accounts.presence import presence_of
from transcendence.bus import RESYNC, Message
from transcendence.hub import Encoded, notify


@pytest.fixture
def settings(settings):
    settings.extra_modules = [*settings.extra_modules, *RT_MODULES]
    return settings


@pytest.fixture
async def server(settings):
    async with realtime_server(settings) as server:
        yield server


async def befriend(a, b) -> None:
    await Friendship.create(requester_id=a.id, addressee_id=b.id, status="accepted")


async def quiet(client) -> None:
    """Everything sent to this socket so far has arrived (a round trip flushes its queue)."""
    await client.request("ping")


# --- delivery -----------------------------------------------------------------------------


async def test_a_user_gets_it_on_every_tab(server):
    alice, bob = await server.user("alice"), await server.user("bob")
    tabs = [await server.connect(alice), await server.connect(alice)]
    sender = await server.connect(bob)
    answer = await sender.request("rtsample.poke", {"to": alice.id, "text": "hi"})
    assert answer["data"] == {"sent": True}
    for tab in tabs:
        poked = await tab.expect("rtsample.poked")
        assert poked == {"type": "rtsample.poked", "data": {"from_user": bob.id, "text": "hi"}}
    # The sender has no socket of alice's: nothing for it.
    await quiet(sender)
    assert not [f for f in sender.seen if f["type"] == "rtsample.poked"]
    for client in (*tabs, sender):
        await client.close()


async def test_to_users_encodes_once_and_reaches_each(server):
    alice, bob, carol = [await server.user(n) for n in ("alice", "bob", "carol")]
    clients = {u.id: await server.connect(u) for u in (alice, bob, carol)}
    await server.hub.deliver.to_users([alice.id, bob.id, alice.id], "rtsample.note", {"n": 1})
    for uid in (alice.id, bob.id):
        assert (await clients[uid].expect("rtsample.note"))["data"] == {"n": 1}
    await quiet(clients[carol.id])
    await quiet(clients[alice.id])
    assert not [f for c in clients.values() for f in c.seen if f["type"] == "rtsample.note"]
    for client in clients.values():
        await client.close()


async def test_data_encoded_by_its_sender_arrives_as_the_same_frame(server):
    """`Encoded(json_text)`: a module's hot path encodes its own data; the followers get
    the frame they would get from the data itself."""
    alice = await server.user("alice")
    a = await server.connect(alice)
    await a.request("rtsample.join", {"topic": "room.9"})
    data = {"tick": 3, "ball": {"x": 1.5, "y": -2.25}, "name": "Zoë", "none": None}
    await server.hub.deliver.to_topic("room.9", "rtsample.said", Encoded(json.dumps(data)))
    await server.hub.deliver.to_topic("room.9", "rtsample.said", data)
    assert (await a.expect("rtsample.said"))["data"] == data
    assert (await a.expect("rtsample.said"))["data"] == data


async def test_topics_reach_their_followers_only(server):
    alice, bob, carol = [await server.user(n) for n in ("alice", "bob", "carol")]
    a, b, c = [await server.connect(u) for u in (alice, bob, carol)]
    for client, topic in ((a, "room.1"), (b, "room.1"), (c, "room.2")):
        assert (await client.request("rtsample.join", {"topic": topic}))["data"] == {
            "joined": topic
        }
    assert server.hub.deliver.followers("room.1") == 2

    await a.send({"type": "rtsample.say", "data": {"topic": "room.1", "text": "hello"}})
    for client in (a, b):
        said = await client.expect("rtsample.said")
        assert said["data"] == {"from_user": alice.id, "text": "hello"}
    await quiet(c)
    assert not c.seen

    await b.request("rtsample.leave", {"topic": "room.1"})
    await a.send({"type": "rtsample.say", "data": {"topic": "room.1", "text": "again"}})
    assert (await a.expect("rtsample.said"))["data"]["text"] == "again"
    await quiet(b)
    assert not [f for f in b.seen if f["type"] == "rtsample.said"]

    (conn,) = server.hub.sockets_of(alice.id)
    await a.close()
    async with asyncio.timeout(5):
        await conn.wait_gone()
    assert server.hub.deliver.followers("room.1") == 0
    await b.close()
    await c.close()


async def test_a_bus_resync_reaches_every_socket(server):
    # What the bus does after reconnecting to Redis (tests/core/test_bus.py covers that).
    client = await server.connect(await server.user("alice"))
    server.hub.bus._deliver_to_all(Message(RESYNC, b""))
    assert await client.expect("resync") == {"type": "resync", "data": None}
    await client.close()


async def test_disconnect_user_closes_every_tab(server):
    alice, bob = await server.user("alice"), await server.user("bob")
    tabs = [await server.connect(alice), await server.connect(alice)]
    other = await server.connect(bob)
    await server.hub.deliver.disconnect_user(alice.id, "account deleted")
    for tab in tabs:
        error = await tab.expect("error")
        assert error["error"] == {
            "code": "signed_out",
            "message": "account deleted",
            "details": None,
        }
        code, reason = await tab.closed()
        assert (code, reason) == (4401, "signed_out: account deleted")
    assert (await other.request("ping"))["type"] == "pong"
    await other.close()


# --- presence -----------------------------------------------------------------------------


async def test_presence_across_tabs(server):
    alice, bob, carol = [await server.user(n) for n in ("alice", "bob", "carol")]
    await befriend(alice, bob)
    watcher = await server.connect(bob)
    stranger = await server.connect(carol)

    first = await server.connect(alice)
    changed = await watcher.expect("presence.changed")
    assert changed["data"]["user_id"] == alice.id
    assert changed["data"]["status"] == "online"
    async with server.app.app_context():  # presence_of reads the current app's hub
        assert (await presence_of([alice.id]))[alice.id]["status"] == "online"

    second = await server.connect(alice)
    await first.close()
    answer = await watcher.request("presence.query", {"user_ids": [alice.id, carol.id, 999]})
    assert {k: v["status"] for k, v in answer["data"]["presence"].items()} == {
        str(alice.id): "online",
        str(carol.id): "online",
        "999": "offline",
    }

    # Playing: in game, on every node; then back online.
    await second.request("rtsample.game", {"playing": True})
    assert (await watcher.expect("presence.changed"))["data"]["status"] == "in_game"
    await second.request("rtsample.game", {"playing": False})
    assert (await watcher.expect("presence.changed"))["data"]["status"] == "online"

    await second.close()
    # The next change bob hears is alice going offline: one tab leaving said nothing.
    gone = await watcher.expect("presence.changed")
    assert gone["data"]["status"] == "offline"
    assert gone["data"]["last_seen"]
    async with server.app.app_context():
        found = (await presence_of([alice.id]))[alice.id]
    assert found["status"] == "offline"
    assert found["last_seen"] is not None
    assert (await User.get(id=alice.id)).last_seen_at is not None

    # Not a friend: carol heard none of it.
    await quiet(stranger)
    assert not [f for f in stranger.seen if f["type"] == "presence.changed"]
    await watcher.close()
    await stranger.close()


async def test_presence_query_hides_a_blocker_as_rest_does(server):
    alice, bob, carol = [await server.user(n) for n in ("alice", "bob", "carol")]
    await Block.create(blocker_id=alice.id, blocked_id=bob.id)
    tab = await server.connect(alice)
    asking = {"user_ids": [alice.id, bob.id, carol.id]}

    async def seen_by(who) -> tuple[dict, dict]:
        socket = await server.connect(who)
        answer = (await socket.request("presence.query", asking))["data"]["presence"]
        await socket.close()
        async with httpx.AsyncClient(base_url=server.http) as http:
            response = await http.get(
                f"/api/users/{alice.id}", headers={"Authorization": f"Bearer {who.access}"}
            )
        return answer[str(alice.id)], response.json()

    # Alice blocked bob: her socket is open, yet both answers say offline, no last-seen.
    on_socket, profile = await seen_by(bob)
    assert on_socket == {"status": "offline", "last_seen": None}
    assert (profile["status"], profile["last_seen"]) == ("offline", None)
    # Carol, who nobody blocks, sees her online both ways.
    on_socket, profile = await seen_by(carol)
    assert on_socket["status"] == profile["status"] == "online"
    # The blocker does not see the one she blocked either; herself she does.
    mine = (await tab.request("presence.query", asking))["data"]["presence"]
    assert mine[str(bob.id)] == {"status": "offline", "last_seen": None}
    assert mine[str(alice.id)]["status"] == "online"
    await tab.close()


def presences(socket) -> list[tuple[int, str, object]]:
    return [
        (f["data"]["user_id"], f["data"]["status"], f["data"]["last_seen"])
        for f in socket.seen
        if f["type"] == "presence.changed"
    ]


async def rest(server, who, method: str, path: str, **kwargs) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.http) as http:
        return await http.request(
            method, path, headers={"Authorization": f"Bearer {who.access}"}, **kwargs
        )


async def test_whoever_asked_about_someone_hears_them_live(server):
    alice, carol = await server.user("alice"), await server.user("carol")
    stranger = await server.connect(carol)
    # Not friends: carol's chat or profile page asked, so she hears every change after.
    answer = await stranger.request("presence.query", {"user_ids": [alice.id]})
    assert answer["data"]["presence"][str(alice.id)]["status"] == "offline"
    tab = await server.connect(alice)
    assert (await stranger.expect("presence.changed"))["data"]["status"] == "online"
    await tab.request("rtsample.game", {"playing": True})
    assert (await stranger.expect("presence.changed"))["data"]["status"] == "in_game"
    await tab.request("rtsample.game", {"playing": False})
    assert (await stranger.expect("presence.changed"))["data"]["status"] == "online"
    await tab.close()
    gone = await stranger.expect("presence.changed")
    assert (gone["data"]["user_id"], gone["data"]["status"]) == (alice.id, "offline")
    await stranger.close()


async def test_a_friend_who_asked_hears_each_change_once_and_after_unfriending(server):
    alice, bob = await server.user("alice"), await server.user("bob")
    await befriend(alice, bob)
    his_tab = await server.connect(bob)
    await his_tab.request("presence.query", {"user_ids": [alice.id]})
    tab = await server.connect(alice)
    await tab.request("rtsample.game", {"playing": True})
    await quiet(his_tab)
    # A friend who also asked: each change once (as a friend), not twice.
    heard = [f["data"]["status"] for f in his_tab.seen if f["type"] == "presence.changed"]
    assert heard[-2:] == ["online", "in_game"] and heard.count("online") == 1
    # No longer friends: what he asked about still reaches him.
    assert (await rest(server, bob, "DELETE", f"/api/friends/{alice.id}")).status_code == 204
    await tab.request("rtsample.game", {"playing": False})
    assert (await his_tab.expect("presence.changed"))["data"]["status"] == "online"
    for socket in (tab, his_tab):
        await socket.close()


async def test_i_am_online_to_myself_before_my_socket_is(server):
    alice = await server.user("alice")
    # A page reloads: its REST calls may reach the server before its socket's first frame.
    mine = (await rest(server, alice, "GET", "/api/me/")).json()
    profile = (await rest(server, alice, "GET", f"/api/users/{alice.id}")).json()
    assert mine["status"] == profile["status"] == "online"
    assert mine["online"] and profile["online"]


async def test_a_block_tells_both_at_once_and_ends_live_presence(server):
    alice, bob = await server.user("alice"), await server.user("bob")
    await befriend(alice, bob)
    her_tab, his_tab = await server.connect(alice), await server.connect(bob)
    # Bob's chat asked about alice, and they are friends: two ways he could hear her.
    await his_tab.request("presence.query", {"user_ids": [alice.id]})
    for socket in (her_tab, his_tab):
        await quiet(socket)
        socket.seen.clear()

    response = await rest(server, alice, "POST", "/api/blocks/", json={"user_id": bob.id})
    assert response.status_code == 201
    # Each of them reads the other as offline, with no last-seen, at once.
    said = await his_tab.expect("presence.changed")
    assert said["data"] == {"user_id": alice.id, "status": "offline", "last_seen": None}
    said = await her_tab.expect("presence.changed")
    assert said["data"] == {"user_id": bob.id, "status": "offline", "last_seen": None}
    # The same answer on REST and the socket.
    profile = (await rest(server, bob, "GET", f"/api/users/{alice.id}")).json()
    assert (profile["status"], profile["last_seen"]) == ("offline", None)

    # Alice starts a game, opens a second tab: bob hears none of it.
    await her_tab.request("rtsample.game", {"playing": True})
    second = await server.connect(alice)
    await her_tab.request("rtsample.game", {"playing": False})
    await quiet(his_tab)
    assert presences(his_tab) == []

    # Unblocked: bob sees her as she is again (no friendship: blocking ended it).
    response = await rest(server, alice, "DELETE", f"/api/blocks/{bob.id}")
    assert response.status_code == 204
    said = await his_tab.expect("presence.changed")
    assert (said["data"]["user_id"], said["data"]["status"]) == (alice.id, "online")
    friends = (await rest(server, bob, "GET", "/api/friends/")).json()
    assert friends["friends"] == []
    # What he asked about before the block reaches him again, without asking anew.
    await her_tab.request("rtsample.game", {"playing": True})
    assert (await his_tab.expect("presence.changed"))["data"]["status"] == "in_game"
    for socket in (her_tab, his_tab, second):
        await socket.close()


# --- notifications ------------------------------------------------------------------------


async def test_notify_is_stored_and_delivered_live(server):
    alice, bob = await server.user("alice"), await server.user("bob")
    tabs = [await server.connect(alice), await server.connect(alice)]
    row = await notify(alice.id, "friend.request", {"from": bob.id}, app=server.app)
    for tab in tabs:
        frame = await tab.expect("notify")
        assert frame["data"]["id"] == row.id
        assert frame["data"]["kind"] == "friend.request"
        assert frame["data"]["data"] == {"from": bob.id}
        assert frame["data"]["read_at"] is None

    http = server.app.test_client()
    mine = {"Authorization": f"Bearer {alice.access}"}
    listed = await (await http.get("/api/notifications/?unread=true", headers=mine)).get_json()
    assert [n["id"] for n in listed["items"]] == [row.id]
    assert listed["unread"] == 1 and listed["next"] is None

    # Someone else's notification does not exist for bob.
    theirs = {"Authorization": f"Bearer {bob.access}"}
    response = await http.post(f"/api/notifications/{row.id}/read", headers=theirs)
    assert response.status_code == 404
    assert (await http.get("/api/notifications/")).status_code == 401

    response = await http.post(f"/api/notifications/{row.id}/read", headers=mine)
    assert response.status_code == 200
    assert (await response.get_json())["read_at"] is not None
    for tab in tabs:
        assert (await tab.expect("notify.read"))["data"] == {"ids": [row.id]}
    listed = await (await http.get("/api/notifications/?unread=true", headers=mine)).get_json()
    assert listed == {"items": [], "next": None, "unread": 0}
    for tab in tabs:
        await tab.close()


async def test_notifications_page_and_read_over_the_socket(server):
    alice = await server.user("alice")
    rows = [await notify(alice.id, "note", {"i": i}) for i in range(5)]
    http = server.app.test_client()
    mine = {"Authorization": f"Bearer {alice.access}"}
    first = await (await http.get("/api/notifications/?limit=2", headers=mine)).get_json()
    assert [n["data"]["i"] for n in first["items"]] == [4, 3]
    assert first["unread"] == 5 and first["next"]
    rest = await (
        await http.get(f"/api/notifications/?limit=10&cursor={first['next']}", headers=mine)
    ).get_json()
    assert [n["data"]["i"] for n in rest["items"]] == [2, 1, 0]
    assert rest["next"] is None

    client = await server.connect(alice)
    answer = await client.request("notify.read", {"ids": [rows[0].id, rows[1].id, 10_000]})
    assert answer["data"] == {"ids": [rows[0].id, rows[1].id]}
    everything = await (await http.post("/api/notifications/read_all", headers=mine)).get_json()
    assert everything == {"ids": [r.id for r in rows[2:]]}
    await client.close()


# --- the protocol, published -------------------------------------------------------------


async def test_the_schema_lists_core_and_enabled_module_types(server):
    http = server.app.test_client()
    response = await http.get("/api/realtime/schema.json")  # public: no token
    assert response.status_code == 200
    schema = await response.get_json()
    assert set(schema["envelope"]["properties"]) == {"type", "id", "data"}
    assert schema["envelope"]["additionalProperties"] is False
    assert {"4401", "4408", "1013", "1008", "1009"} <= set(schema["close_codes"])
    types = schema["types"]
    for core in ("auth", "ping", "pong", "presence.query", "presence.changed", "notify"):
        assert types[core]["module"] == "core", core
    assert types["auth"]["data"]["required"] == ["token"]
    assert types["rtsample.add"]["data"]["required"] == ["a", "b"]
    assert types["rtsample.add"]["reply"]["properties"]["sum"]["type"] == "integer"
    assert types["rtsample.poked"]["direction"] == "server"
    assert types["sample.echo"]["data"]["type"] == "object"

    await server.app.extensions["transcendence"].registry.disable("sample", force=True)
    types = (await (await http.get("/api/realtime/schema.json")).get_json())["types"]
    assert "sample.echo" not in types and "rtsample.add" in types


async def test_a_bus_that_cannot_subscribe_refuses_instead_of_hanging(settings, monkeypatch):
    async with realtime_server(settings, ready_timeout=0.3) as server:
        alice = await server.user("alice")
        client = await server.connect(alice)
        # From now on no subscription is ever confirmed, as when Redis is unreachable.
        monkeypatch.setattr(server.hub.bus, "_is_ready", lambda sub: False)
        answer = await client.request("rtsample.join", {"topic": "room.9"})
        assert answer["error"]["code"] == "unavailable"
        assert server.hub.deliver.followers("room.9") == 0
        # A new user's feed cannot be confirmed either: closed, to retry later.
        late = await server.connect()
        await late.send({"type": "auth", "data": {"token": (await server.user("bob")).access}})
        code, reason = await late.closed()
        assert (code, reason.split(":")[0]) == (1013, "unavailable")
        await client.close()


async def test_metrics_count_sockets_and_frames(server):
    client = await server.connect(await server.user("alice"))
    await client.request("nothing.here")
    text = (await (await server.app.test_client().get("/metrics")).get_data()).decode()
    assert "transcendence_ws_connections 1.0" in text
    assert "transcendence_ws_frames_refused_total 1.0" in text
    await client.close()


async def test_logging_out_everywhere_closes_open_sockets(server):
    import httpx

    alice = await server.user("alice")
    tab = await server.connect(alice)
    async with httpx.AsyncClient(base_url=server.http) as http:
        response = await http.post(
            "/api/auth/logout-all", headers={"Authorization": f"Bearer {alice.access}"}
        )
    assert response.status_code == 204
    code, _reason = await tab.closed()
    assert code == 4401
