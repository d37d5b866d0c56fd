"""Players without a password (the stats tests need many accounts, not argon2's cost), and
finished matches written as pong records them (`statskit.Matches`)."""

from __future__ import annotations

import pytest
from statskit import Matches

from testkit import Player


@pytest.fixture
def make_player(app):
    """`await make_player("alice")` → a logged-in Player whose account has no password."""
    from transcendence.accounts import service

    async def make(username: str):
        user = await service.create_user(username, f"{username}@example.test", None)
        session, refresh = await service.start_session(user)
        access = service.access_token_for(app.config["SECRET_KEY"], user, session)
        return Player(user, session, access, refresh, "")

    return make


@pytest.fixture
def matches(app):
    return Matches(app)
