"""Chat ids beyond the id column are 404s whatever the method, never a 405 or a 500."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.modules("chat")


@pytest.mark.parametrize("chat_id", ["2147483648", str(2**80), "0"])
async def test_an_impossible_chat_is_not_found_for_every_method(client, quick_user, chat_id):
    alice = await quick_user("alice")
    # GET and POST rules share this path: werkzeug checks the method before converting
    # the id, so a refused id must not end as "405: use GET".
    for method in ("GET", "POST"):
        response = await client.open(
            f"/api/chat/chats/{chat_id}/members", method=method, headers=alice.headers, json={}
        )
        assert response.status_code == 404, method
        assert (await response.get_json())["error"]["code"] == "not_found"
