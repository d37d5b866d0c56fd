"""A remote game survives the loss of the node that runs it (docs/pong.md, "Several nodes").

Two `transcendence serve` nodes share PostgreSQL and Redis. Alice plays through node A, Bob
through node B, which runs the game (Bob accepted the invitation there). Mid-game node B
goes away: killed with SIGKILL (the lease expires and A takes the game over from its last
checkpoint), or stopped with SIGTERM (B hands the game over at once). Either way Alice sees
a pause with the score kept, Bob's tab reconnects to A, and the game is played to a
finished, recorded match.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from typing import Any

import asyncpg
import httpx
import pytest
import redis as redis_sync
from websockets.asyncio.client import connect

from realtime_kit import Client
from servers import start_node, wait_for

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(
        not (os.environ.get("TEST_DATABASE_URL") and os.environ.get("TEST_REDIS_URL")),
        reason="a failover needs shared PostgreSQL and Redis: "
        "set TEST_DATABASE_URL and TEST_REDIS_URL",
    ),
]

PASSWORD = "correct horse battery"
# Idle paddles this small miss most serves: points come by themselves, a few seconds apart,
# and a game to 4 lasts long enough to lose its node midway.
GAME = {"score_limit": 4, "paddle_height": 20}


def node_env(cluster_env: dict[str, str], lease_ttl: float) -> dict[str, str]:
    env = dict(cluster_env)
    env["TRANSCENDENCE_MODULES"] = "pong"
    env["TRANSCENDENCE_PONG_LEASE_TTL"] = str(lease_ttl)
    env["TRANSCENDENCE_WS_IDLE_TIMEOUT"] = "300"  # the test's sockets do not answer pings
    return env


@pytest.fixture
def start(tmp_path):
    started = []

    def start_one(env: dict[str, str], name: str):
        node = start_node(env, tmp_path, name=name, timeout=120)
        started.append(node)
        return node

    yield start_one
    for node in started:
        node.stop()


def signup(base: str, name: str) -> dict[str, Any]:
    body = {"username": name, "email": f"{name}@example.test", "password": PASSWORD}
    with httpx.Client(base_url=base, timeout=30) as http:
        created = http.post("/api/auth/signup", json=body)
        assert created.status_code == 201, created.text
        login = http.post("/api/auth/login", json=body)
        assert login.status_code == 200, login.text
        return login.json()


async def tab(node, token: str) -> Client:
    ws = await connect(f"ws://127.0.0.1:{node.port}/ws", ping_interval=None, open_timeout=30)
    client = Client(ws)
    client.welcome = await client.request("auth", {"token": token}, timeout=30)
    assert client.welcome["type"] == "auth", client.welcome
    return client


async def until_state(client: Client, predicate, timeout: float = 60) -> dict[str, Any]:
    """The first `pong.state` frame (already received, or to come) that satisfies it."""
    for frame in list(client.seen):
        if frame["type"] == "pong.state":
            client.seen.remove(frame)
            if predicate(frame["data"]):
                return frame["data"]
    async with asyncio.timeout(timeout):
        while True:
            frame = await client.expect("pong.state", timeout=timeout)
            if predicate(frame["data"]):
                return frame["data"]


def total(state: dict[str, Any]) -> int:
    return state["scores"]["left"] + state["scores"]["right"]


def checkpoint_in_redis(game_id: str) -> dict[str, Any] | None:
    client = redis_sync.Redis.from_url(os.environ["TEST_REDIS_URL"], decode_responses=True)
    try:
        keys = list(client.scan_iter(f"pong:*:ckpt:{game_id}"))
        return json.loads(client.get(keys[0]) or "null") if keys else None
    finally:
        client.close()


async def stored_match(database_url: str, game_id: str) -> asyncpg.Record:
    conn = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        return await conn.fetchrow(
            "SELECT status, winner, left_score, right_score, record::text AS record "
            "FROM pong_match WHERE id::text = $1",
            game_id,
        )
    finally:
        await conn.close()


async def recorded(database_url: str, game_id: str) -> asyncpg.Record:
    """The match row once it is finished (written right after the last frame)."""

    def finished() -> asyncpg.Record | None:
        row = asyncio.run(stored_match(database_url, game_id))
        return row if row is not None and row["status"] == "finished" else None

    return await asyncio.to_thread(wait_for, finished, timeout=30, what="the finished match")


async def start_game(a, b) -> tuple[Client, Client, str, dict[str, str]]:
    """Alice on A invites Bob, who accepts on B: the game runs on B. Both follow it."""
    alice_login = await asyncio.to_thread(signup, a.url, "alice")
    bob_login = await asyncio.to_thread(signup, a.url, "bob")
    tokens = {"alice": alice_login["access"], "bob": bob_login["access"]}
    alice, bob = await tab(a, tokens["alice"]), await tab(b, tokens["bob"])
    invited = await alice.request(
        "pong.invite", {"user_id": bob_login["user"]["id"], "options": GAME}, timeout=30
    )
    assert invited["type"] == "pong.invite", invited
    answered = await bob.request(
        "pong.answer", {"invite_id": invited["data"]["invite_id"], "accept": True}, timeout=30
    )
    assert answered["type"] == "pong.answer", answered
    game_id = answered["data"]["game_id"]
    for who in (alice, bob):
        joined = await who.request("pong.join", {"game_id": game_id}, timeout=30)
        assert joined["data"]["game_id"] == game_id, joined
    return alice, bob, game_id, tokens


async def play_on(a, alice: Client, game_id: str, token: str, kept: dict[str, int]) -> None:
    """After B is gone: Alice sees the game paused on A with the score kept; Bob's tab
    reconnects to A; the game resumes after a countdown and is played to its end."""
    paused = await until_state(alice, lambda s: s["paused"] is not None, timeout=90)
    assert paused["scores"] == kept
    bob = await tab(a, token)
    joined = await bob.request("pong.join", {"game_id": game_id}, timeout=30)
    assert joined["data"] == {
        "game_id": game_id,
        "side": "right",
        "mode": "remote",
        "keyboard": False,
    }, joined
    await until_state(alice, lambda s: s["countdown"] is not None)
    last = await until_state(alice, lambda s: s["phase"] == "finished", timeout=120)
    assert all(last["scores"][side] >= kept[side] for side in kept)
    assert max(last["scores"].values()) == GAME["score_limit"]
    await until_state(bob, lambda s: s["phase"] == "finished", timeout=30)
    await bob.close()


async def test_the_game_resumes_on_the_other_node_when_its_node_is_killed(cluster_env, start):
    env = node_env(cluster_env, lease_ttl=2)
    a, b = start(env, "a"), start(env, "b")
    alice, bob, game_id, tokens = await start_game(a, b)
    try:
        seen = await until_state(alice, lambda s: total(s) >= 1 and s["paused"] is None)
        # The point is in B's checkpoint (written at every point) before B dies.
        await asyncio.to_thread(
            wait_for,
            lambda: (ckpt := checkpoint_in_redis(game_id)) and ckpt["scores"] == seen["scores"],
            timeout=30,
            what="the point in the checkpoint",
        )
        b.process.kill()  # SIGKILL: no handover, no goodbye
        b.process.wait(timeout=30)
        kept = checkpoint_in_redis(game_id)
        assert kept is not None and total(kept) >= total(seen)
        await play_on(a, alice, game_id, tokens["bob"], kept["scores"])
    finally:
        await alice.close()
        await bob.close()  # its node is gone: a socket already closed

    # Recorded once, as finished, by A, with the rallies played on B.
    row = await recorded(env["DATABASE_URL"], game_id)
    assert max(row["left_score"], row["right_score"]) == GAME["score_limit"]
    record = json.loads(row["record"])
    assert len(record["rallies"]) >= row["left_score"] + row["right_score"]
    assert "taken over by node" in a.output()
    assert "its node stopped renewing the lease" in a.output()
    assert "Traceback" not in a.output(), a.output()[-4000:]


async def test_a_stopping_node_hands_its_game_over_at_once(cluster_env, start):
    # A lease far longer than the test: the game can only move by the handover.
    env = node_env(cluster_env, lease_ttl=300)
    a, b = start(env, "a"), start(env, "b")
    alice, bob, game_id, tokens = await start_game(a, b)
    try:
        seen = await until_state(alice, lambda s: total(s) >= 1 and s["paused"] is None)
        b.process.send_signal(signal.SIGTERM)
        code, reason = await bob.closed(timeout=60)  # B closes its sockets after the hooks
        assert code == 1001, (code, reason)
        assert b.process.wait(timeout=60) == 0
        kept = checkpoint_in_redis(game_id)
        assert kept is not None and total(kept) >= total(seen)
        await play_on(a, alice, game_id, tokens["bob"], kept["scores"])
    finally:
        await alice.close()
        await bob.close()  # its node is gone: a socket already closed

    row = await recorded(env["DATABASE_URL"], game_id)
    assert row["winner"] == ("left" if row["left_score"] > row["right_score"] else "right")
    assert "handed over to node" in b.output()
    assert "handed over by node" in a.output()
    for node in (a, b):
        assert "Traceback" not in node.output(), node.output()[-4000:]
