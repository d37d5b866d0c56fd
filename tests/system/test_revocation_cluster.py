"""Logging out on one node ends the session on the other at once (issue 16, point 3).

Two `transcendence serve` nodes sharing PostgreSQL and Redis: a session logged out through
node A has its socket on node B closed (4401 `signed_out`), and node B refuses its access
token over REST and for new sockets, with no database read per request (node B learns the
ended session over the bus).
"""

from __future__ import annotations

import os

import httpx
import pytest
from websockets.asyncio.client import connect

from realtime_kit import Client
from servers import running_nodes

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(
        not (os.environ.get("TEST_DATABASE_URL") and os.environ.get("TEST_REDIS_URL")),
        reason="two nodes need shared PostgreSQL and Redis: set TEST_DATABASE_URL and "
        "TEST_REDIS_URL",
    ),
]

PASSWORD = "correct horse battery"


@pytest.fixture
def nodes(cluster_env, tmp_path):
    with running_nodes(cluster_env, tmp_path) as started:
        yield started


async def socket(node, token: str) -> Client:
    ws = await connect(f"ws://127.0.0.1:{node.port}/ws", ping_interval=None, open_timeout=10)
    client = Client(ws)
    await client.send({"type": "auth", "id": "a", "data": {"token": token}})
    return client


async def test_logout_on_one_node_ends_the_session_on_the_other(nodes):
    a, b = nodes
    async with httpx.AsyncClient(base_url=a.url, timeout=10) as on_a:
        signup = {"username": "alice", "email": "alice@example.test", "password": PASSWORD}
        assert (await on_a.post("/api/auth/signup", json=signup)).status_code == 201
        logged = await on_a.post(
            "/api/auth/login", json={"username": "alice", "password": PASSWORD}
        )
        access = logged.json()["access"]
        headers = {"Authorization": f"Bearer {access}"}

        on_b = await socket(b, access)
        assert (await on_b.expect(re="a", timeout=10))["type"] == "auth"
        assert httpx.get(b.url + "/api/me/", headers=headers, timeout=10).status_code == 200

        assert (await on_a.post("/api/auth/logout")).status_code == 204

    code, reason = await on_b.closed(timeout=10)
    assert code == 4401 and reason.startswith("signed_out")
    me = httpx.get(b.url + "/api/me/", headers=headers, timeout=10)
    assert me.status_code == 401 and me.json()["error"]["code"] == "token_revoked"
    late = await socket(b, access)
    code, reason = await late.closed(timeout=10)
    assert code == 4401 and reason.startswith("token_revoked")
