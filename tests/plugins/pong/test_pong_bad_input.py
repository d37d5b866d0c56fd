"""Ids beyond the database's integer columns are 400s on pong's REST and socket API, never a
500 (PostgreSQL refuses them; SQLite overflows past 2**63)."""

from __future__ import annotations

import logging

import pytest

from realtime_kit import realtime_server

pytestmark = pytest.mark.modules("pong")


def no_error_logged(caplog) -> None:
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


@pytest.mark.parametrize("user_id", ["9223372036854775808", "2147483648", "0"])
async def test_match_history_of_an_impossible_user_is_a_validation_error(
    client, make_user, caplog, user_id
):
    alice = await make_user("alice")
    response = await client.get(f"/api/pong/matches?user_id={user_id}", headers=alice.headers)
    assert response.status_code == 400
    error = (await response.get_json())["error"]
    assert error["code"] == "validation_error"
    assert error["details"][0]["loc"] == ["user_id"]
    no_error_logged(caplog)


@pytest.mark.parametrize(
    "data",
    [{"user_id": 2**80}, {"user_id": 2**31}],
    ids=["2**80", "2**31"],
)
async def test_inviting_an_impossible_user_is_invalid_data(settings, caplog, data):
    async with realtime_server(settings) as server:
        client = await server.connect(await server.user("alice"))
        reply = await client.request("pong.invite", data)
        assert (reply["type"], reply["error"]["code"]) == ("error", "invalid_data")
        answer = await client.request("pong.answer", {"invite_id": 2**80, "accept": True})
        assert (answer["type"], answer["error"]["code"]) == ("error", "invalid_data")
        await client.close()
    no_error_logged(caplog)
