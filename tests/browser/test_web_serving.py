"""How the SPA is served (no browser needed): the shell for client paths, versioned assets."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest

from transcendence.routes import WebAssets

SHELL_PATHS = ["/", "/login", "/users/3", "/friends?tab=1", "/no/such/page", "/settings/"]


async def asset_base(client) -> str:
    html = await (await client.get("/")).get_data(as_text=True)
    found = re.search(r'src="(/static/[0-9a-f]{12})/js/main\.js"', html)
    assert found, html
    return found.group(1)


@pytest.mark.parametrize("path", SHELL_PATHS)
async def test_client_paths_answer_the_shell(client, path):
    response = await client.get(path)
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"
    html = await response.get_data(as_text=True)
    assert '<main id="app"' in html and "%ASSETS%" not in html
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


async def test_the_import_map_is_the_one_inline_script_the_csp_allows(client):
    response = await client.get("/")
    html = await response.get_data(as_text=True)
    base = await asset_base(client)
    found = re.search(r'<script type="importmap">(.*?)</script>', html, flags=re.S)
    assert found, html
    # The versioned URL of the module API, filled in before hashing.
    assert json.loads(found.group(1)) == {
        "imports": {"@transcendence/shell": f"{base}/js/module-api.js"}
    }
    digest = base64.b64encode(hashlib.sha256(found.group(1).encode()).digest()).decode()
    script_src = re.search(r"script-src ([^;]*)", response.headers["Content-Security-Policy"])
    assert script_src and script_src.group(1).split() == ["'self'", f"'sha256-{digest}'"]
    assert (await client.get(f"{base}/js/module-api.js")).status_code == 200
    # Every other response keeps the strict policy: no inline script at all.
    docs_csp = (await client.get("/docs")).headers["Content-Security-Policy"]
    assert re.search(r"script-src 'self';", docs_csp)


@pytest.mark.parametrize(
    "path",
    [
        "/api",
        "/api/nowhere",
        "/api/users/999999/nothing",
        "/modules/sample/static/missing.js",
        "/static/000000000000/js/main.js",
        "/static",
        "/ws",
    ],
)
async def test_server_paths_never_answer_the_shell(client, path):
    response = await client.get(path)
    assert response.status_code in {401, 404}, path
    assert response.content_type == "application/json"
    assert "error" in await response.get_json()


async def test_unknown_api_paths_stay_404_for_every_method(client):
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = await client.open("/api/nowhere", method=method)
        assert response.status_code == 404, method
        assert (await response.get_json())["error"]["code"] == "not_found"
    # And a known path with the wrong method is still a 405.
    assert (await client.delete("/api/modules")).status_code == 405


async def test_operations_and_docs_are_not_the_shell(client):
    for path in ("/healthz", "/readyz", "/openapi.json"):
        response = await client.get(path)
        assert response.content_type == "application/json", path
    docs = await (await client.get("/docs")).get_data(as_text=True)
    assert "js/main.js" not in docs


@pytest.mark.parametrize(
    ("asset", "content_type"),
    [
        ("js/main.js", "text/javascript; charset=utf-8"),
        ("js/views/home.js", "text/javascript; charset=utf-8"),
        ("css/app.css", "text/css; charset=utf-8"),
        ("i18n/fr.json", "application/json"),
        ("img/logo.svg", "image/svg+xml"),
        ("vendor/bootstrap/css/bootstrap.min.css", "text/css; charset=utf-8"),
        ("vendor/bootstrap/js/bootstrap.bundle.min.js", "text/javascript; charset=utf-8"),
    ],
)
async def test_assets_are_versioned_typed_and_immutable(client, asset, content_type):
    base = await asset_base(client)
    response = await client.get(f"{base}/{asset}")
    assert response.status_code == 200
    assert response.content_type == content_type
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "asset", ["index.html", "../pyproject.toml", "vendor/README", "js/nothing.js", ".hidden.js"]
)
async def test_only_real_web_files_are_assets(client, asset):
    base = await asset_base(client)
    response = await client.get(f"{base}/{asset}")
    assert response.status_code == 404
    assert response.content_type == "application/json"


def test_the_version_follows_the_content(tmp_path):
    (tmp_path / "index.html").write_text('<script src="%ASSETS%/js/main.js"></script>')
    (tmp_path / "js").mkdir()
    main = tmp_path / "js" / "main.js"
    main.write_text("console.log(1)")
    assets = WebAssets(tmp_path).refresh()
    first = assets.version
    assert re.fullmatch(r"[0-9a-f]{12}", first)
    assert assets.index == f'<script src="/static/{first}/js/main.js"></script>'.encode()
    assert WebAssets(tmp_path).refresh().version == first  # stable across processes
    main.write_text("console.log(22)")
    assert assets.refresh().version != first
