"""The ownership lease of a game (lease.py): one holder at a time, expiry, renewal, and the
checkpoint only its holder may write.

The Redis tests run against the real Redis of `TEST_REDIS_URL` (skipped without it), each in
a namespace of its own; the local ones always run.
"""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
import redis as redis_sync

from servers import wait_for
from transcendence_pong.lease import HELD, LOST, MISSING, LocalLeases, RedisLeases, lease_ttl


def _redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set")
    return url


@pytest.fixture
async def pair():
    """Two nodes' leases on the same Redis and namespace, and a plain client to look."""
    url = _redis_url()
    namespace = f"test-{uuid.uuid4().hex[:10]}"
    a, b = RedisLeases(url, namespace, ttl=5), RedisLeases(url, namespace, ttl=5)
    look = redis_sync.Redis.from_url(url, decode_responses=True)
    try:
        yield a, b, look
    finally:
        await a.close()
        await b.close()
        for key in look.scan_iter(f"pong:{namespace}:*"):
            look.delete(key)
        look.close()


def game() -> str:
    return str(uuid.uuid4())


async def test_two_nodes_cannot_both_hold_a_game(pair):
    a, b, _ = pair
    gid = game()
    assert await a.acquire(gid)
    assert not await b.acquire(gid)
    assert await a.holder(gid) == a.node_id
    # The other node can neither renew it nor write the game's checkpoint.
    assert await b.renew(gid, {"scores": {"left": 9}}) == LOST
    assert not await b.save(gid, {"scores": {"left": 9}})
    assert await a.save(gid, {"scores": {"left": 1}})
    loaded = await b.load(gid)
    assert loaded is not None and loaded[0] == {"scores": {"left": 1}}
    # Released, it can be taken by the other node, and only then.
    await a.release(gid, forget=False)
    assert await b.acquire(gid)
    assert not await a.acquire(gid)
    assert await a.renew(gid) == LOST


async def test_a_lease_that_is_not_renewed_expires_and_can_be_taken(pair):
    a, b, look = pair
    a.ttl = 0.3
    gid = game()
    assert await a.acquire(gid)
    assert await a.save(gid, {"tick": 120})
    assert await a.orphans() == []  # held: nobody else may take it
    key = f"{a.prefix}lease:{gid}"
    # Redis expires the key by itself: no renewal, no owner.
    await asyncio.to_thread(
        wait_for, lambda: not look.exists(key), timeout=10, what="the lease to expire"
    )
    assert await b.orphans() == [gid]
    assert await a.renew(gid) == MISSING  # the old owner learns it no longer holds it
    assert await b.acquire(gid)
    assert await b.orphans() == []
    loaded = await b.load(gid)
    assert loaded is not None
    checkpoint, age = loaded
    assert checkpoint == {"tick": 120} and 0 <= age < 60


async def test_renewal_extends_the_lease_and_stores_the_checkpoint(pair):
    a, b, look = pair
    gid = game()
    assert await a.acquire(gid)
    key = f"{a.prefix}lease:{gid}"
    look.pexpire(key, 200)  # as if most of the ttl had gone by
    assert await a.renew(gid, {"tick": 600}) == HELD
    assert look.pttl(key) > 1000  # back to about the full ttl (5 s)
    loaded = await b.load(gid)
    assert loaded is not None and loaded[0] == {"tick": 600}
    assert not await b.acquire(gid)


async def test_a_finished_game_is_forgotten(pair):
    a, b, _ = pair
    gid = game()
    assert await a.acquire(gid)
    assert await a.save(gid, {"tick": 1})
    await a.release(gid, forget=True)
    assert await b.load(gid) is None
    assert await b.orphans() == []  # nothing left to take over


async def test_local_leases_have_one_holder_and_no_orphans():
    leases = LocalLeases()
    gid = game()
    assert await leases.acquire(gid)
    assert not await leases.acquire(gid)
    assert await leases.renew(gid, {"tick": 5}) == HELD
    assert await leases.load(gid) == ({"tick": 5}, 0.0)
    assert await leases.orphans() == []
    await leases.release(gid, forget=True)
    assert await leases.renew(gid) == MISSING
    assert await leases.load(gid) is None
    assert not leases.shared


def test_the_lease_ttl_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("TRANSCENDENCE_PONG_LEASE_TTL", raising=False)
    assert lease_ttl() == 10.0
    monkeypatch.setenv("TRANSCENDENCE_PONG_LEASE_TTL", "2.5")
    assert lease_ttl() == 2.5
    monkeypatch.setenv("TRANSCENDENCE_PONG_LEASE_TTL", "soon")
    with pytest.raises(ValueError, match="seconds"):
        lease_ttl()
