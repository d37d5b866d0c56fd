"""The pong floor: N games at 60 Hz on a bare ASGI WebSocket app, with nothing else.

`ws_floor.py`'s approach (one Hypercorn process, uvloop worker, no validation, no queues,
no bus, no database) doing pong's job: each game is one task that steps the real engine
(`transcendence_pong.engine`) on the platform's schedule (60 Hz, catch up at most 10 ticks),
encodes a snapshot (the same fields, `server_time` included) every other tick, and sends
it, awaiting each send in turn, to the game's sockets. Key events are applied at once.
Frames: `auth` and `bench.game` ({"game": k}) are answered with `{"re": id}`; `pong.input`
({"key", "pressed", "seq"}) moves the socket's paddle. `GET /stats` returns the tick
count and tick-time percentiles since the previous call. Run by `pong_bench.py`:

    python bench/pong_floor.py --port 8100
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from typing import Any

from floor_server import serve

from transcendence_pong.engine import DT, Engine, Key, Options, Side

MAX_CATCH_UP_TICKS = 10
SNAPSHOT_EVERY = 2  # 30 Hz


class Game:
    def __init__(self, key: int, options: Options) -> None:
        self.id = f"floor-{key}"
        self.engine = Engine(options, seed=key)
        self.sockets: list[Any] = []
        self.acks = {"left": 0, "right": 0}
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        next_tick = loop.time()
        while not self.engine.finished:
            behind = 0
            while next_tick <= loop.time() and behind < MAX_CATCH_UP_TICKS:
                started = time.perf_counter()
                events = self.engine.step()
                important = any(e.kind in {"point", "finished"} for e in events)
                if important or self.engine.tick % SNAPSHOT_EVERY == 0:
                    state = self.engine.snapshot()
                    state["game_id"] = self.id
                    state["server_time"] = time.time()
                    state["acks"] = dict(self.acks)
                    message = {
                        "type": "websocket.send",
                        "text": json.dumps({"type": "pong.state", "data": state}),
                    }
                    for send in list(self.sockets):
                        try:
                            await send(message)
                        except Exception:  # a closed socket: the others still get theirs
                            self.sockets.remove(send)
                TICKS.append(time.perf_counter() - started)
                next_tick += DT
                behind += 1
            if behind == MAX_CATCH_UP_TICKS:
                next_tick = loop.time() + DT
            await asyncio.sleep(max(0.0, next_tick - loop.time()))


games: dict[int, Game] = {}
TICKS: list[float] = []
OPTIONS = Options(paddle_height=300, score_limit=21)


def stats_body() -> bytes:
    ticks = sorted(TICKS)
    TICKS.clear()
    q = statistics.quantiles(ticks, n=100) if len(ticks) >= 100 else [float("nan")] * 99
    return json.dumps({"ticks": len(ticks), "sum": sum(ticks), "p50": q[49], "p99": q[98]}).encode()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "websocket":
        body = stats_body() if scope["path"] == "/stats" else b"{}"
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    game: Game | None = None
    side = Side.LEFT
    try:
        while True:
            event = await receive()
            if event["type"] == "websocket.disconnect":
                return
            text = event.get("text")
            if text is None:
                continue
            frame = json.loads(text)
            kind = frame.get("type")
            if kind == "pong.input" and game is not None:
                data = frame["data"]
                key = Key(data["key"])
                (game.engine.press if data["pressed"] else game.engine.release)(side, key)
                game.acks[side.value] = max(game.acks[side.value], int(data.get("seq", 0)))
            elif kind == "bench.game":
                number = int(frame["data"]["game"])
                game = games.get(number)
                if game is None:
                    game = games[number] = Game(number, OPTIONS)
                    game.task = asyncio.get_running_loop().create_task(game.run())
                side = Side.LEFT if not game.sockets else Side.RIGHT
                game.sockets.append(send)
                reply = {"re": frame.get("id"), "data": {"game_id": game.id, "side": side.value}}
                await send({"type": "websocket.send", "text": json.dumps(reply)})
            elif kind == "auth":
                await send({"type": "websocket.send", "text": json.dumps({"re": frame.get("id")})})
    finally:
        if game is not None and send in game.sockets:
            game.sockets.remove(send)


def main() -> None:
    serve("pong_floor:app")


if __name__ == "__main__":
    main()
