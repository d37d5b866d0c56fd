"""The module "rtsample": realtime handlers that exercise the hub in tests.

Kept apart from "sample" so that module's introspection stays as its tests expect; loaded
by the realtime tests (and the realtime cluster test) through TRANSCENDENCE_EXTRA_MODULES.
"""

from __future__ import annotations

import asyncio

from pydantic import BaseModel, Field

from transcendence import hookimpl
from transcendence.hub import get_hub
from transcendence.realtime import RealtimeError


class AddIn(BaseModel):
    a: int
    b: int


class Sum(BaseModel):
    sum: int


class PokeIn(BaseModel):
    to: int
    text: str = Field(max_length=200)


class TopicIn(BaseModel):
    topic: str = Field(min_length=1, max_length=100)


class SayIn(BaseModel):
    topic: str = Field(min_length=1, max_length=100)
    text: str = Field(max_length=1000)


class FloodIn(BaseModel):
    frames: int = Field(ge=1, le=100_000)
    size: int = Field(ge=1, le=60_000)


class GameIn(BaseModel):
    playing: bool


class Poked(BaseModel):
    from_user: int
    text: str


@hookimpl
def module_info():
    return {
        "name": "rtsample",
        "title": "Realtime sample",
        "description": "Realtime handlers for the hub's tests.",
        "version": "1.0",
        "requires": [],
    }


@hookimpl
def register_realtime(hub):
    @hub.handler("rtsample.add", AddIn, reply=Sum)
    async def add(conn, data: AddIn):
        """Add two integers (a handler with a validated model)."""
        return Sum(sum=data.a + data.b)

    @hub.handler("rtsample.poke", PokeIn)
    async def poke(conn, data: PokeIn):
        """Send a frame to every socket of another user, on every node."""
        await get_hub(conn.app).deliver.to_user(
            data.to, "rtsample.poked", Poked(from_user=conn.user_id, text=data.text)
        )
        return {"sent": True}

    @hub.handler("rtsample.join", TopicIn)
    async def join(conn, data: TopicIn):
        await conn.subscribe(data.topic)
        return {"joined": data.topic}

    @hub.handler("rtsample.leave", TopicIn)
    async def leave(conn, data: TopicIn):
        await conn.unsubscribe(data.topic)
        return {"left": data.topic}

    @hub.handler("rtsample.say", SayIn)
    async def say(conn, data: SayIn):
        await get_hub().deliver.to_topic(
            data.topic, "rtsample.said", {"from_user": conn.user_id, "text": data.text}
        )

    @hub.handler("rtsample.flood", FloodIn)
    async def flood(conn, data: FloodIn):
        """Push frames to this socket, yielding between them so its sender can drain."""
        payload = "x" * data.size
        for i in range(data.frames):
            if not conn.send("rtsample.flooded", {"i": i, "payload": payload}):
                return None
            await asyncio.sleep(0)
        return {"pushed": data.frames}

    @hub.handler("rtsample.game", GameIn)
    async def game(conn, data: GameIn):
        await get_hub(conn.app).presence.set_in_game(conn.user_id, data.playing)
        return {"playing": data.playing}

    @hub.handler("rtsample.fail")
    async def fail(conn, data):
        raise RealtimeError("nope", "this handler always refuses", {"why": "testing"})

    @hub.handler("rtsample.boom")
    async def boom(conn, data):
        raise RuntimeError("secret internal detail")

    hub.event("rtsample.poked", Poked, "Someone poked you.")
