"""The storing floor: `ws_floor.py`'s bare WebSocket app, but each `bench.say` is stored first.

What a chat message cannot avoid: one INSERT and its COMMIT, then the fan-out (each frame
re-sent to every socket of its room, as `ws_floor.py` does). The frame is fanned out only
after its commit returned, as the platform acknowledges a message only once it is stored.

- SQLite (the default): aiosqlite, WAL journal, `synchronous=FULL` (every commit reaches
  the disk), one connection, `STORE_FLOOR_SQLITE` names the file;
- PostgreSQL: asyncpg, a pool of 10 connections (Tortoise's default pool size), one
  autocommitted INSERT per message (the statement is its own transaction), when
  `STORE_FLOOR_POSTGRES` gives a database URL.

    STORE_FLOOR_SQLITE=/tmp/floor.sqlite3 python bench/store_floor.py --port 8100
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from typing import Any

from floor_server import serve

rooms: dict[int, list[Any]] = defaultdict(list)

CREATE = (
    "CREATE TABLE IF NOT EXISTS message ("
    " id {id} PRIMARY KEY, room INTEGER NOT NULL, sender INTEGER NOT NULL,"
    " body TEXT NOT NULL, created_at {ts} NOT NULL)"
)


class SqliteStore:
    async def open(self) -> None:
        import aiosqlite

        self.db = await aiosqlite.connect(os.environ["STORE_FLOOR_SQLITE"])
        await self.db.execute("PRAGMA journal_mode=WAL")
        await self.db.execute("PRAGMA synchronous=FULL")
        await self.db.execute(CREATE.format(id="INTEGER", ts="TEXT"))
        await self.db.commit()

    async def insert(self, room: int, sender: int, body: str) -> None:
        await self.db.execute(
            "INSERT INTO message (room, sender, body, created_at)"
            " VALUES (?, ?, ?, strftime('%Y-%m-%d %H:%M:%f', 'now'))",
            (room, sender, body),
        )
        await self.db.commit()

    async def close(self) -> None:
        await self.db.close()


class PostgresStore:
    async def open(self) -> None:
        import asyncpg

        url = os.environ["STORE_FLOOR_POSTGRES"].replace("postgres://", "postgresql://", 1)
        self.pool = await asyncpg.create_pool(url, min_size=1, max_size=10)
        await self.pool.execute(CREATE.format(id="BIGSERIAL", ts="TIMESTAMPTZ"))

    async def insert(self, room: int, sender: int, body: str) -> None:
        await self.pool.execute(
            "INSERT INTO message (room, sender, body, created_at) VALUES ($1, $2, $3, now())",
            room,
            sender,
            body,
        )

    async def close(self) -> None:
        await self.pool.close()


store: SqliteStore | PostgresStore = (
    PostgresStore() if os.environ.get("STORE_FLOOR_POSTGRES") else SqliteStore()
)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await store.open()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await store.close()
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
                data = frame["data"]
                await store.insert(data["room"], data["sender"], text)
                message = {"type": "websocket.send", "text": text}
                for peer in rooms[data["room"]]:
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
    serve("store_floor:app")


if __name__ == "__main__":
    main()
