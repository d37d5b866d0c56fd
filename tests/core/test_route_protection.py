"""Every route needs a token unless it is on the public list; a new public route fails here."""

from __future__ import annotations

import re

import pytest

from transcendence.auth import is_public

pytestmark = pytest.mark.modules("*")

# The complete list of endpoints reachable without a token. Adding one is a decision:
# update this list in the same change, and say why in the review.
EXPECTED_PUBLIC = {
    "core.healthz",
    "core.readyz",
    "core.metrics",
    "core.list_modules",
    "core.module_detail",
    "core.index",
    "core.web_asset",
    "module_static",
    "openapi",
    "core.api_docs",
    "auth.signup",
    "auth.login",
    "auth.login_second_factor",
    "auth.refresh",
    "auth.logout",
    "users.avatar",
    "realtime.schema",
    # logging in with 42: the browser arrives without a token (the mfa step carries a cookie)
    "oauth42.status",
    "oauth42.login",
    "oauth42.callback",
    "oauth42.mfa",
    # the test module's deliberately public routes
    "sample.create_note",
    "sample.list_notes",
    "sample.greetings",
    "sample.boom",
}

_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def concrete(rule: str) -> str:
    def fill(match: re.Match) -> str:
        converter = match.group(1) or "string"
        return {"int": "1", "id": "1", "uuid": "00000000-0000-0000-0000-000000000000"}.get(
            converter, "x"
        )

    return _PARAM.sub(fill, rule)


def http_rules(app):
    for rule in app.url_map.iter_rules():
        if getattr(rule, "websocket", False):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method


async def test_public_routes_are_exactly_the_listed_ones(app):
    public = {rule.endpoint for rule, _ in http_rules(app) if is_public(app, rule.endpoint)}
    assert public == EXPECTED_PUBLIC & {rule.endpoint for rule, _ in http_rules(app)}
    assert public - EXPECTED_PUBLIC == set()


async def test_every_other_route_answers_401_without_a_token(app, client):
    checked = 0
    for rule, method in http_rules(app):
        if rule.endpoint in EXPECTED_PUBLIC:
            continue
        for headers in ({}, {"Authorization": "Bearer fake"}):
            response = await client.open(concrete(rule.rule), method=method, headers=headers)
            assert response.status_code == 401, (method, rule.rule, response.status_code)
            body = await response.get_json()
            assert body["error"]["code"] in {"unauthorized", "invalid_token"}, rule.rule
        checked += 1
    assert checked >= 5


async def test_me_with_a_fake_token_is_401_json(client):
    response = await client.get("/api/me/", headers={"Authorization": "Bearer fake"})
    assert response.status_code == 401
    assert response.content_type == "application/json"
    assert (await response.get_json())["error"]["code"] == "invalid_token"
