"""A game changing node: takeover after a crash, handover on shutdown, and the game no node
can carry on, which is recorded as interrupted.

Two `Games` (two nodes) share one bus and one database in this process; with `TEST_REDIS_URL`
their leases and checkpoints are in that real Redis, each test in a namespace of its own.
Games run on a sped-up clock (20 game seconds per real second).
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from servers import wait_for
from transcendence.bus import InProcessBus
from transcendence_pong.clock import ScaledClock
from transcendence_pong.cluster import PROCESS_STARTED
from transcendence_pong.engine import Options
from transcendence_pong.games import Games
from transcendence_pong.lease import Leases, LocalLeases, RedisLeases
from transcendence_pong.models import Match

pytestmark = pytest.mark.modules("pong")
# Idle paddles this small miss most serves: points come by themselves, about one a second
# of game time, and a game to 7 lasts long enough to be interrupted midway.
GAME = Options(score_limit=7, paddle_height=20)


def needs_redis() -> str:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set")
    return url


class Node:
    """One node's games, and every frame it sent to players."""

    def __init__(self, name: str, bus: InProcessBus, leases: Leases):
        self.name = name
        self.frames: list[dict[str, Any]] = []
        self.finished: list[Match] = []
        self._changed = asyncio.Event()
        self.games = Games(bus, self._deliver, self._finished, leases=leases, namespace="t")
        self.games.clock = ScaledClock(20)
        self.games.grace = 60.0  # game seconds: 3 s of real time
        self.games.snapshot_rate = 10

    async def _deliver(self, topic: str, kind: str, state: Any) -> None:
        # What the hub would send: snapshots come encoded already (`Encoded`, a str).
        self.frames.append(json.loads(state) if isinstance(state, str) else state)
        self._changed.set()

    async def _finished(self, match: Match) -> None:
        self.finished.append(match)
        self._changed.set()

    async def frame(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 30):
        """The first frame (already sent, or to come) that satisfies `predicate`."""
        seen = 0
        async with asyncio.timeout(timeout):
            while True:
                for state in self.frames[seen:]:
                    if predicate(state):
                        return state
                seen = len(self.frames)
                self._changed.clear()
                await self._changed.wait()

    async def recorded(self, timeout: float = 30) -> Match:
        """The match this node recorded as finished (right after the last frame)."""
        async with asyncio.timeout(timeout):
            while not self.finished:
                self._changed.clear()
                await self._changed.wait()
        return self.finished[0]

    async def crash(self) -> None:
        """Gone as in `kill -9`: nothing renewed, released, recorded or handed over."""
        games = self.games
        games._closing = True
        for task in games._background:
            task.cancel()
        for room in list(games.rooms.values()):
            room.on_finish = None
            await room.stop()
        for follower in games._followers.values():
            follower.cancel()
        games.rooms.clear()


def total(state: dict[str, Any]) -> int:
    return state["scores"]["left"] + state["scores"]["right"]


@pytest.fixture
async def bus():
    bus = InProcessBus()
    await bus.start()
    yield bus
    await bus.close()


@pytest.fixture
async def cluster(app, bus):
    """Nodes A and B on Redis leases of a namespace of their own."""
    url = needs_redis()
    namespace = f"test-{uuid.uuid4().hex[:10]}"
    nodes = []

    async def node(name: str, ttl: float) -> Node:
        made = Node(name, bus, RedisLeases(url, namespace, ttl=ttl))
        await made.games.start()
        nodes.append(made)
        return made

    yield node
    for made in nodes:
        if not made.games._closing:
            made.games.handover_wait = 0.1
            await made.games.shutdown()
        else:
            await made.games.leases.close()


async def remote_game(node: Node, left_id: int, right_id: int) -> str:
    match = await node.games.create("remote", (left_id, "alice"), (right_id, "bob"), GAME)
    return str(match.id)


async def join(node: Node, game_id: str, user_id: int) -> str:
    """A player's socket on `node` follows the game (what `pong.join` does)."""
    conn = uuid.uuid4().hex[:16]
    await node.games.send(game_id, {"op": "joined", "user_id": user_id, "conn": conn})
    return conn


