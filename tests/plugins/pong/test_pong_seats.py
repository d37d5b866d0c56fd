"""A game says who sits in each seat (`kind`), so that a browser words the AI and an unnamed
second player in its reader's language instead of showing the English names pong stores."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.modules("pong", "ai")
ENDLESS = {"score_limit": 3, "paddle_height": 600}


async def created(client, player, body):
    response = await client.post("/api/pong/games", json=body, headers=player.headers)
    assert response.status_code == 201, await response.get_json()
    game_id = (await response.get_json())["game_id"]
    response = await client.get(f"/api/pong/games/{game_id}", headers=player.headers)
    return await response.get_json()


async def test_seats_say_user_ai_or_guest(client, make_user):
    alice = await make_user("alice")
    ai = await created(client, alice, {"mode": "ai", "level": "hard", "options": ENDLESS})
    assert ai["left"] == {"user_id": alice.id, "name": "alice", "kind": "user"}
    assert ai["right"] == {"user_id": None, "name": "AI (hard)", "kind": "ai", "level": "hard"}
    local = await created(client, alice, {"mode": "local", "options": ENDLESS})
    assert local["right"] == {"user_id": None, "name": "Player 2", "kind": "guest", "named": False}
    named = await created(
        client, alice, {"mode": "local", "opponent_name": "Zoé", "options": ENDLESS}
    )
    assert named["right"] == {"user_id": None, "name": "Zoé", "kind": "guest", "named": True}
