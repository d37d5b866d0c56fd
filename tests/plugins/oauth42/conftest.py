"""Fixtures of the oauth42 tests: a real fake intra on a local port, the module pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fake42 import CALLBACK, CLIENT_ID, CLIENT_SECRET, FakeIntra

from transcendence_oauth42.config import EXTENSION, OAuth42Settings


@pytest.fixture
async def intra() -> AsyncIterator[FakeIntra]:
    server = FakeIntra(redirect_uris={CALLBACK})
    await server.start()
    server.add_user("jdoe", 4242, "jdoe@student.42.fr", "John Doe")
    server.add_user("mmartin", 4343, "mmartin@student.42.fr", "Marie Martin")
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def configured(app, intra: FakeIntra) -> OAuth42Settings:
    """The module's settings as a deployment sets them, at the fake intra's address (its
    endpoints derive from the base URL, as the real intra's do)."""
    settings = OAuth42Settings(
        _env_file=None,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=intra.base,
        timeout=5,
    )
    app.extensions[EXTENSION] = settings
    return settings
