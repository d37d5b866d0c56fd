"""Friends across two browsers: a request arrives live, is accepted, and presence follows."""

from __future__ import annotations

import pytest
from browserkit import live, log_in
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_friend_request_accepted_live(new_page, account, shot):
    ann, _ = account("ann")
    bob, _ = account("bob")
    ann_page = new_page(label="ann")
    bob_page = new_page(label="bob")
    log_in(ann_page, ann)
    log_in(bob_page, bob)
    live(ann_page)
    live(bob_page)
    bob_page.get_by_role("link", name="Friends", exact=True).click()
    expect(bob_page.locator("#friends-list")).to_contain_text("No friends yet")

    # Ann finds Bob and asks.
    ann_page.get_by_role("link", name="Friends", exact=True).click()
    ann_page.get_by_label("Username or display name").fill(bob)
    results = ann_page.locator("#search-results")
    expect(results.get_by_text(f"@{bob}")).to_be_visible()
    shot(ann_page, "ann-search")
    results.get_by_role("button", name=f"Add {bob} as a friend").click()
    expect(ann_page.locator("#friends-outgoing")).to_contain_text(bob)
    expect(results.get_by_text("Request sent")).to_be_visible()
    shot(ann_page, "ann-request-sent")

    # Bob hears of it without reloading: a toast, the badge, and the request in his list.
    expect(bob_page.locator("#toasts")).to_contain_text(f"{ann} wants to be your friend.")
    expect(bob_page.locator("#unread-badge")).to_have_text("1")
    incoming = bob_page.locator("#friends-incoming")
    expect(incoming).to_contain_text(ann)
    shot(bob_page, "bob-incoming")
    incoming.get_by_role("button", name=f"Accept the request from {ann}").click()
    friends = bob_page.locator("#friends-list")
    expect(friends).to_contain_text(ann)
    # Ann is connected, so Bob sees her online.
    expect(friends.locator("[data-status]")).to_have_attribute("data-status", "online")
    shot(bob_page, "bob-friends")

    # Ann's page updates live too: Bob is now a friend, online.
    ann_friends = ann_page.locator("#friends-list")
    expect(ann_friends).to_contain_text(bob)
    expect(ann_page.locator("#friends-outgoing")).to_have_count(0)
    expect(ann_friends.locator("[data-status]")).to_have_attribute("data-status", "online")
    expect(ann_page.locator("#toasts")).to_contain_text(f"{bob} accepted your friend request.")
    shot(ann_page, "ann-friends")

    # Presence follows live: Bob leaves, Ann sees him go offline; he comes back online.
    bob_page.locator("#account-menu").click()
    bob_page.get_by_role("button", name="Log out").click()
    expect(ann_friends.locator("[data-status]")).to_have_attribute("data-status", "offline")
    shot(ann_page, "ann-friend-offline")
    log_in(bob_page, bob)
    expect(ann_friends.locator("[data-status]")).to_have_attribute("data-status", "online")

    # The notification is listed, and reading it clears the badge in every tab.
    # The link says how many are waiting, to screen readers too.
    bob_page.get_by_role("link", name="Notifications (1 unread notification)").click()
    item = bob_page.locator("#notification-list li.unread")
    expect(item).to_contain_text(f"{ann} wants to be your friend.")
    shot(bob_page, "bob-notifications")
    bob_page.get_by_role("button", name="Mark all as read").click()
    expect(bob_page.locator("#notification-list li.unread")).to_have_count(0)
    expect(bob_page.locator("#unread-badge")).to_be_hidden()
