"""The Pong test server most socket tests share: game time 20x faster than real time,
snapshots at 10/s and a 4 s grace, so games and pauses play out in a test's seconds. A
held game waits 200 game seconds (10 real ones) for its players: their joins travel over
real sockets, which a loaded machine can slow past any sped-up deadline.
A test module that needs another setup defines its own `server` fixture."""

from __future__ import annotations

import pytest

from realtime_kit import realtime_server
from transcendence_pong.clock import ScaledClock


@pytest.fixture
async def server(settings):
    async with realtime_server(settings) as server:
        games = server.app.extensions["pong"].games
        games.clock = ScaledClock(20)
        games.snapshot_rate = 10
        games.grace = 4.0
        games.no_show_wait = 200.0
        yield server
