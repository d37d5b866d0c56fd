"""The module "bench": the benchmark's realtime handlers (join a room, say to it).

Loaded only by `realtime_bench.py`, through TRANSCENDENCE_EXTRA_MODULES.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from transcendence import hookimpl
from transcendence.hub import get_hub


class JoinIn(BaseModel):
    room: int = Field(ge=0, le=10_000)


class SayIn(BaseModel):
    room: int = Field(ge=0, le=10_000)
    t: int
    sender: int
    seq: int = 0


@hookimpl
def module_info():
    return {
        "name": "bench",
        "title": "Benchmark",
        "description": "Rooms for the realtime benchmark.",
        "version": "1.0",
        "requires": [],
    }


@hookimpl
def register_realtime(hub):
    @hub.handler("bench.join", JoinIn)
    async def join(conn, data: JoinIn):
        await conn.subscribe(f"bench.{data.room}")

    @hub.handler("bench.say", SayIn)
    async def say(conn, data: SayIn):
        await get_hub(conn.app).deliver.to_topic(f"bench.{data.room}", "bench.said", data)

    hub.event("bench.said", SayIn)
