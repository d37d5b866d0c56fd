"""An online tournament across two `transcendence serve` nodes sharing PostgreSQL and Redis.

Alice follows it on node A, Bob on node B, Cy signs up and never comes. Bob is called live
on B for a game that runs on A, Cy loses by forfeit at the deadline, and the final between
Alice (A) and Bob (B) is played on real time to a winner that both nodes report.
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
        reason="a tournament cluster needs shared PostgreSQL and Redis: "
        "set TEST_DATABASE_URL and TEST_REDIS_URL",
    ),
]

QUICK = {"score_limit": 1, "paddle_height": 20}  # an idle paddle loses the first point
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
        ids = {}
        for name in ("alice", "bob", "cy"):
            user = await service.create_user(name, f"{name}@example.test", None)
            ids[name] = user.id
        print(json.dumps(ids))
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
    client.welcome = await client.request("auth", {"token": token}, timeout=10)
    assert client.welcome["type"] == "auth", client.welcome
    return client


async def take(client: Client, type_: str, timeout: float = 30) -> dict:
    for frame in client.seen:
        if frame["type"] == type_:
            client.seen.remove(frame)
            return frame
    return await client.expect(type_, timeout=timeout)


async def until_view(client: Client, predicate, timeout: float = 60) -> dict:
    while True:
        view = (await take(client, "tournament.updated", timeout))["data"]["tournament"]
        if predicate(view):
            return view


def status(view: dict, key: str) -> str | None:
    return next((m["status"] for m in view["matches"] if m["key"] == key), None)


def match(view: dict, key: str) -> dict:
    return next(m for m in view["matches"] if m["key"] == key)


async def test_one_player_on_each_node_a_no_show_and_a_final(nodes, cluster_env):
    a, b = nodes
    ids = make_users(cluster_env)
    secret = cluster_env["TRANSCENDENCE_SECRET_KEY"]
    token = {name: tokens.issue_access(secret, uid, 0, name) for name, uid in ids.items()}

    def rest(node, name):
        return httpx.AsyncClient(
            base_url=f"{node.url}/api/tournament",
            headers={"Authorization": f"Bearer {token[name]}"},
            timeout=30,
        )

    alice = await join(a, token["alice"])
    bob = await join(b, token["bob"])
    async with rest(a, "alice") as ha, rest(b, "bob") as hb, rest(a, "cy") as hc:
        created = await ha.post(
            "/online",
            json={"name": "Two nodes", "size": 3, "options": QUICK, "no_show_seconds": 4},
        )
        assert created.status_code == 201, created.text
        tid = created.json()["id"]
        for tab in (alice, bob):
            watched = await tab.request("tournament.watch", {"id": tid}, timeout=10)
            assert watched["type"] == "tournament.watch", watched
        assert (await hb.post(f"/{tid}/join", json={})).status_code == 200
        # the join on node B reaches the watcher on node A
        await until_view(alice, lambda v: len(v["players"]) == 2)
        full = await hc.post(f"/{tid}/join", json={})
        assert full.status_code == 200 and full.json()["status"] == "running"
        # node B reads the same bracket
        seen = (await hb.get(f"/{tid}")).json()
        assert seen["status"] == "running" and seen["me"]["alias"] == "bob"

    # Equal ratings keep the join order: alice 1 (a bye), bob 2 against cy 3.
    call = (await take(bob, "tournament.match_ready"))["data"]
    assert call["match_key"] == "r1m2" and call["opponent"] == "cy"
    opened = await bob.request("pong.join", {"game_id": call["match_id"]}, timeout=10)
    assert opened["data"]["side"] == "left", opened
    after = await until_view(alice, lambda v: status(v, "r1m2") == "done")
    assert match(after, "r1m2")["forfeit"] is True and match(after, "r1m2")["winner"] == "left"

    final = match(after, "r2m1")
    assert (final["left"]["alias"], final["right"]["alias"]) == ("alice", "bob")
    for tab in (alice, bob):
        ready = (await take(tab, "tournament.match_ready"))["data"]
        assert ready["match_key"] == "r2m1" and ready["match_id"] == final["match_id"]
        await tab.request("pong.join", {"game_id": final["match_id"]}, timeout=10)
    done_a = await until_view(alice, lambda v: v["status"] == "finished", timeout=90)
    done_b = await until_view(bob, lambda v: v["status"] == "finished", timeout=30)
    assert done_a["winner"] == done_b["winner"] and done_a["winner"] in ("alice", "bob")
    assert [s["alias"] for s in done_a["standings"]][2] == "cy"
    assert match(done_b, "r2m1")["forfeit"] is False
    for tab in (alice, bob):
        await tab.close()
