"""What a node tells about its games: tick and publish timings on /metrics, and snapshots
stamped with the server's time (the load benchmark, bench/pong_bench.py, reads both)."""

from __future__ import annotations

import time

import httpx
import pytest

from realtime_kit import realtime_server
from transcendence.core import core_of
from transcendence_pong import hooks as pong_hooks
from transcendence_pong.clock import ScaledClock

pytestmark = pytest.mark.modules("pong", "ai")
QUICK = {"score_limit": 1, "paddle_height": 20}


@pytest.fixture
async def server(settings):
    async with realtime_server(settings) as server:
        server.app.extensions["pong"].games.clock = ScaledClock(20)
        yield server


def sample(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} is not on /metrics")


async def play_local_game(server) -> dict:
    tab = await server.connect(await server.user(f"u{time.monotonic_ns()}"))
    created = await tab.request("pong.create", {"mode": "local", "options": QUICK})
    assert created["type"] == "pong.create", created
    while True:
        frame = await tab.expect("pong.state", timeout=20)
        if frame["data"]["phase"] == "finished":
            await tab.close()
            return frame["data"]


async def scrape(server) -> str:
    async with httpx.AsyncClient(base_url=server.http) as http:
        response = await http.get("/metrics")
    assert response.status_code == 200
    return response.text


async def test_ticks_and_snapshots_are_timed_on_metrics(server):
    before = time.time()
    last = await play_local_game(server)
    # The snapshot says when the server took it, in Unix seconds (same clock as ours here).
    assert before - 1 <= last["server_time"] <= time.time() + 1
    text = await scrape(server)
    ticks = sample(text, "transcendence_pong_tick_seconds_count")
    assert ticks >= 60  # a serve waits a second (60 ticks) before the ball moves
    assert sample(text, "transcendence_pong_tick_seconds_sum") > 0
    assert sample(text, "transcendence_pong_snapshot_publish_seconds_count") >= 2


async def test_the_timings_survive_the_module_being_restarted(server):
    app = server.app
    await pong_hooks.shutdown(app)
    await pong_hooks.startup(app, core_of(app))  # registers its histograms again, without a clash
    app.extensions["pong"].games.clock = ScaledClock(20)
    await play_local_game(server)
    assert sample(await scrape(server), "transcendence_pong_tick_seconds_count") >= 60
