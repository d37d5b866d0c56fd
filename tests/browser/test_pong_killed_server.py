"""A player's game whose server is killed: after the restart the game view says the game was
interrupted (docs/pong.md, "A node killed with its games"), instead of waiting for ever.

The scenario is the newcomer's single process (SQLite, no Redis: nothing else could carry
the game on), so this module's server runs on the embedded defaults in both CI passes.
"""

from __future__ import annotations

import re

import pytest
from browserkit import live, log_in, restart
from playwright.sync_api import expect

from servers import cluster_environment, start_node

pytestmark = pytest.mark.browser
GAME_URL = re.compile(r"/play/games/[0-9a-f-]{36}$")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser-restart")
    env = cluster_environment(tmp, None, None)
    node = start_node(env, tmp, name="web")
    node.env = env  # type: ignore[attr-defined]  (for restart())
    try:
        yield node
    finally:
        node.stop()


def test_a_game_lost_with_its_killed_server_shows_as_interrupted(
    server, new_page, account, browser_errors, shot
):
    ann, _ = account("ann")
    page = new_page(label="ann")
    log_in(page, ann)
    live(page)
    page.get_by_role("link", name="Play", exact=True).first.click()
    page.get_by_role("button", name="Local game (one keyboard)").click()
    expect(page).to_have_url(GAME_URL)
    expect(page.locator("#pong-game")).to_have_attribute("data-role", "local")

    # While the server is away the browser reports failed connection attempts: expected.
    browser_errors.allow(r"WebSocket connection to .* failed")
    browser_errors.allow(r"Failed to load resource")
    server.process.kill()  # SIGKILL: nothing recorded, nothing said to the page
    server.process.wait()
    restart(server)

    # The page reconnects by itself, finds no running game, and reads the record.
    result = page.get_by_role("heading", name="Game interrupted")
    expect(result).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("pong-interrupted")).to_have_text(
        "The server running it stopped and no other could carry it on. It does not count."
    )
    expect(page.get_by_role("link", name="Back to the lobby")).to_be_visible()
    # Nothing on the field pretends the game goes on.
    expect(page.locator("#pong-game .pong-overlay")).to_have_text("")
    expect(page.get_by_text("Reconnecting…")).to_have_count(0)
    shot(page, "interrupted")
