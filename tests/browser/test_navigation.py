"""The router and the shell: Back/Forward, reloadable URLs, not found, keyboard, phones."""

from __future__ import annotations

import re

import pytest
from browserkit import PASSWORD, live, log_in
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def heading(page, name: str):
    return page.get_by_role("heading", name=name, exact=True)


def test_the_bar_holds_every_module_on_a_laptop_screen(new_page, account, shot):
    username, _ = account("wide")
    page = new_page(width=1280)
    log_in(page, username)
    live(page)
    for name in ("Play", "Tournaments", "Chat", "Stats", "Leaderboard", "Friends"):
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    # Notifications is a bell on a wide bar, still named for a screen reader.
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    expect(page.locator("#nav-links .nav-icon")).to_be_visible()
    # One row, and nothing pushed past the right edge (no sideways scrolling).
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.locator(".app-navbar").bounding_box()["height"] < 80
    edge = page.evaluate("document.getElementById('connection').getBoundingClientRect().right")
    assert edge <= 1280
    shot(page, "bar-1280")


def test_back_and_forward_across_views(new_page, account, shot):
    username, _ = account("nav")
    page = new_page()
    log_in(page, username)
    live(page)
    expect(heading(page, f"Welcome back, {username}")).to_be_visible()
    shot(page, "home")

    # Four views by clicking through the navigation bar and the account menu.
    page.get_by_role("link", name="Friends", exact=True).click()
    expect(heading(page, "Friends")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/friends$"))
    shot(page, "friends")
    page.get_by_role("link", name="Notifications", exact=True).click()
    expect(heading(page, "Notifications")).to_be_visible()
    shot(page, "notifications")
    page.locator("#account-menu").click()
    page.get_by_role("link", name="Settings").click()
    expect(heading(page, "Settings")).to_be_visible()
    shot(page, "settings")
    page.locator("#account-menu").click()
    page.get_by_role("link", name="My profile").click()
    expect(page.locator("#profile-name")).to_have_text(username)
    expect(page).to_have_url(re.compile(r"/users/\d+$"))
    shot(page, "profile")
    page.get_by_role("link", name="Sample", exact=True).click()
    expect(heading(page, "Sample notes")).to_be_visible()

    # Back through every one of them, then Forward again; the page never reloads.
    page.evaluate("window.__noReload = true")
    page.go_back()
    expect(page.locator("#profile-name")).to_have_text(username)
    page.go_back()
    expect(heading(page, "Settings")).to_be_visible()
    page.go_back()
    expect(heading(page, "Notifications")).to_be_visible()
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    page.go_back()
    expect(heading(page, "Friends")).to_be_visible()
    page.go_back()
    expect(heading(page, f"Welcome back, {username}")).to_be_visible()
    page.go_forward()
    expect(heading(page, "Friends")).to_be_visible()
    page.go_forward()
    expect(heading(page, "Notifications")).to_be_visible()
    page.go_forward()
    expect(heading(page, "Settings")).to_be_visible()
    assert page.evaluate("window.__noReload") is True
    # Each of them is also a URL that survives a reload.
    page.reload()
    expect(heading(page, "Settings")).to_be_visible()
    expect(page).to_have_title("Settings · Transcendence")


def test_unknown_path_shows_not_found(new_page, shot):
    page = new_page()
    response = page.goto("/no/such/page")
    assert response is not None and response.status == 200
    expect(heading(page, "Page not found")).to_be_visible()
    expect(page.get_by_text("There is nothing at /no/such/page.")).to_be_visible()
    shot(page, "not-found")
    page.get_by_role("link", name="Back to home").click()
    expect(heading(page, "Pong, with friends.")).to_be_visible()
    # And an unknown profile is a readable answer too, not a broken page.
    page.goto("/users/abc")
    expect(heading(page, "Page not found")).to_be_visible()


def test_a_missing_player_is_said_in_words(new_page, account, browser_errors):
    browser_errors.allow(r"status of 404")  # the profile's API answers 404 on purpose
    name, _ = account("nav")
    page = new_page()
    log_in(page, name)
    page.goto("/users/99999")
    expect(heading(page, "Player not found")).to_be_visible()
    expect(
        page.get_by_text("No player has this address: the account may have been deleted.")
    ).to_be_visible()
    expect(page).to_have_title("Player not found · Transcendence")
    # Nothing to try again: the answer will not change.
    expect(page.get_by_role("button", name="Try again")).to_have_count(0)
    expect(page.get_by_role("link", name="Back to home")).to_be_visible()


def test_keyboard_focus_order(new_page):
    page = new_page()
    page.goto("/")
    expect(heading(page, "Pong, with friends.")).to_be_visible()
    # The skip link is the first stop of the page, and it leads to the content.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#app")).to_be_focused()

    # After a navigation, focus moves to the new view's heading, then through its form.
    page.locator("#nav-account").get_by_role("link", name="Log in").click()
    expect(heading(page, "Log in")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Username or email")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Log in", exact=True)).to_be_focused()


def test_phone_viewport(new_page, account, shot):
    username, _ = account("phone")
    page = new_page(width=375, height=740, is_mobile=True, has_touch=True)
    page.goto("/")
    expect(heading(page, "Pong, with friends.")).to_be_visible()
    no_sideways_scroll = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(no_sideways_scroll)
    shot(page, "home-phone")

    # The links fold into a menu button below 1200 px.
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    nav_login = page.locator("#nav-account").get_by_role("link", name="Log in", exact=True)
    expect(nav_login).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav_login).to_be_visible()
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))
    shot(page, "menu-open")
    nav_login.click()
    expect(heading(page, "Log in")).to_be_visible()
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(heading(page, f"Welcome back, {username}")).to_be_visible()
    assert page.evaluate(no_sideways_scroll)
    shot(page, "home-member-phone")

    for path, title in (
        ("/friends", "Friends"),
        ("/settings", "Settings"),
        ("/notifications", "Notifications"),
    ):
        page.goto(path)
        expect(heading(page, title)).to_be_visible()
        assert page.evaluate(no_sideways_scroll), f"{path} scrolls sideways at 375 px"
        shot(page, f"{title.lower()}-phone")

    # The menu closes again after choosing a view (chosen once it is open, as a person would).
    menu.click()
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))
    page.get_by_role("link", name="Friends", exact=True).click()
    expect(heading(page, "Friends")).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
