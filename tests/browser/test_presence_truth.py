"""Presence that tells the truth in the browser: my own profile after a reload, the Friends
page's online count, a stranger's profile live, and what the block confirmation says."""

from __future__ import annotations

import httpx
import pytest
from browserkit import PASSWORD, live, log_in
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def api(server, username: str):
    """An HTTP client logged in as `username`."""
    token = httpx.post(
        f"{server.url}/api/auth/login",
        json={"username": username, "password": PASSWORD},
        timeout=10,
    ).json()["access"]
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def user_id(client: httpx.Client) -> int:
    return client.get("/api/me/").json()["id"]


def befriend(server, a: str, b: str) -> None:
    with api(server, a) as asker, api(server, b) as asked:
        sent = asker.post("/api/friends/requests", json={"user_id": user_id(asked)})
        assert sent.status_code == 201, sent.text
        accepted = asked.post(f"/api/friends/requests/{sent.json()['id']}/accept")
        assert accepted.status_code == 200, accepted.text


def log_out(page) -> None:
    page.locator("#account-menu").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.locator("#account-menu")).to_have_count(0)


def test_my_profile_and_the_online_count_follow_the_truth(server, new_page, account, shot):
    ann, _ = account("ann")
    bob, _ = account("bob")
    befriend(server, ann, bob)
    page = new_page(label="ann")
    log_in(page, ann)

    # My own profile, reloaded: I am here, whatever reached the server first.
    page.goto("/profile")
    expect(page.locator("#profile-status [data-status]")).to_have_attribute("data-status", "online")
    page.reload()
    live(page)
    expect(page.locator("#profile-status [data-status]")).to_have_attribute("data-status", "online")

    # The Friends page counts who is online, live, both ways.
    page.get_by_role("link", name="Friends", exact=True).click()
    note = page.locator("#friends-list-note")
    expect(note).to_have_text("0 online")
    bob_page = new_page(label="bob")
    log_in(bob_page, bob)
    expect(note).to_have_text("1 online")
    shot(page, "one-online")
    log_out(bob_page)
    expect(note).to_have_text("0 online")
    page.reload()
    expect(note).to_have_text("0 online")
    log_in(bob_page, bob)
    expect(note).to_have_text("1 online")


def test_a_strangers_profile_is_live_and_the_block_says_what_it_does(
    server, new_page, account, shot
):
    cat, _ = account("cat")
    dan, _ = account("dan")
    befriend(server, cat, dan)
    with api(server, dan) as client:
        dan_id = user_id(client)
    cat_page = new_page(label="cat")
    log_in(cat_page, cat)
    live(cat_page)
    cat_page.goto(f"/users/{dan_id}")
    status = cat_page.locator("#profile-status [data-status]")
    expect(status).to_have_attribute("data-status", "offline")

    # The confirmation says all of it: the friendship ends for good, and what stops.
    said: list[str] = []

    def confirm(dialog) -> None:
        said.append(dialog.message)
        dialog.accept()

    cat_page.once("dialog", confirm)
    cat_page.get_by_role("button", name="Block", exact=True).click()
    expect(cat_page.get_by_role("button", name="Unblock")).to_be_visible()
    assert said == [
        f"Block {dan}? This ends your friendship and any friend request between you; "
        "unblocking will not bring them back. Until you unblock, neither of you sees the "
        "other's messages (old or new), you cannot write to each other, invite each other "
        "to play or be matched in a game, and each of you appears offline to the other."
    ]
    cat_page.get_by_role("button", name="Unblock").click()
    expect(cat_page.get_by_role("button", name="Add friend")).to_be_visible()

    # Not friends any more: the profile still follows dan live, in and out.
    dan_page = new_page(label="dan")
    log_in(dan_page, dan)
    expect(status).to_have_attribute("data-status", "online")
    shot(cat_page, "stranger-online")
    log_out(dan_page)
    expect(status).to_have_attribute("data-status", "offline")

    # Dan watches cat's profile; cat blocks him: he sees her offline at once.
    log_in(dan_page, dan)
    live(dan_page)
    with api(server, cat) as client:
        cat_id = user_id(client)
    dan_page.goto(f"/users/{cat_id}")
    her_status = dan_page.locator("#profile-status [data-status]")
    expect(her_status).to_have_attribute("data-status", "online")
    cat_page.once("dialog", lambda dialog: dialog.accept())
    cat_page.get_by_role("button", name="Block", exact=True).click()
    expect(her_status).to_have_attribute("data-status", "offline")
    shot(dan_page, "blocked-reads-offline")
