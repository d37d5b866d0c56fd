"""What the module registers is visible: `/api/modules`, OpenAPI, the realtime schema."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.modules("chat")

CONTRACT = {
    ("get", "/api/chats/"),
    ("post", "/api/chats/create_private/"),
    ("post", "/api/chats/create_group/"),
    ("get", "/api/messages/"),
    ("post", "/api/messages/"),
    ("post", "/api/messages/mark_chat_as_read/"),
}


async def test_modules_lists_the_chat_and_what_it_provides(client):
    modules = {m["name"]: m for m in await (await client.get("/api/modules")).get_json()}
    chat = modules["chat"]
    assert chat["enabled"] and chat["requires"] == []
    routes = set(chat["provides"]["routes"])
    assert {f"{m.upper()} {p}" for m, p in CONTRACT} <= routes
    assert "POST /api/chat/chats/<id:chat_id>/invite" in routes
    assert set(chat["provides"]["realtime"]) == {
        "chat.answer",
        "chat.invite",
        "chat.read",
        "chat.send",
        "chat.typing",
    }
    assert chat["provides"]["models"] == ["chat_conversation", "chat_member", "chat_message"]


async def test_openapi_documents_the_contract(client):
    spec = await (await client.get("/openapi.json")).get_json()
    for method, path in CONTRACT:
        assert method in spec["paths"][path], (method, path)


async def test_the_realtime_schema_has_the_chat_types(client):
    response = await client.get("/api/realtime/schema.json")
    assert response.status_code == 200
    text = await response.get_data(as_text=True)
    for type_ in ("chat.send", "chat.read", "chat.message", "chat.members", "chat.typing"):
        assert type_ in text
