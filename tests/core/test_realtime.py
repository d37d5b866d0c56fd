"""The realtime hub over real sockets: authentication, routing, limits, heartbeats.

Each test serves a fresh app with Hypercorn in its own loop and talks to it with the
`websockets` client. Timing knobs (auth deadline, heartbeat interval) are set small on
the hub's config; nothing sleeps to wait for an event, every wait is a bounded await.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from realtime_kit import RT_MODULES, realtime_server
from transcendence.accounts.models import User


@pytest.fixture
def settings(settings):
    settings.extra_modules = [*settings.extra_modules, *RT_MODULES]
    return settings


@pytest.fixture
async def server(settings):
    async with realtime_server(settings) as server:
        yield server


# --- authentication -----------------------------------------------------------------------


async def test_auth_then_echo_with_re(server):
    alice = await server.user("alice")
    client = await server.connect(alice)
    welcome = client.welcome["data"]
    assert welcome["user_id"] == alice.id
    assert welcome["connection_id"]
    assert welcome["expires_at"] > time.time()
    assert welcome["heartbeat"] == {"interval": 10.0, "timeout": 30.0}
    assert welcome["limits"]["max_frame_bytes"] == 64 * 1024

    reply = await client.request("sample.echo", {"hello": "world"})
    assert reply == {"type": "sample.echo", "re": reply["re"], "data": {"hello": "world"}}
    # Integer ids come back as they were; without an id a handler's result still arrives.
    await client.send({"type": "sample.echo", "id": 7, "data": {"n": 1}})
    assert await client.expect("sample.echo") == {"type": "sample.echo", "re": 7, "data": {"n": 1}}
    await client.send({"type": "sample.echo", "data": {"n": 2}})
    assert (await client.expect("sample.echo"))["re"] is None
    await client.close()


async def test_a_bad_token_closes_with_4401(server):
    client = await server.connect()
    await client.send({"type": "auth", "data": {"token": "not-a-jwt"}})
    code, reason = await client.closed()
    assert code == 4401
    assert reason.startswith("invalid_token")


async def test_the_first_frame_must_be_auth(server):
    client = await server.connect()
    await client.send({"type": "ping"})
    code, reason = await client.closed()
    assert (code, reason.split(":")[0]) == (4401, "auth_required")


async def test_a_revoked_token_closes_with_4401(server):
    alice = await server.user("alice")
    await User.filter(id=alice.id).update(token_version=1)
    client = await server.connect()
    await client.send({"type": "auth", "data": {"token": alice.access}})
    code, reason = await client.closed()
    assert (code, reason.split(":")[0]) == (4401, "token_revoked")


async def test_auth_must_come_within_the_deadline(settings):
    async with realtime_server(settings, auth_timeout=0.3) as server:
        client = await server.connect()
        started = time.monotonic()
        code, reason = await client.closed(timeout=5)
        assert (code, reason.split(":")[0]) == (4401, "auth_timeout")
        assert 0.25 < time.monotonic() - started < 3


async def test_too_many_sockets_for_one_user(settings):
    async with realtime_server(settings, max_connections_per_user=2) as server:
        alice = await server.user("alice")
        first, second = await server.connect(alice), await server.connect(alice)
        third = await server.connect()
        await third.send({"type": "auth", "data": {"token": alice.access}})
        assert (await third.closed())[0] == 4429
        assert (await first.request("ping"))["type"] == "pong"
        await first.close()
        await second.close()


async def test_token_refresh_in_place_and_expiry(settings):
    # Two sockets of one user on tokens that expire in 1 to 2 s (JWT times are whole
    # seconds); one is refreshed and lives on, the other is told and closed.
    async with realtime_server(settings, ping_interval=0.2) as server:
        alice = await server.user("alice")
        bob = await server.user("bob")
        short = server.token(alice.id, alice.session_id, ttl=2)
        kept = await server.connect(short)
        lapsed = await server.connect(short)
        old_expiry = kept.welcome["data"]["expires_at"]

        refreshed = await kept.request("auth", {"token": alice.access})
        assert refreshed["type"] == "auth"
        assert refreshed["data"]["expires_at"] > old_expiry
        # Someone else's token, or a broken one, is refused; the socket and its token stay.
        mismatch = await kept.request("auth", {"token": bob.access})
        assert mismatch["error"]["code"] == "user_mismatch"
        broken = await kept.request("auth", {"token": "x.y.z"})
        assert broken["error"]["code"] == "invalid_token"

        error = await lapsed.expect("error", timeout=5)
        assert error["error"]["code"] == "token_expired"
        code, reason = await lapsed.closed()
        assert (code, reason.split(":")[0]) == (4401, "token_expired")

        # Past the old expiry (one more heartbeat for margin), the refreshed socket is fine.
        await kept.expect("ping", timeout=5)
        assert (await kept.request("sample.echo", {"still": "here"}))["data"] == {"still": "here"}
        assert not [f for f in kept.seen if f["type"] == "error"]
        await kept.close()


# --- routing ------------------------------------------------------------------------------


async def test_unknown_types_are_errors_and_the_socket_stays(server):
    client = await server.connect(await server.user("alice"))
    answer = await client.request("nothing.here", {})
    assert answer["type"] == "error"
    assert answer["error"]["code"] == "unknown_type"
    assert (await client.request("sample.echo", {"a": 1}))["data"] == {"a": 1}
    await client.close()


async def test_data_is_validated_by_the_handlers_model(server):
    client = await server.connect(await server.user("alice"))
    assert (await client.request("rtsample.add", {"a": 2, "b": 3}))["data"] == {"sum": 5}
    answer = await client.request("rtsample.add", {"a": "two"})
    assert answer["error"]["code"] == "invalid_data"
    assert {tuple(d["loc"]) for d in answer["error"]["details"]} == {("a",), ("b",)}
    await client.close()


async def test_handler_errors_become_error_frames(server):
    client = await server.connect(await server.user("alice"))
    refused = await client.request("rtsample.fail")
    assert refused["error"] == {
        "code": "nope",
        "message": "this handler always refuses",
        "details": {"why": "testing"},
    }
    crashed = await client.request("rtsample.boom")
    assert crashed["error"]["code"] == "internal_error"
    assert "secret" not in json.dumps(crashed)
    assert (await client.request("ping"))["type"] == "pong"
    await client.close()


async def test_a_disabled_modules_types_are_refused(server):
    registry = server.app.extensions["transcendence"].registry
    client = await server.connect(await server.user("alice"))
    await registry.disable("sample", force=True)
    answer = await client.request("sample.echo", {"a": 1})
    assert answer["error"]["code"] == "module_disabled"
    assert answer["error"]["details"] == {"module": "sample"}
    await registry.enable("sample")
    assert (await client.request("sample.echo", {"a": 1}))["data"] == {"a": 1}
    await client.close()


async def test_malformed_frames(server):
    client = await server.connect(await server.user("alice"))
    cases = [
        ("{not json", "invalid_json", None),
        (b"\xff\xfe", "invalid_json", None),
        ("[1, 2]", "invalid_envelope", None),
        ('{"id": "a"}', "invalid_envelope", "a"),
        ('{"type": 5, "id": "b"}', "invalid_envelope", "b"),
        ('{"type": "Sample.Echo", "id": "c"}', "invalid_envelope", "c"),
        ('{"type": "sample.echo", "id": "d", "data": [1]}', "invalid_envelope", "d"),
        ('{"type": "sample.echo", "id": "e", "extra": true}', "invalid_envelope", "e"),
        ('{"type": "sample.echo", "id": ["f"]}', "invalid_envelope", None),
    ]
    for raw, code, re in cases:
        await client.send(raw)
        error = await client.expect("error")
        assert (error["error"]["code"], error["re"]) == (code, re), raw
    assert (await client.request("sample.echo", {"ok": True}))["data"] == {"ok": True}
    await client.close()


# --- limits -------------------------------------------------------------------------------


async def test_a_frame_over_64_kib_is_refused(server):
    client = await server.connect(await server.user("alice"))
    await client.send({"type": "sample.echo", "id": "big", "data": {"x": "a" * 70_000}})
    error = await client.expect("error")
    assert error["error"]["code"] == "frame_too_large"
    assert error["error"]["details"] == {"max_bytes": 65536}
    # Multi-byte text counts in bytes: 30,000 "é" are 60,000 bytes, under the limit.
    assert (await client.request("sample.echo", {"x": "é" * 30_000}))["type"] == "sample.echo"
    await client.close()


async def test_a_frame_over_the_transport_limit_closes_with_1009(settings):
    async with realtime_server(settings, max_message=128 * 1024) as server:
        client = await server.connect(await server.user("alice"))
        await client.send({"type": "sample.echo", "data": {"x": "a" * 200_000}})
        assert (await client.closed())[0] == 1009


async def test_rate_limit_then_abuse(settings):
    async with realtime_server(settings, rate=1, burst=5, abuse_limit=10) as server:
        client = await server.connect(await server.user("alice"))
        for i in range(6):
            await client.send({"type": "sample.echo", "id": i, "data": {"i": i}})
        answers = {}
        for _ in range(6):
            frame = await client.expect()
            answers[frame["re"]] = frame
        assert [answers[i]["type"] for i in range(5)] == ["sample.echo"] * 5
        assert answers[5]["error"]["code"] == "rate_limited"
        # Still open: one more frame is refused, not fatal ...
        await client.send({"type": "ping", "id": "p"})
        assert (await client.expect(re="p"))["error"]["code"] == "rate_limited"
        # ... but keeping it up is abuse.
        for i in range(20):
            await client.send({"type": "ping", "id": f"x{i}"})
        code, reason = await client.closed()
        assert (code, reason.split(":")[0]) == (1008, "rate_limited")


async def test_a_slow_consumer_is_disconnected(settings):
    async with realtime_server(settings, outbound_queue=16) as server:
        # No permessage-deflate: the repetitive payload would shrink to nothing.
        client = await server.connect(await server.user("alice"), compression=None)
        (conn,) = server.hub.connections.values()
        # The client stops reading: its library buffers a few frames, then TCP fills up,
        # then the server's queue of 16.
        await client.send(
            {"type": "rtsample.flood", "id": "f", "data": {"frames": 5000, "size": 16_000}}
        )
        async with asyncio.timeout(10):
            await conn.wait_closed()
        assert conn.closing[:2] == (1013, "slow consumer")
        code, reason = await client.closed(timeout=10)
        assert (code, reason) == (1013, "slow consumer")
    assert server.hub.metrics.overflows == 1


# --- heartbeats ---------------------------------------------------------------------------


async def test_heartbeats_keep_a_live_client_and_drop_a_silent_one(settings):
    async with realtime_server(settings, ping_interval=0.05, idle_timeout=0.3) as server:
        alice = await server.user("alice")
        live, silent = await server.connect(alice), await server.connect(alice)
        started = time.monotonic()
        answered = 0
        # Well past the idle timeout, answering every ping keeps the socket.
        while time.monotonic() - started < 0.9:
            await live.expect("ping", timeout=2)
            await live.send({"type": "pong"})
            answered += 1
        assert answered >= 5
        assert (await live.request("sample.echo", {"x": 1}))["data"] == {"x": 1}
        # The other one got pings too and said nothing.
        code, reason = await silent.closed(timeout=2)
        assert (code, reason.split(":")[0]) == (4408, "heartbeat_timeout")
        # Stop answering: dropped too.
        code, _ = await live.closed(timeout=2)
        assert code == 4408


async def test_shutdown_closes_sockets_with_1001(settings):
    async with realtime_server(settings) as server:
        client = await server.connect(await server.user("alice"))
    code, _ = await client.closed()
    assert code == 1001
