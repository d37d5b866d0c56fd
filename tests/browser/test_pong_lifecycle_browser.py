"""Leaving a game is never silent (Playwright, Debian's Chromium): leaving the game view
while playing asks to confirm; once left, the player is away (the game pauses for the
opponent) and every page shows "Game in progress — Resume (N s)", which leads back."""

from __future__ import annotations

import re

import pytest
from browserkit import PASSWORD, live, log_in
from playwright.sync_api import expect
from test_pong import GAME_URL, game_of, open_lobby, set_options

pytestmark = pytest.mark.browser


def test_leaving_mid_game_asks_then_pauses_and_the_banner_brings_the_player_back(
    new_page, account, shot
):
    ann, _ = account("ann")
    bob, _ = account("bob")
    ann_page = new_page(label="ann")
    bob_page = new_page(label="bob")
    for page, name in ((ann_page, ann), (bob_page, bob)):
        log_in(page, name)
        live(page)
        open_lobby(page)
        # Walls for paddles and a slow ball: nobody scores while Ann is away.
        set_options(page, score_limit=1, paddle=600, ball=100)
    ann_page.get_by_role("button", name="Find an opponent").click()
    expect(ann_page.locator(".pong-waiting")).to_be_visible()
    bob_page.get_by_role("button", name="Find an opponent").click()
    expect(bob_page).to_have_url(GAME_URL)
    expect(ann_page).to_have_url(bob_page.url)
    game_url = bob_page.url
    bob_game = game_of(bob_page)
    expect(game_of(ann_page)).to_have_attribute("data-phase", "playing")

    # A navigation link in the middle of the game asks first; "Cancel" stays.
    asked: list[str] = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    ann_page.once("dialog", dismiss)
    ann_page.get_by_role("link", name="Stats", exact=True).click()
    expect(game_of(ann_page)).to_have_attribute("data-phase", "playing")
    assert asked and "Leave it?" in asked[0]
    assert ann_page.url == game_url

    # "OK" leaves: Ann is away, the game pauses for Bob.
    def accept(dialog):
        asked.append(dialog.message)
        dialog.accept()

    ann_page.once("dialog", accept)
    ann_page.get_by_role("link", name="Stats", exact=True).click()
    expect(ann_page).to_have_url(re.compile(r"/stats$"))
    assert len(asked) == 2
    expect(bob_game).to_have_attribute("data-paused", "true")
    expect(bob_page.get_by_test_id("pong-status")).to_contain_text(
        re.compile(rf"{ann} is disconnected: they lose by forfeit in \d+ s")
    )

    # Every page shows the banner with the seconds left; its Resume goes back to the game.
    banner = ann_page.get_by_test_id("pong-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(re.compile(r"Game in progress —\s*Resume \(\d+ s\)"))
    shot(ann_page, "banner")
    ann_page.get_by_role("link", name="Friends", exact=True).click()
    expect(banner).to_be_visible()
    ann_page.get_by_test_id("pong-resume").click()
    expect(ann_page).to_have_url(game_url)
    expect(ann_page.get_by_test_id("pong-banner")).to_have_count(0)
    expect(bob_game).to_have_attribute("data-paused", "false")
    expect(bob_game).to_have_attribute("data-phase", "playing")


def test_the_mute_control_silences_the_sounds_and_is_remembered(new_page, account, shot):
    ann, _ = account("ann")
    page = new_page(label="ann")
    log_in(page, ann)
    live(page)
    open_lobby(page)
    set_options(page, score_limit=1, paddle=600)  # walls: the ball bounces, nobody scores
    page.get_by_role("button", name="Local game (one keyboard)").click()
    game = game_of(page)
    expect(game).to_have_attribute("data-phase", "playing")
    # Paddle hits make sounds through the master gain of the Web Audio graph.
    page.wait_for_function(
        "() => Number(document.getElementById('pong-game').dataset.sounds || 0) > 0"
    )
    volume = "document.getElementById('pong-game').pongSounds.graph.master.gain.value"
    assert page.evaluate(volume) > 0
    mute = page.get_by_test_id("pong-mute")
    expect(mute).to_have_text("Sound: on")
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "true")
    assert page.evaluate(volume) == 0
    # Remembered for this user: the next game view starts muted.
    page.reload()
    expect(page.get_by_test_id("pong-mute")).to_have_text("Sound: off")
    assert page.evaluate(volume) == 0


def test_a_landscape_phone_has_the_field_and_the_touch_controls_in_view(new_page, account, shot):
    ann, _ = account("ann")
    page = new_page(label="phone", width=844, height=390, has_touch=True, is_mobile=True)
    page.goto("/login?next=/play")
    page.get_by_label("Username or email").fill(ann)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("heading", name="Play Pong")).to_be_visible()
    set_options(page, score_limit=21, paddle=300)
    page.get_by_role("button", name="Local game (one keyboard)").click()
    game = game_of(page)
    expect(game).to_have_attribute("data-role", "local")
    game.locator(".pong-stage").scroll_into_view_if_needed()
    field = game.locator(".pong-canvas").bounding_box()
    assert field is not None
    assert field["y"] >= 0 and field["y"] + field["height"] <= 390, field
    for name in ("Left paddle up", "Left paddle down", "Right paddle up", "Right paddle down"):
        box = page.get_by_role("button", name=name).bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 390, name
        assert box["x"] >= 0 and box["x"] + box["width"] <= 844, name
        # Beside the field, never over it.
        beside = box["x"] + box["width"] <= field["x"] or box["x"] >= field["x"] + field["width"]
        assert beside, (name, box, field)
    shot(page, "phone-landscape")
