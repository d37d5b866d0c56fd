"""Chat across two `transcendence serve` nodes sharing PostgreSQL and Redis.

A message sent on node A reaches a socket on node B live, and the read receipt sent on
node B comes back to node A; REST calls on either node see the same conversation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest
from websockets.asyncio.client import connect

from realtime_kit import Client
from servers import ROOT, running_nodes
from transcendence.accounts import tokens

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(
        not (os.environ.get("TEST_DATABASE_URL") and os.environ.get("TEST_REDIS_URL")),
        reason="a chat cluster needs shared PostgreSQL and Redis: "
        "set TEST_DATABASE_URL and TEST_REDIS_URL",
    ),
]

MAKE_USERS = """
import asyncio, json
from transcendence import db
from transcendence.accounts import service
from transcendence.plugins import load_modules
from transcendence.settings import Settings

async def main():
    settings = Settings()
    await db.init_db(settings, load_modules(settings.modules, settings.extra_modules))
    try:
        alice = await service.create_user("alice", "alice@example.test", None)
        bob = await service.create_user("bob", "bob@example.test", None)
        print(json.dumps({"alice": alice.id, "bob": bob.id}))
    finally:
        await db.close_db()

asyncio.run(main())
"""


@pytest.fixture
def nodes(cluster_env, tmp_path):
    with running_nodes(cluster_env, tmp_path) as started:
        yield started


def make_users(env) -> dict[str, int]:
    result = subprocess.run(
        [sys.executable, "-c", MAKE_USERS],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


async def join(node, token: str) -> Client:
    ws = await connect(f"ws://127.0.0.1:{node.port}/ws", ping_interval=None, open_timeout=10)
    client = Client(ws)
    client.welcome = await client.request("auth", {"token": token})
    assert client.welcome["type"] == "auth", client.welcome
    return client


async def take(client: Client, type_: str) -> dict:
    for frame in client.seen:
        if frame["type"] == type_:
            client.seen.remove(frame)
            return frame
    return await client.expect(type_, timeout=10)


async def test_a_message_on_node_a_reaches_node_b_and_the_receipt_comes_back(nodes, cluster_env):
    a, b = nodes
    ids = make_users(cluster_env)
    secret = cluster_env["TRANSCENDENCE_SECRET_KEY"]
    token = {name: tokens.issue_access(secret, uid, 0, name) for name, uid in ids.items()}

    async with (
        httpx.AsyncClient(
            base_url=a.url, headers={"Authorization": f"Bearer {token['alice']}"}, timeout=10
        ) as alice_http,
        httpx.AsyncClient(
            base_url=b.url, headers={"Authorization": f"Bearer {token['bob']}"}, timeout=10
        ) as bob_http,
    ):
        created = await alice_http.post("/api/chats/create_private/", json={"user_id": ids["bob"]})
        assert created.status_code == 201, created.text
        chat_id = created.json()["id"]
        # node B sees the conversation node A created
        same = await bob_http.post("/api/chats/create_private/", json={"user_id": ids["alice"]})
        assert same.status_code == 200 and same.json()["id"] == chat_id

        bob = await join(b, token["bob"])
        alice = await join(a, token["alice"])

        # over the socket on A, live to the socket on B
        sent = await alice.request(
            "chat.send", {"chat_id": chat_id, "text": "from node a", "client_id": "a-1"}
        )
        assert sent["type"] == "chat.send", sent
        pushed = await take(bob, "chat.message")
        assert pushed["data"] == sent["data"]
        # every tab of the sender hears it too (the client matches it by id or client_id)
        assert (await take(alice, "chat.message"))["data"]["id"] == sent["data"]["id"]

        # the read receipt, sent on B, comes back to A
        read = await bob.request("chat.read", {"chat_id": chat_id})
        assert read["data"]["last_read_id"] == sent["data"]["id"]
        receipt = await take(alice, "chat.read")
        assert receipt["data"] == {
            "chat_id": chat_id,
            "user_id": ids["bob"],
            "last_read_id": sent["data"]["id"],
        }

        # and over REST on B, live to the socket on A
        reply = await bob_http.post("/api/messages/", json={"chat": chat_id, "text": "from b"})
        assert reply.status_code == 201
        assert (await take(alice, "chat.message"))["data"] == reply.json()
        listed = (await alice_http.get("/api/chats/")).json()["items"]
        assert listed[0]["id"] == chat_id and listed[0]["unread_count"] == 1

        await alice.close()
        await bob.close()


async def test_a_member_removed_on_node_a_can_no_longer_send_on_node_b(nodes, cluster_env):
    """Each node keeps a chat's members for sending; a change on one node reaches the others
    over the bus before their next message."""
    a, b = nodes
    ids = make_users(cluster_env)
    secret = cluster_env["TRANSCENDENCE_SECRET_KEY"]
    token = {name: tokens.issue_access(secret, uid, 0, name) for name, uid in ids.items()}
    async with httpx.AsyncClient(
        base_url=a.url, headers={"Authorization": f"Bearer {token['alice']}"}, timeout=10
    ) as alice_http:
        created = await alice_http.post(
            "/api/chats/create_group/", json={"title": "g", "user_ids": [ids["bob"]]}
        )
        assert created.status_code == 201, created.text
        chat_id = created.json()["id"]
        bob = await join(b, token["bob"])
        sent = await bob.request("chat.send", {"chat_id": chat_id, "text": "kept on b"})
        assert sent["type"] == "chat.send", sent  # node B now keeps the members

        removed = await alice_http.delete(f"/api/chat/chats/{chat_id}/members/{ids['bob']}")
        assert removed.status_code == 204
        # announced after the change of members, on the same bus
        assert (await take(bob, "chat.members"))["data"]["action"] == "removed"
        refused = await bob.request("chat.send", {"chat_id": chat_id, "text": "still here?"})
        assert refused["type"] == "error" and refused["error"]["code"] == "not_found", refused
        await bob.close()
