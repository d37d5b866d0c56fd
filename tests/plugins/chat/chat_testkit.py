"""Helpers for the chat module's tests: REST calls as a given user, blocks, friendships."""

from __future__ import annotations

from typing import Any

from transcendence.accounts.models import Block, Friendship


class Api:
    """`await api.post("/api/chats/create_private/", alice, {"user_id": 2})` → (status, body)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def call(self, method: str, path: str, who: Any, body: Any = None, **query: Any):
        kwargs: dict[str, Any] = {"headers": who.headers}
        if body is not None:
            kwargs["json"] = body
        if query:
            kwargs["query_string"] = query
        response = await self.client.open(path, method=method, **kwargs)
        data = await response.get_json() if response.status_code != 204 else None
        return response.status_code, data

    async def get(self, path: str, who: Any, **query: Any):
        return await self.call("GET", path, who, **query)

    async def post(self, path: str, who: Any, body: Any = None):
        return await self.call("POST", path, who, body if body is not None else {})

    async def delete(self, path: str, who: Any):
        return await self.call("DELETE", path, who)

    # the contract, spelled once

    async def direct(self, me: Any, other: Any) -> dict[str, Any]:
        status, body = await self.post("/api/chats/create_private/", me, {"user_id": other.id})
        assert status in (200, 201), body
        return body

    async def group(self, me: Any, title: str, *others: Any) -> dict[str, Any]:
        status, body = await self.post(
            "/api/chats/create_group/", me, {"title": title, "user_ids": [o.id for o in others]}
        )
        assert status == 201, body
        return body

    async def send(self, me: Any, chat_id: int, text: str, **extra: Any) -> dict[str, Any]:
        status, body = await self.post(
            "/api/messages/", me, {"chat": chat_id, "text": text, **extra}
        )
        assert status == 201, body
        return body

    async def texts(self, me: Any, chat_id: int) -> list[str]:
        status, body = await self.get("/api/messages/", me, chat_id=chat_id, limit=50)
        assert status == 200, body
        return [m["text"] for m in body["items"]]

    async def chats(self, me: Any) -> list[dict[str, Any]]:
        status, body = await self.get("/api/chats/", me)
        assert status == 200, body
        return body["items"]


async def block(blocker: Any, blocked: Any) -> None:
    await Block.create(blocker_id=blocker.id, blocked_id=blocked.id)


async def befriend(a: Any, b: Any) -> None:
    await Friendship.create(requester_id=a.id, addressee_id=b.id, status="accepted")
