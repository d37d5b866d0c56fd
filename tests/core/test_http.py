"""HTTP conventions: JSON errors on every failure path, headers, operations endpoints."""

from __future__ import annotations

import pytest


def assert_error(body: dict, code: str) -> None:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


async def test_unknown_path_is_json_404(client):
    response = await client.get("/api/nowhere")
    assert response.status_code == 404
    assert response.content_type == "application/json"
    assert_error(await response.get_json(), "not_found")


async def test_wrong_method_is_json_405_with_allowed_methods(client):
    response = await client.delete("/api/modules")
    assert response.status_code == 405
    body = await response.get_json()
    assert_error(body, "method_not_allowed")
    assert "GET" in body["error"]["details"]["allowed"]
    assert "GET" in response.headers["Allow"]


async def test_oversized_body_is_json_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = await client.post(
        "/api/sample/notes", data=b"x" * 4096, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert_error(await response.get_json(), "payload_too_large")


async def test_crash_is_json_500_without_traceback(client, caplog):
    response = await client.get("/api/sample/boom")
    assert response.status_code == 500
    body = await response.get_json()
    assert_error(body, "internal_error")
    text = await response.get_data(as_text=True)
    assert "secret internal detail" not in text and "Traceback" not in text
    assert "secret internal detail" in caplog.text  # logged for the maintainer instead


async def test_schema_violation_is_json_400_with_details(client):
    response = await client.post("/api/sample/notes", json={"txt": "typo"})
    assert response.status_code == 400
    body = await response.get_json()
    assert_error(body, "validation_error")
    assert any(d["loc"] == ["text"] for d in body["error"]["details"])


async def test_invalid_json_is_json_400(client):
    response = await client.post(
        "/api/sample/notes", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert (await response.get_json())["error"]["code"] == "invalid_json"


async def test_valid_request_is_stored(client):
    response = await client.post("/api/sample/notes", json={"text": "hi"})
    assert response.status_code == 201
    listed = await (await client.get("/api/sample/notes")).get_json()
    assert [n["text"] for n in listed["items"]] == ["hi"]


async def test_security_headers_on_every_response(client):
    for path in ("/healthz", "/api/nowhere", "/"):
        headers = (await client.get(path)).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "no-referrer"


async def test_request_id_is_echoed_or_made(client):
    echoed = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["X-Request-ID"] == "abc-123"
    made = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["X-Request-ID"] != "bad id with spaces"
    assert len(made.headers["X-Request-ID"]) == 32


async def test_healthz_and_readyz(client):
    assert (await client.get("/healthz")).status_code == 200
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert (await ready.get_json())["checks"] == {"database": "ok", "bus": "ok"}


async def test_readyz_names_each_dependency_that_is_down(app, client, monkeypatch):
    async def down():
        raise ConnectionError("gone")

    monkeypatch.setattr("transcendence.db.ping", down)
    monkeypatch.setattr(app.extensions["transcendence"].bus, "ping", down)
    response = await client.get("/readyz")
    assert response.status_code == 503
    body = await response.get_json()
    assert_error(body, "not_ready")
    assert body["error"]["details"] == {
        "database": "unavailable: ConnectionError",
        "bus": "unavailable: ConnectionError",
    }
    monkeypatch.undo()
    assert (await client.get("/readyz")).status_code == 200


async def test_metrics_count_requests_by_route(client):
    await client.get("/api/sample/notes")
    text = await (await client.get("/metrics")).get_data(as_text=True)
    assert (
        'transcendence_http_requests_total{method="GET",route="/api/sample/notes",status="200"}'
        in text
    )
    assert "transcendence_modules_enabled 2.0" in text


async def test_openapi_documents_module_routes(client):
    spec = await (await client.get("/openapi.json")).get_json()
    assert "/api/sample/notes" in spec["paths"]
    assert "/api/modules" in spec["paths"]
    docs = await client.get("/docs")
    assert docs.status_code == 200


@pytest.mark.parametrize("path", ["/api/modules", "/api/modules/sample"])
async def test_module_introspection_is_json(client, path):
    assert (await client.get(path)).status_code == 200


async def test_body_that_is_not_utf8_is_json_400(client):
    response = await client.post(
        "/api/sample/notes", data=b"\x80\xff", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert (await response.get_json())["error"]["code"] == "invalid_json"


async def test_views_return_what_quart_schema_would_make_of_them():
    """`transcendence.conversion` caches what quart-schema builds per response: every kind
    of return value must still answer the same body, status and headers."""
    from dataclasses import dataclass
    from datetime import UTC, datetime

    from pydantic import BaseModel
    from quart import Quart
    from quart_schema import QuartSchema

    from transcendence import conversion

    class Model(BaseModel):
        name: str
        at: datetime

    @dataclass
    class Point:
        x: int
        model: Model

    when = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    returns = {
        "dict": {"a": 1, "nested": Model(name="n", at=when), "when": when},
        "list": [Model(name="l", at=when), {"k": [1, 2]}],
        "model": Model(name="m", at=when),
        "dataclass": Point(1, Model(name="p", at=when)),
        "status": ({"created": True}, 201),
        "headers": ({"h": 1}, {"x_thing": "yes"}),
        "both": ([Point(2, Model(name="b", at=when))], 202, {"x_other": "1"}),
        "empty": {},
    }

    def make(cached: bool) -> Quart:
        app = Quart(f"conversion_{cached}")
        QuartSchema(app)
        if cached:
            conversion.install(app)
        for name, value in returns.items():
            app.add_url_rule(f"/{name}", name, lambda value=value: value)
        return app

    plain, cached = make(False).test_client(), make(True).test_client()
    for name in returns:
        want, got = await plain.get(f"/{name}"), await cached.get(f"/{name}")
        assert got.status_code == want.status_code, name
        assert await got.get_json() == await want.get_json(), name
        assert sorted(got.headers.items()) == sorted(want.headers.items()), name
