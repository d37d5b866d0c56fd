"""Driving online tournaments over the real server: HTTP as a player, and the frames a
player's socket receives (the tournament's live view, its calls)."""

from __future__ import annotations

import asyncio

import httpx


def http(server, user, api: str = "tournament") -> httpx.AsyncClient:
    """`user`'s HTTP client for `/api/<api>` of the served app."""
    return httpx.AsyncClient(
        base_url=f"{server.http}/api/{api}",
        headers={"Authorization": f"Bearer {user.access}"},
        timeout=30,
    )


async def take(client, type_, timeout=15.0):
    """The next frame of a type, including one that arrived while awaiting another."""
    for frame in client.seen:
        if frame["type"] == type_:
            client.seen.remove(frame)
            return frame
    return await client.expect(type_, timeout=timeout)


async def until_view(client, predicate, timeout=30.0):
    """The first `tournament.updated` view that satisfies `predicate`."""
    async with asyncio.timeout(timeout):
        while True:
            view = (await take(client, "tournament.updated", timeout=timeout))["data"]["tournament"]
            if predicate(view):
                return view


def match(view, key):
    """A match of the view by key (an empty one before the bracket exists)."""
    return next((m for m in view["matches"] if m["key"] == key), {"status": None, "joined": {}})
