"""Operations: module metrics, outages answered as 503 `unavailable`, and draining."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from tortoise.exceptions import DBConnectionError, OperationalError
from websockets.exceptions import InvalidStatus

from realtime_kit import realtime_server
from transcendence.app import drain
from transcendence.bus import BusUnavailable


def assert_error(body: dict, code: str) -> None:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code


def sample(text: str, line_start: str) -> float:
    for line in text.splitlines():
        if line.startswith(line_start + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{line_start} is not on /metrics:\n{text}")


async def scrape(client) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200
    return await response.get_data(as_text=True)


# --- metrics modules declare -----------------------------------------------------------


async def test_a_module_declares_metrics_that_show_on_metrics(app, client):
    metrics = app.extensions["transcendence"].metrics
    things = metrics.counter("transcendence_sample_things", "Things done", ["kind"])
    things.labels("big").inc(2)
    queue = metrics.gauge("transcendence_sample_queue", "Items waiting")
    queue.set_function(lambda: 7)
    waits = metrics.histogram("transcendence_sample_wait_seconds", "Waits", buckets=[0.1, 1])
    waits.observe(0.5)
    text = await scrape(client)
    assert sample(text, 'transcendence_sample_things_total{kind="big"}') == 2
    assert sample(text, "transcendence_sample_queue") == 7
    assert sample(text, 'transcendence_sample_wait_seconds_bucket{le="1.0"}') == 1


async def test_declaring_again_returns_the_same_metric(app, client):
    """A module switched off and on again keeps counting the same series."""
    metrics = app.extensions["transcendence"].metrics
    first = metrics.counter("transcendence_sample_restarts", "Restarts")
    first.inc()
    again = metrics.counter("transcendence_sample_restarts_total", "Restarts")
    assert again is first
    again.inc()
    assert sample(await scrape(client), "transcendence_sample_restarts_total") == 2


async def test_a_clashing_or_badly_named_metric_is_refused(app):
    metrics = app.extensions["transcendence"].metrics
    metrics.counter("transcendence_sample_clash", "A counter", ["kind"])
    with pytest.raises(ValueError, match="already declared as a counter"):
        metrics.gauge("transcendence_sample_clash", "Now a gauge")
    with pytest.raises(ValueError, match="already declared"):
        metrics.counter("transcendence_sample_clash", "Other labels", ["side"])
    with pytest.raises(ValueError, match="transcendence_<module>_<what>"):
        metrics.counter("requests", "Not ours")


@pytest.mark.modules("chat")
async def test_sent_chat_messages_are_counted(app, client, make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    headers = {"Authorization": f"Bearer {alice.access}"}
    chat = await client.post(
        "/api/chats/create_private/", json={"user_id": bob.user.id}, headers=headers
    )
    assert chat.status_code == 201
    chat_id = (await chat.get_json())["id"]
    for text in ("one", "two"):
        sent = await client.post(
            "/api/messages/", json={"chat": chat_id, "text": text}, headers=headers
        )
        assert sent.status_code == 201
    text = await scrape(client)
    assert sample(text, 'transcendence_chat_messages_sent_total{kind="direct"}') == 2


@pytest.mark.modules("pong")
async def test_running_and_finished_games_are_on_metrics(settings):
    from transcendence_pong.clock import ScaledClock

    async with realtime_server(settings) as server:
        server.app.extensions["pong"].games.clock = ScaledClock(20)
        tab = await server.connect(await server.user("carol"))
        created = await tab.request(
            "pong.create", {"mode": "local", "options": {"score_limit": 1, "paddle_height": 20}}
        )
        assert created["type"] == "pong.create", created
        async with httpx.AsyncClient(base_url=server.http) as http:
            during = (await http.get("/metrics")).text
            assert sample(during, "transcendence_pong_games_running") == 1
            while (await tab.expect("pong.state", timeout=30))["data"]["phase"] != "finished":
                pass
            # The match is recorded (then counted) just after its last snapshot went out.
            finished = 'transcendence_pong_games_finished_total{mode="local"}'
            async with asyncio.timeout(20):
                while finished not in (after := (await http.get("/metrics")).text):
                    await asyncio.sleep(0.05)
        await tab.close()
    assert sample(after, "transcendence_pong_games_running") == 0
    assert sample(after, finished) == 1


# --- outages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "dependency"),
    [
        (DBConnectionError("cannot connect"), "database"),
        (ConnectionRefusedError(111, "Connection refused"), "database"),
        (BusUnavailable("Redis at redis://x is unavailable"), "bus"),
    ],
)
async def test_an_outage_is_a_503_unavailable_without_a_traceback(
    client, monkeypatch, caplog, error, dependency
):
    def fail(app):
        raise error

    monkeypatch.setattr("transcendence.routes.describe_modules", fail)
    with caplog.at_level(logging.WARNING):
        response = await client.get("/api/modules")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    body = await response.get_json()
    assert_error(body, "unavailable")
    assert body["error"]["details"] == {"dependency": dependency}
    assert "Traceback" not in caplog.text and "unhandled error" not in caplog.text
    assert f"{dependency} unavailable" in caplog.text


async def test_a_driver_error_wrapped_by_the_orm_is_an_outage_too(client, monkeypatch):
    import asyncpg

    def fail(app):
        try:
            raise asyncpg.ConnectionDoesNotExistError("connection was closed")
        except asyncpg.ConnectionDoesNotExistError as exc:
            raise OperationalError(exc) from exc

    monkeypatch.setattr("transcendence.routes.describe_modules", fail)
    response = await client.get("/api/modules")
    assert response.status_code == 503
    assert (await response.get_json())["error"]["details"] == {"dependency": "database"}


async def test_a_connection_killed_during_a_commit_is_an_outage(client, monkeypatch):
    """asyncpg reports a COMMIT on a connection PostgreSQL's fast shutdown terminated as an
    internal client error: an outage (503, retried), not a bug (500)."""
    from asyncpg import InternalClientError

    def fail(app):
        raise InternalClientError("cannot switch to state 15; another operation (2) is in progress")

    monkeypatch.setattr("transcendence.routes.describe_modules", fail)
    response = await client.get("/api/modules")
    assert response.status_code == 503
    assert (await response.get_json())["error"]["details"] == {"dependency": "database"}


async def test_a_plain_bug_is_still_a_500(client, monkeypatch):
    def fail(app):
        raise KeyError("a bug")

    monkeypatch.setattr("transcendence.routes.describe_modules", fail)
    response = await client.get("/api/modules")
    assert response.status_code == 500
    assert_error(await response.get_json(), "internal_error")


# --- draining -----------------------------------------------------------------------------


async def test_draining_runs_module_hooks_before_closing_sockets(settings):
    """Shutdown hooks still reach the sockets (and the bus and database) before the close."""
    settings.extra_modules = [*settings.extra_modules, "transcendence_opsample"]
    async with realtime_server(settings) as server:
        tab = await server.connect(await server.user("dana"))
        await drain(server.app)
        bye = await tab.expect("opsample.bye")
        assert bye["data"] == {"sockets": 1}
        assert await tab.closed() == (1001, "server shutting down")
        # Not ready any more, so a proxy sends new work elsewhere; no new sockets either.
        async with httpx.AsyncClient(base_url=server.http) as http:
            ready = await http.get("/readyz")
        assert ready.status_code == 503
        assert_error(ready.json(), "draining")
        with pytest.raises(InvalidStatus) as refused:
            await server.connect()
        assert refused.value.response.status_code == 403
        await drain(server.app)  # a second call (the app's own shutdown) does nothing more
