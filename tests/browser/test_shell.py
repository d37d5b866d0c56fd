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


def open_account_menu_item(page, name: str) -> None:
    """A page of the account menu, reached in the app (no page load)."""
    page.locator("#account-menu").click()
    page.get_by_role("link", name=name, exact=True).click()


def switch_off_live(page, server, name: str, link: str) -> None:
    """Switch a module off on the server; the open tab meets its 404 and drops it at once."""
    cli(server.env, "modules", "disable", name, "--force")
    until(lambda: not module_enabled(server, name))
    page.get_by_role("link", name=link, exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("This feature is switched off on this server.")


def test_a_switched_off_module_leaves_nothing_behind(new_page, account, server, browser_errors):
    """All that the sample module registered through its registrar goes with it, live."""
    username, password = account("sampled")
    page = new_page()
    log_in(page, username, password)
    sheet = page.locator('link[rel="stylesheet"][href$="/modules/sample/static/sample.css"]')
    expect(sheet).to_have_count(1)
    expect(page.locator("body")).to_have_attribute("data-sample-heard", username)
    open_account_menu_item(page, "Settings")
    expect(page.locator("#sample-settings")).to_contain_text("The sample module has no settings.")
    open_account_menu_item(page, "My profile")
    expect(page.locator("#sample-profile")).to_have_text("Sample notes are public.")

    browser_errors.allow(r"status of 404")  # the module's API answers 404 once it is off
    switch_off_live(page, server, "sample", "Sample")
    try:
        expect(page.get_by_role("link", name="Sample", exact=True)).to_have_count(0)
        expect(sheet).to_have_count(0)
        open_account_menu_item(page, "Settings")
        expect(page.locator("#settings-profile")).to_be_visible()
        expect(page.locator("#sample-settings")).to_have_count(0)
        open_account_menu_item(page, "My profile")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.locator("#sample-profile")).to_have_count(0)
        # Its session listener went too: logging out is news it no longer hears.
        page.locator("#account-menu").click()
        page.locator("#logout-button").click()
        expect(page.get_by_role("navigation").get_by_role("link", name="Log in")).to_be_visible()
        expect(page.locator("body")).to_have_attribute("data-sample-heard", username)
    finally:
        cli(server.env, "modules", "enable", "sample")
        until(lambda: module_enabled(server, "sample"))

    # On again: a page load registers it all again.
    page.reload()
    expect(page.get_by_role("link", name="Sample", exact=True)).to_be_visible()
    expect(sheet).to_have_count(1)
    expect(page.locator("body")).to_have_attribute("data-sample-heard", "nobody")


def test_chat_stops_following_the_session_once_switched_off(
    new_page, account, server, browser_errors
):
    """Chat's session listener is removed with the module: a later login starts no chat."""
    username, password = account("chatoff")
    page = new_page()
    log_in(page, username, password)
    live(page)
    expect(page.locator("#chat-dock-toggle")).to_be_visible()

    browser_errors.allow(r"status of 404")  # chat's API answers 404 once it is off
    switch_off_live(page, server, "chat", "Chat")
    try:
        expect(page.locator("#chat-dock-toggle")).to_have_count(0)
        page.locator("#account-menu").click()
        page.locator("#logout-button").click()
        asked: list[str] = []
        page.on("request", lambda request: asked.append(request.url))
        # Logged in again in the same tab (no page load): nothing of chat wakes up.
        page.get_by_role("navigation").get_by_role("link", name="Log in").click()
        page.get_by_label("Username or email").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in", exact=True).click()
        expect(page.locator("#account-menu")).to_be_visible()
        live(page)
        assert any("/api/me/" in url for url in asked), asked  # the log-in was seen
        assert not [url for url in asked if "/api/chat" in url]
        expect(page.locator("#chat-dock-toggle")).to_have_count(0)
    finally:
        cli(server.env, "modules", "enable", "chat")
        until(lambda: module_enabled(server, "chat"))