async def test_a_game_resumes_on_another_node_when_its_node_dies(cluster, make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    a = await cluster("a", ttl=0.6)
    b = await cluster("b", ttl=0.6)
    game_id = await remote_game(a, alice.user.id, bob.user.id)
    await join(a, game_id, alice.user.id)  # Alice plays through node A...
    await join(b, game_id, bob.user.id)  # ... Bob through node B; the game runs on A
    await a.frame(lambda s: total(s) >= 1 and s["paused"] is None)
    await a.crash()
    before = a.frames[-1]["scores"]
    assert max(before.values()) < GAME.score_limit

    # B finds the expired lease, resumes from the checkpoint, paused for the players.
    paused = await b.frame(lambda s: s["paused"] is not None)
    assert paused["scores"] == before
    assert paused["paused"]["side"] == "left"  # Bob answered B's roll call; Alice is away
    await join(b, game_id, alice.user.id)  # her tab reconnects to B
    await b.frame(lambda s: s["countdown"] is not None)
    last = await b.frame(lambda s: s["phase"] == "finished", timeout=60)
    assert all(last["scores"][side] >= before[side] for side in before)

    recorded = await b.recorded()
    match = await Match.get(id=game_id)
    assert recorded.id == match.id and match.status == "finished"
    assert {"left": match.left_score, "right": match.right_score} == last["scores"]
    assert len(match.record["rallies"]) >= total(last)  # the rallies before the crash too
    assert a.finished == []


async def test_a_stopping_node_hands_its_games_over_at_once(cluster, make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    # A long ttl: the game can only move by the handover, never by expiry.
    a = await cluster("a", ttl=60)
    b = await cluster("b", ttl=60)
    game_id = await remote_game(a, alice.user.id, bob.user.id)
    await join(a, game_id, alice.user.id)
    await join(b, game_id, bob.user.id)
    await a.frame(lambda s: total(s) >= 1 and s["paused"] is None)

    await a.games.shutdown()
    before = a.frames[-1]["scores"]
    # A returned once B held the lease (taken while A was stopping, long before any expiry).
    assert await b.games.leases.holder(game_id) == b.games.leases.node_id
    paused = await b.frame(lambda s: s["paused"] is not None)
    assert paused["scores"] == before
    await join(b, game_id, alice.user.id)
    last = await b.frame(lambda s: s["phase"] == "finished", timeout=60)
    await b.recorded()
    match = await Match.get(id=game_id)
    assert (match.status, match.winner) == ("finished", last["winner"])


async def test_a_game_no_node_takes_is_recorded_as_interrupted(cluster, make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    a = await cluster("a", ttl=60)  # the only node
    a.games.handover_wait = 0.3
    game_id = await remote_game(a, alice.user.id, bob.user.id)
    await join(a, game_id, alice.user.id)
    await join(a, game_id, bob.user.id)
    await a.frame(lambda s: total(s) >= 1 and s["paused"] is None)

    await a.games.shutdown()
    told = a.frames[-1]
    assert told["interrupted"] is True  # the players are told, not left waiting
    match = await Match.get(id=game_id)
    assert match.status == "interrupted" and match.winner is None
    assert {"left": match.left_score, "right": match.right_score} == told["scores"]
    assert match.record["interrupted"] is True and match.ended_at is not None
    assert a.finished == []  # not a result: no rating, no stats


async def test_a_checkpoint_found_too_late_is_recorded_interrupted(cluster, make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    a = await cluster("a", ttl=0.6)
    game_id = await remote_game(a, alice.user.id, bob.user.id)
    await join(a, game_id, alice.user.id)
    await join(a, game_id, bob.user.id)
    await a.frame(lambda s: total(s) >= 1 and s["paused"] is None)
    await a.crash()
    await a.games.leases.release(game_id, forget=False)  # as if it had expired
    # B comes up later than any player would have waited.
    b = Node("b", a.games.bus, RedisLeases(needs_redis(), a.games.leases.prefix.split(":")[1]))
    b.games.leases.ttl = 0.6
    b.games.orphan_after = 0.0
    try:
        assert await b.games.take_over(game_id, "test")
        match = await Match.get(id=game_id)
        assert match.status == "interrupted"
        assert game_id not in b.games.rooms
    finally:
        await b.games.leases.close()


async def test_one_node_records_its_running_games_as_interrupted_on_shutdown(app, bus, make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    node = Node("solo", bus, LocalLeases())
    await node.games.start()
    game_id = await remote_game(node, alice.user.id, bob.user.id)
    await join(node, game_id, alice.user.id)
    await join(node, game_id, bob.user.id)
    await node.frame(lambda s: total(s) >= 1 and s["paused"] is None)

    await node.games.shutdown()  # no other node could take it: nothing to wait for
    match = await Match.get(id=game_id)
    assert match.status == "interrupted"
    assert total(node.frames[-1]) == match.left_score + match.right_score >= 1
    assert node.frames[-1]["interrupted"] is True


async def test_a_node_that_lost_its_lease_stops_its_copy_without_recording(cluster, make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    a = await cluster("a", ttl=0.6)
    game_id = await remote_game(a, alice.user.id, bob.user.id)
    await join(a, game_id, alice.user.id)
    await join(a, game_id, bob.user.id)
    await a.frame(lambda s: total(s) >= 1)
    # Another node took the game while A stalled past its ttl (simulated: the key changes
    # hands behind A's back).
    other = RedisLeases(needs_redis(), a.games.leases.prefix.split(":")[1], ttl=60)
    try:
        await a.games.leases.release(game_id, forget=False)
        assert await other.acquire(game_id)
        # The next renewal (every ttl / 3) finds the lease lost.
        await asyncio.to_thread(
            wait_for, lambda: game_id not in a.games.rooms, timeout=30, what="A to stop"
        )
        match = await Match.get(id=game_id)
        assert match.status == "running" and a.finished == []
    finally:
        await other.release(game_id, forget=True)
        await other.close()


async def left_behind(user_ids: tuple[int, int], age: timedelta | None) -> str:
    """A match row still "running" that no room here runs, started `age` before this
    process (None: just now)."""
    match = await Match.create(
        id=uuid.uuid4(),
        mode="remote",
        left_user_id=user_ids[0],
        right_user_id=user_ids[1],
        left_name="alice",
        right_name="bob",
        options=GAME.as_dict(),
    )
    if age is not None:
        await Match.filter(id=match.id).update(started_at=PROCESS_STARTED - age)
    return str(match.id)


async def test_a_single_node_records_what_its_killed_predecessor_left_running(app, bus, make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    users = (alice.user.id, bob.user.id)
    old = await left_behind(users, timedelta(seconds=1))
    node = Node("solo", bus, LocalLeases())
    interrupted: list[str] = []

    async def on_interrupted(game_id: str) -> None:
        interrupted.append(game_id)

    node.games.on_interrupted = on_interrupted
    await node.games.start()  # a fresh process: nothing else could be running `old`
    try:
        assert interrupted == [old]
        match = await Match.get(id=old)
        assert (match.status, match.winner, match.record["interrupted"]) == (
            "interrupted",
            None,
            True,
        )
        assert match.ended_at is not None
        # A game of this process is never taken for a leftover.
        mine = await remote_game(node, *users)
        assert await node.games.close_abandoned() == []
        assert (await Match.get(id=mine)).status == "running"
    finally:
        node.games.handover_wait = 0.1
        await node.games.shutdown()
    assert interrupted == [old]  # stopping records `mine` but leaves the catch-up to a start


async def test_shared_leases_record_only_the_old_games_no_node_holds(cluster, make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    users = (alice.user.id, bob.user.id)
    held = await left_behind(users, timedelta(minutes=5))
    lost = await left_behind(users, timedelta(minutes=5))
    young = await left_behind(users, None)  # no lease yet, but only just started
    a = await cluster("a", ttl=60)
    # Another node runs `held` (its lease is live in Redis).
    other = RedisLeases(needs_redis(), a.games.leases.prefix.split(":")[1], ttl=60)
    try:
        await Match.filter(id__in=[held, lost]).update(status="running")  # as before A began
        assert await other.acquire(held)
        assert await a.games.close_abandoned() == [lost]  # what A's start does
        statuses = {str(m.id): m.status for m in await Match.filter(id__in=[held, lost, young])}
        assert statuses == {held: "running", lost: "interrupted", young: "running"}
    finally:
        await other.release(held, forget=True)
        await other.close()
