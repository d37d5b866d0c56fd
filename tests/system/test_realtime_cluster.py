"""Two `transcendence serve` nodes sharing PostgreSQL and Redis behave as one realtime hub.

A user on node A hears from a user on node B; presence is the same on both; a node that
dies (SIGKILL, no goodbye) has its users marked offline by the survivor within the
presence TTL (shortened here through TRANSCENDENCE_PRESENCE_TTL).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time

import pytest
from websockets.asyncio.client import connect

from realtime_kit import RT_MODULES, Client
from servers import ROOT, running_nodes
from transcendence.accounts import tokens

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(
        not (os.environ.get("TEST_DATABASE_URL") and os.environ.get("TEST_REDIS_URL")),
        reason="a realtime cluster needs shared PostgreSQL and Redis: "
        "set TEST_DATABASE_URL and TEST_REDIS_URL",
    ),
]

PRESENCE_TTL = 2.0
# Users created straight in the shared database, the way the nodes will read them.
MAKE_USERS = """
import asyncio, json
from transcendence import db
from transcendence.accounts import service
from transcendence.accounts.models import Friendship
from transcendence.plugins import load_modules
from transcendence.settings import Settings

async def main():
    settings = Settings()
    await db.init_db(settings, load_modules(settings.modules, settings.extra_modules))
    try:
        alice = await service.create_user("alice", "alice@example.test", None)
        bob = await service.create_user("bob", "bob@example.test", None)
        await Friendship.create(requester=alice, addressee=bob, status="accepted")
        print(json.dumps({"alice": alice.id, "bob": bob.id}))
    finally:
        await db.close_db()

asyncio.run(main())
"""


@pytest.fixture
def env(cluster_env):
    env = dict(cluster_env)
    modules = env["TRANSCENDENCE_EXTRA_MODULES"].split(",")
    env["TRANSCENDENCE_EXTRA_MODULES"] = ",".join([*modules, *RT_MODULES])
    env["TRANSCENDENCE_PRESENCE_TTL"] = str(PRESENCE_TTL)
    return env


@pytest.fixture
def nodes(env, tmp_path):
    with running_nodes(env, tmp_path) as started:
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


async def statuses(client: Client, *user_ids: int) -> dict[int, str]:
    answer = await client.request("presence.query", {"user_ids": list(user_ids)})
    return {int(k): v["status"] for k, v in answer["data"]["presence"].items()}


async def test_two_nodes_deliver_and_agree_on_presence(nodes, env):
    a, b = nodes
    ids = make_users(env)
    secret = env["TRANSCENDENCE_SECRET_KEY"]
    token = {name: tokens.issue_access(secret, uid, 0, name) for name, uid in ids.items()}
    alice_id, bob_id = ids["alice"], ids["bob"]

    bob = await join(b, token["bob"])
    alice = await join(a, token["alice"])
    # Node A announces alice to her friend, whose socket is on node B.
    online = await bob.expect("presence.changed", timeout=10)
    assert online["data"]["user_id"] == alice_id and online["data"]["status"] == "online"

    # Across nodes both ways, through the delivery API.
    await bob.request("rtsample.poke", {"to": alice_id, "text": "from b"})
    assert (await alice.expect("rtsample.poked", timeout=10))["data"] == {
        "from_user": bob_id,
        "text": "from b",
    }
    await alice.request("rtsample.poke", {"to": bob_id, "text": "from a"})
    assert (await bob.expect("rtsample.poked", timeout=10))["data"]["text"] == "from a"

    # Both nodes give the same answer; a second tab on B then leaving changes nothing.
    assert await statuses(bob, alice_id, bob_id) == {alice_id: "online", bob_id: "online"}
    assert await statuses(alice, alice_id, bob_id) == {alice_id: "online", bob_id: "online"}
    extra = await join(b, token["alice"])
    await extra.close()
    assert (await statuses(bob, alice_id))[alice_id] == "online"

    # Node A dies without a word: node B reaps it and tells bob.
    a.process.kill()
    a.process.wait(timeout=10)
    killed = time.monotonic()
    offline = await bob.expect("presence.changed", timeout=30)
    elapsed = time.monotonic() - killed
    assert offline["data"] == {
        "user_id": alice_id,
        "status": "offline",
        "last_seen": offline["data"]["last_seen"],
    }
    assert elapsed < 30, elapsed  # the design's promise; about TTL + TTL/3 in practice
    assert (await statuses(bob, alice_id))[alice_id] == "offline"
    with pytest.raises(Exception):  # noqa: B017 - the socket on the dead node is gone
        async with asyncio.timeout(10):
            await alice.request("ping")
    await bob.close()
