"""`TRANSCENDENCE_TRUSTED_PROXIES`: X-Forwarded-For / -Proto / -Host count only when the
socket peer is a configured proxy (as nginx would send them), never from anyone else.

The test client sets the socket peer through the ASGI scope's `client`.
"""

from __future__ import annotations

import ipaddress

import pytest
from pydantic import ValidationError
from quart import Quart, request, websocket

from transcendence import proxies
from transcendence.settings import Settings

PASSWORD = "correct horse battery"
PROXY = ("10.9.0.2", 40000)  # inside the trusted network below
STRANGER = ("203.0.113.7", 50000)  # a client reaching the app directly


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings, with the proxies' network (and ::1) trusted."""
    trusted = [ipaddress.ip_network("10.9.0.0/24"), ipaddress.ip_network("::1")]
    return settings.model_copy(update={"trusted_proxies": trusted})


def forwarded(client_address: str, proto: str = "https", host: str = "pong.example:8443"):
    """The headers nginx adds for a client: X-Forwarded-For ends with the client's address."""
    return {
        "X-Forwarded-For": client_address,
        "X-Forwarded-Proto": proto,
        "X-Forwarded-Host": host,
    }


async def signup(client, username: str) -> None:
    body = {"username": username, "email": f"{username}@example.test", "password": PASSWORD}
    response = await client.post("/api/auth/signup", json=body, scope_base={"client": PROXY})
    assert response.status_code == 201


async def login(client, username: str, *, peer, headers=None, password: str = PASSWORD):
    return await client.post(
        "/api/auth/login",
        json={"username": username, "password": password},
        headers=headers or {},
        scope_base={"client": peer},
    )


async def session_addresses(client, access: str) -> list[str]:
    response = await client.get(
        "/api/auth/sessions",
        headers={"Authorization": f"Bearer {access}"},
        scope_base={"client": STRANGER},
    )
    return [item["ip"] for item in (await response.get_json())["items"]]


async def test_a_trusted_proxy_forwards_the_clients_address(client):
    await signup(client, "alice")
    # nginx appends the address it saw to whatever the client sent: the last one counts.
    headers = forwarded("6.6.6.6, 198.51.100.20")
    response = await login(client, "alice", peer=PROXY, headers=headers)
    assert response.status_code == 200
    assert await session_addresses(client, (await response.get_json())["access"]) == [
        "198.51.100.20"
    ]


async def test_forwarded_headers_from_anyone_else_are_ignored(client):
    await signup(client, "alice")
    response = await login(client, "alice", peer=STRANGER, headers=forwarded("198.51.100.20"))
    assert response.status_code == 200
    assert await session_addresses(client, (await response.get_json())["access"]) == ["203.0.113.7"]


def echo_app(trusted) -> Quart:
    """A bare app that says what it believes about the request, behind the middleware."""
    app = Quart(__name__)

    @app.get("/")
    async def seen():
        return {"address": request.remote_addr, "scheme": request.scheme, "host": request.host}

    @app.websocket("/ws")
    async def socket_seen():
        await websocket.send_json({"address": websocket.remote_addr, "scheme": websocket.scheme})

    proxies.install(app, trusted)
    return app


async def test_by_default_nobody_is_believed():
    app = echo_app(Settings(_env_file=None).trusted_proxies)
    response = await app.test_client().get(
        "/",
        headers={**forwarded("198.51.100.20"), "Host": "app:8000"},
        scope_base={"client": PROXY},
    )
    assert await response.get_json() == {
        "address": "10.9.0.2",
        "scheme": "http",
        "host": "app:8000",
    }


async def test_a_trusted_peer_sets_address_scheme_and_host_for_requests_and_sockets(settings):
    app = echo_app(settings.trusted_proxies)
    client = app.test_client()
    headers = {**forwarded("198.51.100.20"), "Host": "app:8000"}
    response = await client.get("/", headers=headers, scope_base={"client": PROXY})
    assert await response.get_json() == {
        "address": "198.51.100.20",
        "scheme": "https",
        "host": "pong.example:8443",
    }
    async with client.websocket("/ws", headers=headers, scope_base={"client": PROXY}) as ws:
        assert await ws.receive_json() == {"address": "198.51.100.20", "scheme": "wss"}


async def test_one_clients_failed_logins_do_not_lock_out_other_clients_behind_the_proxy(client):
    await signup(client, "alice")
    await signup(client, "bob")
    # One client guesses across many names: its address is throttled, not the proxy's.
    for attempt in range(25):
        await login(
            client,
            f"guess{attempt}",
            peer=PROXY,
            headers=forwarded("198.51.100.66"),
            password="wrong!",
        )
    # Another client, through the same proxy (the per-address lock is the attacker's own).
    response = await login(client, "bob", peer=PROXY, headers=forwarded("198.51.100.20"))
    assert response.status_code == 200, await response.get_json()


async def test_the_forwarded_scheme_and_host_drive_cookie_origin_and_hsts(client):
    await signup(client, "alice")
    headers = forwarded("198.51.100.20", proto="https", host="pong.example:8443")
    response = await login(client, "alice", peer=PROXY, headers=headers)
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = response.headers["Set-Cookie"].split(";", 1)[0]
    # The page's Origin carries the port the browser used, as the forwarded Host does.
    refreshed = await client.post(
        "/api/auth/refresh",
        headers={**headers, "Cookie": cookie, "Origin": "https://pong.example:8443"},
        scope_base={"client": PROXY},
    )
    assert refreshed.status_code == 200, await refreshed.get_json()


async def test_a_stranger_cannot_claim_https_or_another_host(client):
    await signup(client, "alice")
    headers = forwarded("198.51.100.20", proto="https", host="pong.example:8443")
    response = await login(client, "alice", peer=STRANGER, headers={**headers, "Host": "app"})
    assert "Secure" not in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in response.headers
    cookie = response.headers["Set-Cookie"].split(";", 1)[0]
    refused = await client.post(
        "/api/auth/refresh",
        headers={**headers, "Host": "app", "Cookie": cookie, "Origin": "https://pong.example:8443"},
        scope_base={"client": STRANGER},
    )
    assert refused.status_code == 403
    assert (await refused.get_json())["error"]["code"] == "bad_origin"


async def test_an_ipv4_peer_on_a_dual_stack_socket_is_recognised(client):
    await signup(client, "alice")
    response = await login(
        client, "alice", peer=("::ffff:10.9.0.2", 1), headers=forwarded("198.51.100.20")
    )
    assert await session_addresses(client, (await response.get_json())["access"]) == [
        "198.51.100.20"
    ]


def test_a_setting_that_is_not_a_network_is_refused_with_its_name():
    with pytest.raises(ValidationError, match="TRANSCENDENCE_TRUSTED_PROXIES: 'nginx'"):
        Settings(_env_file=None, trusted_proxies="10.0.0.0/8, nginx")
