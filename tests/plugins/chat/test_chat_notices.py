"""Notices: a read-only system conversation per user, fed by modules (tournaments)."""

from __future__ import annotations

import asyncio

import pytest

from transcendence_chat import post_notice

pytestmark = pytest.mark.modules("chat")


async def test_post_notice_lands_in_the_users_system_chat(app, api, people):
    alice, *_ = people
    posted = await post_notice(alice.id, "Welcome!", {"kind": "hello"}, app=app)
    assert posted is not None and posted["kind"] == "notice" and posted["sender"] is None
    await post_notice(alice.id, "Second", app=app)
    chats = await api.chats(alice)
    assert len(chats) == 1
    system = chats[0]
    assert system["kind"] == "system" and system["title"] == "Notices"
    assert system["unread_count"] == 2 and system["last_message"]["text"] == "Second"
    assert await api.texts(alice, system["id"]) == ["Second", "Welcome!"]
    status, body = await api.post("/api/messages/", alice, {"chat": system["id"], "text": "hi"})
    assert status == 403 and body["error"]["code"] == "read_only"
    status, body = await api.post(f"/api/chat/chats/{system['id']}/leave", alice)
    assert status == 400


async def test_post_notice_does_nothing_while_chat_is_disabled(app, people):
    alice, *_ = people
    await app.extensions["transcendence"].registry.disable("chat")
    assert await post_notice(alice.id, "nobody hears", app=app) is None


@pytest.mark.modules("chat", "pong", "tournament")
async def test_tournament_calls_reach_the_owners_notices(app, api, people):
    from transcendence_pong.clock import ScaledClock
    from transcendence_pong.models import Match

    alice, *_ = people
    app.extensions["pong"].games.clock = ScaledClock(50)
    status, bracket = await api.post(
        "/api/tournament/local",
        alice,
        {
            "name": "Cup",
            "aliases": ["Ann", "Bob", "Cy", "Dee"],
            "shuffle": False,
            "options": {"score_limit": 1, "paddle_height": 20},
        },
    )
    assert status == 201
    status, game = await api.post(f"/api/tournament/{bracket['id']}/next", alice)
    assert status == 201
    async with asyncio.timeout(15):
        while (await Match.get(id=game["match_id"])).status != "finished":
            await asyncio.sleep(0.02)
        while not (chats := await api.chats(alice)) or chats[0]["last_message"] is None:
            await asyncio.sleep(0.02)  # the notice is posted right after the record
    assert chats[0]["kind"] == "system"
    notice = chats[0]["last_message"]
    assert notice["text"].startswith("Cup: next match")
    assert notice["data"]["kind"] == "tournament.next"
    assert notice["data"]["tournament_id"] == bracket["id"]
    # What each reader's browser words the notice from (the tournament's `notice.<kind>`).
    assert notice["data"]["name"] == "Cup"
    assert notice["data"]["players"] == [notice["data"]["left"], notice["data"]["right"]]
