"""Accounts in the browser: sign up, log out and in (with 2FA), sessions, profile, language."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pyotp
import pytest
from browserkit import PASSWORD, live, log_in, unique
from PIL import Image
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_signup_logout_and_login(new_page, shot):
    page = new_page()
    page.goto("/")
    expect(page.get_by_role("heading", name="Pong, with friends.")).to_be_visible()
    shot(page, "home-visitor")

    page.get_by_role("link", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/signup$"))
    username = unique("signup")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Email").fill(f"{username}@example.test")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    shot(page, "signup")
    page.get_by_role("button", name="Sign up").click()

    expect(page.get_by_role("heading", name=f"Welcome back, {username}")).to_be_visible()
    expect(page.locator("#account-menu")).to_contain_text(username)
    live(page)
    shot(page, "home-member")

    page.locator("#account-menu").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()
    expect(page.locator("#account-menu")).to_have_count(0)
    expect(page.locator("#connection")).to_be_hidden()

    log_in(page, username)
    expect(page.get_by_role("heading", name=f"Welcome back, {username}")).to_be_visible()
    shot(page, "logged-in-again")


def test_a_wrong_password_is_explained(new_page, account, browser_errors, shot):
    username, _ = account("wrong")
    page = new_page()
    # The 401 of the login attempt is what this test is about.
    browser_errors.allow(r"status of 401")
    page.goto("/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    expect(page.get_by_label("Password")).to_be_focused()
    shot(page, "login-error")


def test_login_with_two_factor(new_page, account, shot):
    username, password = account("twofa")
    page = new_page()
    log_in(page, username, password)

    page.goto("/settings")
    page.get_by_role("button", name="Set up two-factor authentication").click()
    expect(page.locator("#twofa-qr")).to_be_visible()
    secret = page.locator("#twofa-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    shot(page, "2fa-setup")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    codes = page.locator("#recovery-codes li")
    expect(codes.first).to_be_visible()
    assert codes.count() >= 5
    shot(page, "2fa-recovery-codes")
    page.get_by_role("button", name="I saved them").click()
    expect(page.locator("#twofa-status")).to_have_text("On")

    page.locator("#account-menu").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.locator("#account-menu")).to_have_count(0)

    page.goto("/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    code_field = page.get_by_label("Authentication code")
    expect(code_field).to_be_focused()
    shot(page, "2fa-login-step")
    # The next step's code: the one that turned 2FA on may not be used again (no replay).
    code_field.fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name=f"Welcome back, {username}")).to_be_visible()
    live(page)


def test_reload_keeps_the_session(new_page, account, shot):
    username, _ = account("reload")
    page = new_page()
    log_in(page, username)
    page.goto("/friends")
    expect(page.get_by_role("heading", name="Friends", exact=True)).to_be_visible()

    page.reload()
    # Still logged in, on the same view, with the socket re-authenticated.
    expect(page.get_by_role("heading", name="Friends", exact=True)).to_be_visible()
    expect(page.locator("#account-menu")).to_contain_text(username)
    live(page)
    # The access token lives in memory only: nothing of it is left in storage.
    stored = page.evaluate("() => JSON.stringify({...localStorage, ...sessionStorage})")
    assert "eyJ" not in stored
    shot(page, "friends-after-reload")


def test_protected_view_asks_to_log_in_and_comes_back(new_page, account, shot):
    username, _ = account("next")
    page = new_page()
    page.goto("/settings")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fsettings$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    shot(page, "login-for-settings")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/settings$"))
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()


def test_profile_edit_with_avatar_upload(new_page, account, shot, tmp_path):
    username, _ = account("avatar")
    image = tmp_path / "avatar.png"
    picture = Image.new("RGB", (320, 320), (34, 211, 238))
    for x in range(80, 240):
        for y in range(80, 240):
            picture.putpixel((x, y), (244, 114, 182))
    picture.save(image)

    page = new_page()
    log_in(page, username)
    page.goto("/settings")
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    shot(page, "settings")

    name = f"Ace {username[-4:]}"
    page.get_by_label("Display name").fill(name)
    page.locator("#profile-form").get_by_role("button", name="Save changes").click()
    expect(page.locator("#profile-form").get_by_role("alert")).to_have_text("Saved.")
    expect(page.locator("#account-menu")).to_contain_text(name)

    before = page.locator("#avatar-current").get_attribute("src")
    page.get_by_label("Choose a picture").set_input_files(str(image))
    preview = page.locator("#avatar-preview")
    expect(preview).to_be_visible()
    expect(preview).to_have_attribute("src", re.compile(r"^blob:"))
    shot(page, "avatar-preview")
    page.get_by_role("button", name="Upload avatar").click()
    expect(page.locator("#avatar-form").get_by_role("alert")).to_have_text(
        "Your new avatar is saved."
    )
    expect(page.locator("#avatar-current")).not_to_have_attribute("src", before or "")

    page.locator("#account-menu").click()
    page.get_by_role("link", name="My profile").click()
    expect(page.locator("#profile-name")).to_have_text(name)
    avatar = page.locator("#profile-avatar")
    expect(avatar).to_have_attribute("src", re.compile(r"/api/users/\d+/avatar\?v="))
    # The uploaded picture was re-encoded (256 x 256) and actually shows.
    page.wait_for_function(
        "() => { const img = document.querySelector('#profile-avatar');"
        " return img && img.complete && img.naturalWidth === 256; }"
    )
    shot(page, "profile")


def test_a_weak_password_and_a_bad_picture_are_explained(
    new_page, account, browser_errors, shot, tmp_path
):
    browser_errors.allow(r"status of 400")  # both refusals are the point
    page = new_page()
    page.goto("/signup")
    username = unique("weak")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Email").fill(f"{username}@example.test")
    page.get_by_label("Password", exact=True).fill("password123")
    page.get_by_label("Confirm password").fill("password123")
    page.get_by_role("button", name="Sign up").click()
    # A sentence saying why, not the server's lowercase fragment.
    expect(page.locator("#app").get_by_role("alert")).to_have_text(
        "This password is among the most common ones: choose another."
    )
    shot(page, "weak-password")

    name, _ = account("picture")
    log_in(page, name)
    page.goto("/settings")
    not_a_picture = tmp_path / "notes.png"
    not_a_picture.write_text("these are words, not pixels")
    page.get_by_label("Choose a picture").set_input_files(str(not_a_picture))
    page.get_by_role("button", name="Upload avatar").click()
    expect(page.locator("#avatar-form").get_by_role("alert")).to_have_text(
        "That file is not a picture we can read: use a JPEG, PNG, WebP or GIF image."
    )
    shot(page, "bad-picture")


def test_language_switch_persists(new_page, account, shot):
    username, _ = account("lang")
    page = new_page()
    log_in(page, username)
    expect(page.get_by_role("link", name="Friends", exact=True)).to_be_visible()

    with page.expect_response(
        lambda r: r.url.endswith("/api/me/") and r.request.method == "PATCH" and r.ok
    ):
        page.get_by_label("Language").first.select_option("fr")
    expect(page.get_by_role("link", name="Amis", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name=f"Bon retour, {username}")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    shot(page, "home-french")

    # Saved to the profile: a reload, and a fresh browser, come back in French.
    page.reload()
    expect(page.get_by_role("heading", name=f"Bon retour, {username}")).to_be_visible()
    other = new_page(label="fresh-browser")
    other.goto("/login")
    expect(other.get_by_role("heading", name="Log in")).to_be_visible()
    other.get_by_label("Username or email").fill(username)
    other.get_by_label("Password").fill(PASSWORD)
    other.get_by_role("button", name="Log in", exact=True).click()
    expect(other.get_by_role("heading", name=f"Bon retour, {username}")).to_be_visible()
    other.goto("/settings")
    expect(other.get_by_role("heading", name="Paramètres", exact=True)).to_be_visible()
    shot(other, "settings-french")

    other.get_by_label("Langue").first.select_option("ru")
    expect(other.get_by_role("heading", name="Настройки", exact=True)).to_be_visible()
    shot(other, "settings-russian")


def test_password_change_logs_out_everywhere(new_page, account, shot):
    username, old = account("pw")
    page = new_page()
    log_in(page, username, old)
    page.goto("/settings")
    form = page.locator("#password-form")
    form.get_by_label("Current password").fill(old)
    form.get_by_label("New password").fill("a brand new secret")
    form.get_by_label("Confirm password").fill("a brand new secret")
    form.get_by_role("button", name="Change password").click()
    # Every session ended, this one too: log in again, and land back in the settings.
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fsettings$"))
    expect(page.locator("#toasts")).to_contain_text("Log in again with your new password.")
    shot(page, "login-after-password-change")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill("a brand new secret")
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()


def test_export_then_delete_account(new_page, account, browser_errors, shot):
    username, password = account("gdpr")
    page = new_page()
    log_in(page, username, password)
    page.goto("/settings")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download my data").click()
    exported = download.value
    assert exported.suggested_filename.endswith("-export.json")
    data = json.loads(Path(exported.path()).read_text())
    assert data["profile"]["username"] == username

    page.get_by_role("button", name="Delete my account…").click()
    form = page.locator("#delete-form")
    expect(form.get_by_label("I understand")).to_be_focused()
    form.get_by_label("I understand").check()
    form.get_by_label("Current password").fill(password)
    shot(page, "delete-confirm")
    form.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("heading", name="Pong, with friends.")).to_be_visible()
    expect(page.locator("#toasts")).to_contain_text("Your account and its data are gone.")

    # The account is gone: logging in with it is refused.
    browser_errors.allow(r"status of 401")
    page.goto("/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
