"""Linking without a configured 42 client is a 4xx the client cannot retry, not a 5xx."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.modules("oauth42")


async def test_link_start_unconfigured_is_409_not_configured(app, client, make_user):
    from transcendence_oauth42.config import EXTENSION, OAuth42Settings

    app.extensions[EXTENSION] = OAuth42Settings(_env_file=None, client_id=None, client_secret=None)
    alice = await make_user("alice")
    response = await client.post(
        "/api/oauth42/link/start", headers=alice.headers, json={"password": alice.password}
    )
    assert response.status_code == 409
    assert (await response.get_json())["error"]["code"] == "not_configured"
    spec = await (await client.get("/openapi.json")).get_json()
    assert "409" in {str(s) for s in spec["paths"]["/api/oauth42/link/start"]["post"]["responses"]}
