"""Bad input is a 4xx JSON error, never a 500: JSON nested too deep for the decoder, and
ids beyond the database's integer columns (HTTP paths and bodies, socket frames)."""

from __future__ import annotations

import logging

import pytest

from realtime_kit import RT_MODULES, realtime_server

# 1,000 levels: past Python's recursion limit in the standard JSON decoder (2 KB of body).
DEEP_ARRAY = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000
HUGE = 2**80


def no_traceback(caplog) -> None:
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT], ids=["array", "object"])
@pytest.mark.parametrize("path", ["/api/auth/login", "/api/sample/notes"])
async def test_json_nested_too_deep_is_400_invalid_json(client, make_user, caplog, body, path):
    alice = await make_user("alice")
    response = await client.post(
        path, data=body, headers={"Content-Type": "application/json", **alice.headers}
    )
    assert response.status_code == 400
    error = (await response.get_json())["error"]
    assert error["code"] == "invalid_json"
    no_traceback(caplog)


@pytest.mark.parametrize(
    "path",
    [
        "/api/users/2147483648",
        f"/api/users/{HUGE}",
        "/api/users/0",
        "/api/notifications/9223372036854775808/read",
    ],
)
async def test_path_ids_beyond_the_id_column_are_404(client, make_user, caplog, path):
    alice = await make_user("alice")
    method = client.post if path.endswith("/read") else client.get
    response = await method(path, headers=alice.headers)
    assert response.status_code == 404
    assert (await response.get_json())["error"]["code"] == "not_found"
    no_traceback(caplog)


async def test_the_largest_id_still_reaches_the_route(client, make_user):
    alice = await make_user("alice")
    response = await client.get("/api/users/2147483647", headers=alice.headers)
    assert response.status_code == 404
    assert (await response.get_json())["error"]["message"] != "no such resource"  # the view's


@pytest.fixture
def rt_settings(settings):
    settings.extra_modules = [*settings.extra_modules, *RT_MODULES]
    return settings


async def test_a_deep_frame_is_an_error_frame_and_the_socket_stays(rt_settings, caplog):
    async with realtime_server(rt_settings) as server:
        client = await server.connect(await server.user("alice"))
        for text in (DEEP_ARRAY, '{"type": "sample.echo", "id": "x", "data": ' + DEEP_OBJECT + "}"):
            await client.send(text)
            error = await client.expect("error")
            assert error["error"]["code"] == "invalid_json"
        assert (await client.request("sample.echo", {"ok": True}))["data"] == {"ok": True}
        await client.close()
    no_traceback(caplog)


async def test_a_deep_first_frame_is_refused_like_any_non_auth_frame(rt_settings, caplog):
    async with realtime_server(rt_settings) as server:
        client = await server.connect()
        await client.send(DEEP_ARRAY)
        code, reason = await client.closed()
        assert (code, reason.split(":")[0]) == (4401, "auth_required")
    no_traceback(caplog)


@pytest.mark.parametrize(
    ("type_", "data"),
    [
        ("presence.query", {"user_ids": [HUGE]}),
        ("presence.query", {"user_ids": [2**31]}),
        ("notify.read", {"ids": [HUGE]}),
        ("notify.read", {"ids": [0]}),
    ],
)
async def test_socket_ids_beyond_the_id_column_are_invalid_data(rt_settings, caplog, type_, data):
    async with realtime_server(rt_settings) as server:
        client = await server.connect(await server.user("alice"))
        reply = await client.request(type_, data)
        assert reply["type"] == "error"
        assert reply["error"]["code"] == "invalid_data"
        await client.close()
    no_traceback(caplog)
