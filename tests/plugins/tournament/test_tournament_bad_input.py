"""A tournament id beyond the id column is a 404, not a 500 (PostgreSQL refuses it)."""

from __future__ import annotations

import logging

import pytest

pytestmark = pytest.mark.modules("pong", "tournament")


@pytest.mark.parametrize("tournament_id", ["2147483648", str(2**80)])
@pytest.mark.parametrize("action", ["", "/join", "/next"])
async def test_an_impossible_tournament_is_not_found(
    client, make_user, caplog, tournament_id, action
):
    alice = await make_user("alice")
    method = client.post if action else client.get
    response = await method(f"/api/tournament/{tournament_id}{action}", headers=alice.headers)
    assert response.status_code == 404
    assert (await response.get_json())["error"]["code"] == "not_found"
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
