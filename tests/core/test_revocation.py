"""An ended session's access token is refused at once, REST and socket (issue 16, point 3).

Logout, "log out everywhere", ending one session from the list and a refresh-token reuse
all end sessions; the access tokens of those sessions stop working on the next request
(no waiting for their 15 minutes), new sockets are refused and open ones are closed with
4401 `signed_out`. Runs on the in-process bus and, with TEST_REDIS_URL, on Redis.
"""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest

from realtime_kit import RT_MODULES, realtime_server
from transcendence.accounts import revocation, service, throttle, tokens
from transcendence.accounts.models import Session

PASSWORD = "correct horse battery"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def log_in(client, username: str = "alice") -> str:
    response = await client.post(
        "/api/auth/login", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200
    return (await response.get_json())["access"]


async def refused(client, access: str) -> None:
    response = await client.get("/api/me/", headers=bearer(access))
    assert response.status_code == 401
    assert (await response.get_json())["error"]["code"] == "token_revoked"


async def test_logout_ends_the_access_token_at_once(client, make_user):
    await make_user("alice")
    access = await log_in(client)
    assert (await client.get("/api/me/", headers=bearer(access))).status_code == 200
    assert (await client.post("/api/auth/logout")).status_code == 204
    await refused(client, access)


async def test_ending_one_session_leaves_the_others_working(client, make_user):
    alice = await make_user("alice")
    other = await log_in(client)
    response = await client.delete(f"/api/auth/sessions/{alice.session.id}", headers=bearer(other))
    assert response.status_code == 204
    await refused(client, alice.access)
    assert (await client.get("/api/me/", headers=bearer(other))).status_code == 200


async def test_a_reused_refresh_token_ends_the_access_token_too(client, make_user):
    await make_user("alice")
    access = await log_in(client)
    stolen = client.cookie_jar  # the cookie as it was before the owner refreshed
    old_cookie = next(c.value for c in stolen if c.name == "refresh_token")
    assert (await client.post("/api/auth/refresh")).status_code == 200
    client.cookie_jar.clear()
    client.set_cookie("localhost", "refresh_token", old_cookie, path="/api/auth")
    reused = await client.post("/api/auth/refresh")
    assert (await reused.get_json())["error"]["code"] == "refresh_reused"
    await refused(client, access)


async def test_log_out_everywhere_ends_every_access_token(client, make_user):
    alice = await make_user("alice")
    access = await log_in(client)
    assert (await client.post("/api/auth/logout-all", headers=bearer(access))).status_code == 204
    await refused(client, access)
    await refused(client, alice.access)


async def test_a_node_starting_reads_recently_ended_sessions(app, make_user):
    """A node that starts (or resyncs) learns what ended within one token lifetime."""
    alice = await make_user("alice")
    await service.revoke(alice.session, "logout")
    old = await service.start_session(alice.user)
    await Session.filter(id=old[0].id).update(
        revoked_at=service.now() - timedelta(seconds=tokens.ACCESS_TTL + 60)
    )
    fresh = revocation.Revocations(app.extensions["transcendence"].bus, "elsewhere")
    await fresh.load()
    assert str(alice.session.id) in fresh
    assert str(old[0].id) not in fresh  # its tokens have expired anyway


async def test_ended_ids_are_forgotten_after_a_token_lifetime(app):
    revoked = revocation.Revocations(app.extensions["transcendence"].bus, "here")
    revoked.add(["gone"], until=time.time() - 1)
    revoked.add(["ended"])
    assert "ended" in revoked and "gone" not in revoked


# --- sockets --------------------------------------------------------------------------------


@pytest.fixture
def settings(settings):
    settings.extra_modules = [*settings.extra_modules, *RT_MODULES]
    return settings


async def test_logout_closes_the_sessions_sockets_and_refuses_new_ones(settings):
    async with realtime_server(settings) as server:
        # Counters another test left in a shared Redis must not refuse this login.
        await server.app.extensions[throttle.EXTENSION].clear()
        user = await service.create_user("alice", "alice@example.test", PASSWORD)
        async with httpx.AsyncClient(base_url=server.http) as http:
            logged = await http.post(
                "/api/auth/login", json={"username": "alice", "password": PASSWORD}
            )
            access = logged.json()["access"]
            socket = await server.connect(access)
            # Another session of the same user keeps its socket.
            other_session, _ = await service.start_session(user)
            other = await server.connect(server.token(user.id, str(other_session.id)))

            assert (await http.post("/api/auth/logout")).status_code == 204

            code, reason = await socket.closed()
            assert code == 4401 and reason.startswith("signed_out")
            assert (await other.request("ping"))["type"] == "pong"
            late = await server.connect()
            await late.send({"type": "auth", "data": {"token": access}})
            code, reason = await late.closed()
            assert code == 4401 and reason.startswith("token_revoked")
            assert (await http.get("/api/me/", headers=bearer(access))).status_code == 401
            # A socket cannot swap in the ended session's token either.
            swap = await other.request("auth", {"token": access})
            assert swap["error"]["code"] == "token_revoked"
            await other.close()
