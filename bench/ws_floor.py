"""The floor: a bare ASGI WebSocket app doing the benchmark's job with nothing else.

It answers `auth` and `bench.join` frames, and re-sends each `bench.say` frame, as is, to
every socket in its room, awaiting each send in turn. No validation, no queues, no
presence: what a minimal app on the same server costs. Run by `realtime_bench.py` the
same way as the platform (Hypercorn, uvloop worker, one process):

    python bench/ws_floor.py --port 8100
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from floor_server import serve

rooms: dict[int, list[Any]] = defaultdict(list)


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
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    room: int | None = None
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
            if kind == "bench.say":
                message = {"type": "websocket.send", "text": text}
                for peer in rooms[frame["data"]["room"]]:
                    await peer(message)
            elif kind == "bench.join":
                room = int(frame["data"]["room"])
                rooms[room].append(send)
                await send({"type": "websocket.send", "text": json.dumps({"re": frame.get("id")})})
            elif kind == "auth":
                await send({"type": "websocket.send", "text": json.dumps({"re": frame.get("id")})})
    finally:
        if room is not None:
            rooms[room].remove(send)


def main() -> None:
    serve("ws_floor:app")


if __name__ == "__main__":
    main()
