"""Fixtures of the chat module's tests (helpers are in chat_testkit.py)."""

from __future__ import annotations

import pytest
from chat_testkit import Api


@pytest.fixture
def api(client) -> Api:
    return Api(client)


@pytest.fixture
def quick_user(app):
    """`await quick_user("alice")`: a Player without a password (no slow argon2 hash)."""
    from testkit import Player
    from transcendence.accounts import service

    async def make(username: str):
        user = await service.create_user(username, f"{username}@example.test", None)
        session, refresh = await service.start_session(user)
        access = service.access_token_for(app.config["SECRET_KEY"], user, session)
        return Player(user, session, access, refresh, "")

    return make


@pytest.fixture
async def people(quick_user):
    """alice, bob, carol and dave."""
    return [await quick_user(name) for name in ("alice", "bob", "carol", "dave")]
