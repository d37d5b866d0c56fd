"""A game against the AI in the browser: the AI returns a serve.

What the test watches is what the page shows a player: the game element counts the
returns of each side (`data-hits-right` for the AI's paddle), from the snapshots it draws.
The player's paddle is made as tall as the field, so every ball comes back to the AI.
"""

from __future__ import annotations

import re

import httpx
import pytest
from browserkit import live, log_in
from playwright.sync_api import expect

from servers import cli, wait_for

pytestmark = pytest.mark.browser

GAME_URL = re.compile(r"/play/games/[0-9a-f-]{36}$")


def test_the_ai_returns_a_serve(new_page, account, shot):
    ann, _ = account("ann")
    page = new_page(label="ann")
    log_in(page, ann)
    live(page)
    page.get_by_role("link", name="Play", exact=True).first.click()
    page.get_by_role("button", name="Reset the options to the classic game").click()
    # A wall of a paddle for the player: the ball always goes back to the AI.
    page.get_by_label("Paddle size").fill("600")
    page.get_by_label("Difficulty").select_option("easy")
    page.get_by_role("button", name="Play vs AI").click()
    expect(page).to_have_url(GAME_URL)
    game = page.locator("#pong-game")
    expect(game).to_have_attribute("data-role", "player-left")
    expect(game.locator(".pong-right")).to_have_text("AI (easy)")

    # The AI's paddle sends the ball back: its returns counter moves, and the ball is seen
    # travelling left again after it.
    expect(game).not_to_have_attribute("data-hits-right", "0", timeout=60_000)
    expect(game).to_have_attribute("data-ball-direction", re.compile("left|right"))
    shot(page, "ai-returned")

    page.get_by_role("button", name="Leave game").click()
    page.get_by_role("button", name="Leave and forfeit").click()
    expect(page.get_by_test_id("pong-result")).to_contain_text("Winner: AI (easy)")
    expect(page.get_by_test_id("pong-result")).to_contain_text("You lose")


def test_no_ai_button_when_the_ai_module_is_off(new_page, account, server):
    ann, _ = account("ann")

    # The server re-reads module states on its own (pushed on Redis, within a second on the
    # in-process bus): wait until it serves each change.
    def ai_off() -> bool:
        listed = httpx.get(f"{server.url}/api/modules", timeout=10).json()
        return not any(m["name"] == "ai" and m["enabled"] for m in listed)

    cli(server.env, "modules", "disable", "ai", "--force")
    try:
        wait_for(ai_off, timeout=15, what="the server to see the ai module off")
        page = new_page(label="ann")
        log_in(page, ann)
        page.goto("/play")
        expect(page.get_by_role("button", name="Local game (one keyboard)")).to_be_visible()
        expect(page.get_by_role("button", name="Play vs AI")).to_have_count(0)
        expect(page.get_by_label("Difficulty")).to_have_count(0)
    finally:
        cli(server.env, "modules", "enable", "ai")
        wait_for(lambda: not ai_off(), timeout=15, what="the server to see the ai module on")
