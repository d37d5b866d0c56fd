"""Delivery between nodes that share a bus: every tab of every recipient, on every node.

Two `Delivery` services stand for two nodes: on the in-process bus they share one bus
object, on Redis (`TEST_REDIS_URL`) each has its own `RedisBus`, its own connections and
reader, as two processes would. The sockets are stand-ins that record what is queued for
them, so what is checked is exactly what each tab would be sent.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from transcendence.bus import RESYNC, Bus, InProcessBus, Message, RedisBus
from transcendence.hub.config import HubConfig
from transcendence.hub.delivery import Delivery

TIMEOUT = 5.0


@dataclass
class Tab:
    """A socket as `Delivery` sees it; `got` is what it would send, in order."""

    user_id: int
    session_id: str = "s"
    topics: set[str] = field(default_factory=set)
    watching: dict[int, None] = field(default_factory=dict)
    got: list[dict[str, Any]] = field(default_factory=list)
    closed: str | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def enqueue(self, message: dict[str, Any]) -> bool:
        self.got.append(json.loads(message["text"]))
        self.arrived.set()
        return True

    def fail(self, code: str, message: str, *, close_code: int, flush: bool = True) -> None:
        self.closed = code
        self.arrived.set()

    async def frames(self, count: int) -> list[dict[str, Any]]:
        """The first `count` frames, once they have arrived."""
        async with asyncio.timeout(TIMEOUT):
            while len(self.got) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.got[:count]

    def __hash__(self) -> int:
        return id(self)


class Node:
    """What `Delivery` needs of a hub: a bus, a namespace, the configuration."""

    def __init__(self, bus: Bus, namespace: str) -> None:
        self.bus = bus
        self.namespace = namespace
        self.config = HubConfig()
        self.connections: dict[str, Any] = {}
        self.deliver = Delivery(self)  # type: ignore[arg-type]

    async def open(self, user_id: int, session_id: str = "s") -> Tab:
        tab = Tab(user_id, session_id)
        await self.deliver.attach(tab)  # type: ignore[arg-type]
        return tab


@pytest.fixture(params=["memory", "redis"])
async def nodes(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Node, Node]]:
    namespace = uuid.uuid4().hex[:10]  # the shared Redis may carry other runs' traffic
    if request.param == "memory":
        shared = InProcessBus()
        buses: list[Bus] = [shared]
        pair = (Node(shared, namespace), Node(shared, namespace))
    else:
        url = os.environ.get("TEST_REDIS_URL")
        if not url:
            pytest.skip("TEST_REDIS_URL is not set")
        buses = [RedisBus(url), RedisBus(url)]
        pair = (Node(buses[0], namespace), Node(buses[1], namespace))
    for bus in buses:
        await bus.start()
    yield pair
    for node in pair:
        await node.deliver.close()
    for bus in buses:
        await bus.close()


def notes(tab: Tab) -> list[Any]:
    return [f["data"] for f in tab.got if f["type"] == "note"]


async def test_to_users_reaches_each_tab_on_each_node_once(nodes):
    a, b = nodes
    alice_a, alice_b, alice_b2 = await a.open(1), await b.open(1), await b.open(1)
    bob_b, carol_a = await b.open(2), await a.open(3)
    dave_b = await b.open(4)  # not a recipient

    await a.deliver.to_users([1, 2, 3, 1], "note", {"n": 1})
    await b.deliver.to_users([2, 3], "note", {"n": 2})
    # A frame to dave sent after the others arrives after them: nothing else is in flight.
    await a.deliver.to_user(4, "note", {"n": 3})

    for tab in (alice_a, alice_b, alice_b2):
        assert await tab.frames(1) == [{"type": "note", "data": {"n": 1}}]
    for tab in (bob_b, carol_a):
        assert await tab.frames(2) == [
            {"type": "note", "data": {"n": 1}},
            {"type": "note", "data": {"n": 2}},
        ]
    assert await dave_b.frames(1) == [{"type": "note", "data": {"n": 3}}]
    # One copy per tab: a later frame to alice arrives second, not after a duplicate.
    await b.deliver.to_user(1, "note", {"n": 4})
    for tab in (alice_a, alice_b, alice_b2):
        assert [f["data"] for f in await tab.frames(2)] == [{"n": 1}, {"n": 4}]


async def test_frames_to_one_user_keep_their_order_whichever_way_they_go(nodes):
    a, b = nodes
    tabs = [await a.open(1), await b.open(1)]
    await b.open(2)
    # Alternating between the users topic and the user's own topic, as a chat message
    # (to its members) and a reply to its sender would.
    for n in range(40):
        if n % 2:
            await a.deliver.to_user(1, "note", {"n": n})
        else:
            await a.deliver.to_users([1, 2], "note", {"n": n})
    for tab in tabs:
        assert [f["data"]["n"] for f in await tab.frames(40)] == list(range(40))


async def test_a_user_who_connects_later_gets_what_follows(nodes):
    a, b = nodes
    early = await a.open(1)
    await a.deliver.to_users([1, 2], "note", {"n": 1})
    await early.frames(1)

    # Node B held nobody until now: its first socket must not miss the next message.
    late_b = await b.open(2)
    late_a = await a.open(2)
    await b.deliver.to_users([1, 2], "note", {"n": 2})
    assert [f["data"] for f in await late_b.frames(1)] == [{"n": 2}]
    assert [f["data"] for f in await late_a.frames(1)] == [{"n": 2}]
    assert [f["data"] for f in await early.frames(2)] == [{"n": 1}, {"n": 2}]


async def test_a_closed_tab_gets_nothing_and_its_node_keeps_the_others(nodes):
    a, b = nodes
    gone, stays = await b.open(1), await b.open(2)
    b.deliver.detach(gone)  # type: ignore[arg-type]
    await a.deliver.to_users([1, 2], "note", {"n": 1})
    assert [f["data"] for f in await stays.frames(1)] == [{"n": 1}]
    # Sent later on the same bus, so it arrives later: the closed tab had its chance.
    await a.deliver.to_user(2, "note", {"n": 2})
    await stays.frames(2)
    assert gone.got == []


async def test_kicks_reach_every_node_and_resync_reaches_each_tab_once(nodes):
    a, b = nodes
    tabs = [await a.open(1, "s1"), await b.open(1, "s1"), await b.open(1, "s2")]
    other = await a.open(2)

    await a.deliver.disconnect_user(1, session_id="s1")
    for tab in tabs[:2]:
        async with asyncio.timeout(TIMEOUT):
            while tab.closed is None:
                tab.arrived.clear()
                await tab.arrived.wait()
        assert tab.closed == "signed_out"
    # The same message reached node B's other session and user 2: they stay.
    assert tabs[2].closed is None and other.closed is None

    # What the bus announces after an outage (see transcendence.bus): one resync per tab,
    # although a tab listens to its user's topic and to the users topic.
    b.bus._deliver_to_all(Message(RESYNC, b""))
    await b.deliver.to_users([1, 2], "note", {"n": 1})
    # Behind the resync in the users topic's own queue: once it is here, a second
    # resync from that topic would be too.
    await a.deliver.to_users([1, 2], "note", {"n": 2})
    frames = await tabs[2].frames(3)
    assert [f["type"] for f in frames].count("resync") == 1
    assert notes(tabs[2]) == [{"n": 1}, {"n": 2}]
