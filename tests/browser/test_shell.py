"""The module-aware shell and the realtime connection, against a server that changes."""

from __future__ import annotations

import time

import httpx
import pytest
from browserkit import live, log_in, restart
from playwright.sync_api import expect

from servers import cli

pytestmark = pytest.mark.browser


def module_enabled(server, name: str) -> bool:
    listed = httpx.get(f"{server.url}/api/modules", timeout=5).json()
    return any(m["name"] == name and m["enabled"] for m in listed)


def until(check, deadline: float = 10.0) -> None:
    """Wait for a server-side state that has no event to await (a module toggle)."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > deadline:
            raise AssertionError(f"not true within {deadline}s")
        time.sleep(0.05)


def test_a_module_brings_its_view_and_link(new_page, server, browser_errors, shot):
    httpx.post(f"{server.url}/api/sample/notes", json={"text": "served by a module"}, timeout=5)
    page = new_page()
    page.goto("/")
    sample_card = page.locator('[data-module="sample"]')
    expect(sample_card).to_contain_text("Proves every hook in the tests.")
    child_card = page.locator('[data-module="sample_child"]')
    expect(child_card).to_contain_text("Available through the API")
    # Visitors see what they can do; versions, routes and set-up notes are not theirs.
    expect(page.locator("#app")).not_to_contain_text("API route")
    expect(page.locator("#app .module-unconfigured")).to_have_count(0)

    # The evaluator's details have their own page, linked from the home page and the footer.
    page.get_by_role("link", name="Module details").click()
    expect(page.get_by_role("heading", name="Modules on this server")).to_be_visible()
    about = page.locator("#about-modules")
    expect(about.locator('[data-module="sample"]')).to_contain_text("API route")
    # A module without the settings it needs says so, and what to set (no credentials here).
    expect(about.locator('[data-module="oauth42"] .module-unconfigured')).to_have_text(
        "Not configured: set OAUTH42_CLIENT_ID and OAUTH42_CLIENT_SECRET (docs/oauth42.md)"
    )
    expect(about.locator('[data-module="sample"] .module-unconfigured')).to_have_count(0)
    shot(page, "about-modules")
    page.get_by_role("link", name="Home", exact=True).click()

    # The sample module's static/index.js registered a route and a navigation link.
    sample_card.get_by_role("link", name="Open").click()
    expect(page.get_by_role("heading", name="Sample notes")).to_be_visible()
    expect(page.locator("#sample-notes")).to_contain_text("served by a module")
    expect(page.get_by_role("link", name="Sample", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    shot(page, "module-view")

    # Its translations came with it.
    page.get_by_label("Language").select_option("fr")
    expect(page.get_by_role("heading", name="Notes d\u2019exemple")).to_be_visible()
    expect(page.get_by_role("link", name="Exemple", exact=True)).to_be_visible()
    page.get_by_label("Langue").select_option("en")
    page.get_by_role("link", name="Home", exact=True).click()

    # Switched off on the server: the open tab drops its link as soon as it meets the 404.
    cli(server.env, "modules", "disable", "sample", "--force")
    until(lambda: not module_enabled(server, "sample"))
    browser_errors.allow(r"status of 404")  # the module's API now answers 404
    page.get_by_role("link", name="Sample", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("This feature is switched off on this server.")
    expect(page.get_by_role("link", name="Sample", exact=True)).to_have_count(0)
    shot(page, "module-switched-off")
    page.reload()
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.locator('[data-module="sample"]')).to_have_count(0)

    # And back on: a new page load imports it again.
    cli(server.env, "modules", "enable", "sample")
    until(lambda: module_enabled(server, "sample"))
    page.reload()
    expect(page.get_by_role("heading", name="Sample notes")).to_be_visible()


def test_realtime_reconnects_after_a_server_restart(new_page, account, server, browser_errors):
    username, _ = account("restart")
    page = new_page()
    log_in(page, username)
    live(page)
    indicator = page.locator("#connection")
    expect(indicator).to_contain_text("Live")

    # While the server is away the browser reports failed connection attempts: expected.
    browser_errors.allow(r"WebSocket connection to .* failed")
    browser_errors.allow(r"ERR_CONNECTION_REFUSED")
    page.evaluate(
        """() => {
            window.__states = [];
            const el = document.getElementById("connection");
            new MutationObserver(() => window.__states.push(el.dataset.state))
                .observe(el, {attributes: true, attributeFilter: ["data-state"]});
        }"""
    )
    restart(server)
    # It noticed, backs off, comes back and authenticates again, with no reload.
    expect(indicator).to_have_attribute("data-state", "online", timeout=45_000)
    states = page.evaluate("window.__states")
    assert "reconnecting" in states and states[-1] == "online", states
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("link", name="Friends", exact=True).click()
    expect(page.get_by_role("heading", name="Friends", exact=True)).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True
