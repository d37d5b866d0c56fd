"""The API docs page: Swagger UI from vendored files, under the app's own CSP."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_docs_lists_the_operations_without_a_console_error(new_page, server, shot):
    page = new_page()
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(server.url) else None,
    )
    response = page.goto("/docs")
    assert response is not None and response.ok
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "http" not in csp

    # Operations of the core and of a module, rendered from /openapi.json.
    login = page.locator(".opblock-post", has_text="/api/auth/login")
    expect(login.first).to_be_visible()
    expect(page.locator(".opblock", has_text="/api/modules").first).to_be_visible()
    assert page.locator(".opblock").count() > 20
    # The bearer scheme is declared: Swagger UI offers to authorize.
    expect(page.get_by_role("button", name="Authorize")).to_be_visible()
    login.first.locator(".opblock-summary").click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    shot(page, "docs")
    assert outside == []  # nothing from a CDN (a console error is caught by `new_page`)
