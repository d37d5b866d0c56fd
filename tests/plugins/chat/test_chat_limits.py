"""Limits: the per-user message rate and duplicate sends stored once."""

from __future__ import annotations

import asyncio

import pytest

from transcendence_chat.config import chat_config
from transcendence_chat.models import Message

pytestmark = pytest.mark.modules("chat")


async def test_the_message_rate_is_limited_per_user(app, api, people):
    alice, bob, *_ = people
    config = chat_config(app)
    config.rate_count, config.rate_window = 3, 30.0
    chat = await api.direct(alice, bob)
    for i in range(3):
        await api.send(alice, chat["id"], f"m{i}")
    response = await api.client.post(
        "/api/messages/", headers=alice.headers, json={"chat": chat["id"], "text": "m3"}
    )
    assert response.status_code == 429
    body = await response.get_json()
    assert body["error"]["code"] == "rate_limited"
    assert 0 < body["error"]["details"]["retry_after"] <= 30
    assert body["error"]["details"]["limit"] == 3
    assert 1 <= int(response.headers["Retry-After"]) <= 30
    await api.send(bob, chat["id"], "bob is not limited by alice")
    assert await Message.filter(sender_id=alice.id).count() == 3


async def test_the_limit_is_a_sliding_window(app, api, people):
    alice, bob, *_ = people
    config = chat_config(app)
    config.rate_count, config.rate_window = 2, 0.3
    chat = await api.direct(alice, bob)
    await api.send(alice, chat["id"], "a")
    await api.send(alice, chat["id"], "b")
    status, _ = await api.post("/api/messages/", alice, {"chat": chat["id"], "text": "c"})
    assert status == 429
    await asyncio.sleep(0.35)  # the window itself is what is tested
    await api.send(alice, chat["id"], "c")


async def test_a_repeated_client_id_is_stored_once(api, people):
    alice, bob, *_ = people
    chat = await api.direct(alice, bob)
    body = {"chat": chat["id"], "text": "only once", "client_id": "tab1-42"}
    first_status, first = await api.post("/api/messages/", alice, body)
    second_status, second = await api.post("/api/messages/", alice, body)
    assert (first_status, second_status) == (201, 200)
    assert first == second
    assert await api.texts(bob, chat["id"]) == ["only once"]
    assert (await api.chats(bob))[0]["unread_count"] == 1
    # another sender may use the same client_id
    status, _ = await api.post("/api/messages/", bob, {**body, "text": "mine"})
    assert status == 201
    # the same client_id for another chat is a conflict, not a silent mix-up
    group = await api.group(alice, "g", bob)
    status, answer = await api.post("/api/messages/", alice, {**body, "chat": group["id"]})
    assert status == 409 and answer["error"]["code"] == "client_id_reused"


async def test_concurrent_duplicates_are_stored_once(api, people):
    alice, bob, *_ = people
    chat = await api.direct(alice, bob)
    body = {"chat": chat["id"], "text": "racing", "client_id": "same"}
    results = await asyncio.gather(*(api.post("/api/messages/", alice, body) for _ in range(4)))
    assert sorted(s for s, _ in results) == [200, 200, 200, 201]
    assert len({m["id"] for _, m in results}) == 1
    assert await Message.filter(sender_id=alice.id).count() == 1


async def test_duplicates_do_not_count_against_the_rate(app, api, people):
    alice, bob, *_ = people
    config = chat_config(app)
    config.rate_count, config.rate_window = 1, 30.0
    chat = await api.direct(alice, bob)
    body = {"chat": chat["id"], "text": "retry me", "client_id": "r1"}
    assert (await api.post("/api/messages/", alice, body))[0] == 201
    assert (await api.post("/api/messages/", alice, body))[0] == 200  # a retry, answered
    assert (await api.post("/api/messages/", alice, {**body, "client_id": "r2"}))[0] == 429


async def test_parallel_sends_store_exactly_the_limit(app, api, people):
    # Checked and stored in one step: 60 sends at once, 20 stored (it used to be 58 of 60).
    alice, bob, *_ = people
    chat = await api.direct(alice, bob)
    limit = chat_config(app).rate_count
    sends = [
        api.post("/api/messages/", alice, {"chat": chat["id"], "text": f"{i}"}) for i in range(60)
    ]
    answers = await asyncio.gather(*sends)
    assert sorted(status for status, _ in answers) == [201] * limit + [429] * (60 - limit)
    refused = {body["error"]["code"] for status, body in answers if status == 429}
    assert refused == {"rate_limited"}
    assert await Message.filter(sender_id=alice.id).count() == limit


async def test_messages_sent_at_once_are_each_stored_and_answered(app, api, people):
    """Sent together, stored together (one transaction): each sender still gets its own
    message back, every one is kept, and each chat's last message is its newest."""
    alice, bob, carol, dave = people
    groups = [await api.group(alice, "g1", bob, carol), await api.group(dave, "g2", bob)]
    senders = {groups[0]["id"]: [alice, bob, carol], groups[1]["id"]: [dave, bob]}
    sends = [
        (chat_id, who, f"{chat_id}-{who.user.username}-{i}")
        for i in range(5)
        for chat_id, members in senders.items()
        for who in members
    ]
    answers = await asyncio.gather(
        *(
            api.post("/api/messages/", who, {"chat": chat_id, "text": text})
            for chat_id, who, text in sends
        )
    )
    assert [status for status, _ in answers] == [201] * len(sends)
    for (chat_id, who, text), (_, body) in zip(sends, answers, strict=True):
        assert (body["chat_id"], body["sender_id"], body["text"]) == (chat_id, who.id, text)
    assert len({body["id"] for _, body in answers}) == len(sends)
    for chat_id, members in senders.items():
        status, page = await api.get("/api/messages/", members[0], chat_id=chat_id, limit=50)
        assert status == 200
        # read back exactly as answered (ids, times, senders' profiles)
        answered = sorted((b for _, b in answers if b["chat_id"] == chat_id), key=lambda b: b["id"])
        assert sorted(page["items"], key=lambda m: m["id"]) == answered
        newest = max(body["id"] for _, body in answers if body["chat_id"] == chat_id)
        listed = {c["id"]: c for c in await api.chats(members[0])}
        assert listed[chat_id]["last_message"]["id"] == newest


async def test_a_failing_message_does_not_sink_the_others_sent_with_it(api, people):
    alice, bob, *_ = people
    chat = await api.direct(alice, bob)
    await api.send(alice, chat["id"], "first", client_id="taken")
    bodies = [{"chat": chat["id"], "text": f"m{i}"} for i in range(6)]
    bodies.append({"chat": chat["id"], "text": "again", "client_id": "taken"})
    answers = await asyncio.gather(*(api.post("/api/messages/", alice, b) for b in bodies))
    assert [status for status, _ in answers] == [201] * 6 + [200]
    assert answers[-1][1]["text"] == "first"  # the retry answers the stored message
    assert sorted(await api.texts(alice, chat["id"])) == sorted(
        ["first", *(f"m{i}" for i in range(6))]
    )
