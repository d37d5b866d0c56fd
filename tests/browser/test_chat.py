"""The chat in the browser: two people in two browser contexts, live messages, unread counts,
read markers, the pop-up, blocking, a game invitation; groups and channels; a phone."""

from __future__ import annotations

import re

import httpx
import pytest
from browserkit import PASSWORD, live, log_in
from playwright.sync_api import expect

from servers import ROOT, start_node

STATIC = ROOT / "plugins" / "chat" / "transcendence_chat" / "static"
# Low enough for a test to reach, high enough for the conversation of the main test.
RATE = "12/30"
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture(scope="module")
def server(tmp_path_factory, pg_url, redis_url):
    """The browser tests' server (see conftest.py), with a chat rate limit a test can reach."""
    from servers import cluster_environment

    tmp = tmp_path_factory.mktemp("chat-browser")
    env = cluster_environment(tmp, pg_url, redis_url)
    env["SAMPLE_WEB_ASSETS"] = "1"
    env["TRANSCENDENCE_CHAT_RATE_LIMIT"] = RATE
    node = start_node(env, tmp, name="web")
    node.env = env  # type: ignore[attr-defined]
    try:
        yield node
    finally:
        node.stop()


def open_chat_view(page) -> None:
    page.get_by_role("link", name="Chat", exact=True).click()
    expect(page).to_have_url(re.compile(r"/chat$"))
    expect(page.locator("#chat-list")).to_be_visible()


def thread_of(page):
    return page.locator("#chat-page .chat-thread")


def send(page, text: str, scope=None) -> None:
    box = (scope or page).get_by_label("Message", exact=True)
    box.fill(text)
    box.press("Enter")


def dock_badge(page):
    return page.locator("#chat-dock-toggle .chat-badge")


@pytest.mark.browser
def test_direct_chat_live_between_two_browsers(new_page, account, shot, browser_errors):
    browser_errors.allow(r"status of 403")  # Ann writes across Bob's block on purpose
    ann, _ = account("ann")
    bob, _ = account("bob")
    ann_page = new_page(label="ann")
    bob_page = new_page(label="bob")
    log_in(ann_page, ann)
    log_in(bob_page, bob)
    live(ann_page)
    live(bob_page)
    open_chat_view(bob_page)
    expect(bob_page.locator("#chat-list")).to_contain_text("No conversations yet")
    # The pop-up is not offered on the chat page itself.
    expect(bob_page.locator("#chat-dock")).to_be_hidden()

    # Ann searches for Bob and opens a direct chat with him.
    open_chat_view(ann_page)
    ann_page.locator("#chat-write summary").click()
    ann_page.get_by_label("Username or display name").fill(bob)
    ann_page.get_by_role("button", name=f"Write to {bob}").click()
    expect(ann_page).to_have_url(re.compile(r"/chat/\d+$"))
    chat_path = re.search(r"/chat/\d+$", ann_page.url).group(0)
    ann_thread = thread_of(ann_page)
    title = ann_thread.locator(".chat-thread-title")
    profile_link = re.compile(r"^/users/\d+$")
    expect(title.get_by_role("link", name=bob)).to_have_attribute("href", profile_link)
    expect(title.locator("[data-status]")).to_have_attribute("data-status", "online")

    send(ann_page, "Привет")
    expect(ann_thread.locator(".chat-msg-mine")).to_contain_text("Привет")
    shot(ann_page, "ann-sent")

    # Bob's list gets the conversation live, newest first, with one unread message.
    item = bob_page.locator("#chat-list .chat-item", has_text=ann)
    expect(item).to_contain_text("Привет")
    expect(item.locator(".chat-badge")).to_have_attribute("data-count", "1")
    expect(item.locator(".chat-badge")).to_be_visible()
    shot(bob_page, "bob-list-unread")

    # Bob opens it: the message is there, his count clears, Ann's marker says "Seen".
    item.locator("a").click()
    expect(bob_page).to_have_url(re.compile(chat_path + "$"))
    bob_thread = thread_of(bob_page)
    expect(bob_thread.locator(".chat-msg-theirs")).to_contain_text("Привет")
    sender = bob_thread.locator(".chat-msg-theirs .chat-sender")
    expect(sender).to_have_attribute("href", profile_link)
    expect(bob_page.locator(f'#chat-list [href="{chat_path}"] .chat-badge')).to_be_hidden()
    expect(ann_thread.locator(".chat-seen")).to_have_text("✓ Seen")

    # While Bob has it open, Ann's next message arrives live; Bob answers, Ann sees it live.
    send(ann_page, "Как дела?")
    expect(bob_thread.locator(".chat-msg-theirs").last).to_contain_text("Как дела?")
    send(bob_page, "Хорошо!")
    expect(ann_thread.locator(".chat-msg-theirs").last).to_contain_text("Хорошо!")
    expect(bob_thread.locator(".chat-seen")).to_have_text("✓ Seen")
    expect(ann_thread.locator(".chat-msg-mine").last.locator(".chat-seen")).to_have_text("✓ Seen")
    shot(bob_page, "bob-conversation")

    # Bob goes elsewhere: the pop-up's button counts what arrives, and answers from there.
    bob_page.get_by_role("link", name="Friends", exact=True).click()
    toggle = bob_page.locator("#chat-dock-toggle")
    expect(toggle).to_be_visible()
    expect(dock_badge(bob_page)).to_be_hidden()
    send(ann_page, "Ты тут?")
    expect(dock_badge(bob_page)).to_have_attribute("data-count", "1")
    expect(toggle).to_have_attribute("aria-label", "Open the chat (1 unread)")
    shot(bob_page, "bob-popup-badge")
    toggle.click()
    panel = bob_page.locator("#chat-dock-panel")
    expect(panel).to_be_visible()
    # Focus moves into the panel (to its first conversation) for keyboard users.
    expect(panel.locator(".chat-dock-item").first).to_be_focused()
    panel.locator(".chat-dock-item", has_text=ann).click()
    expect(panel.locator(".chat-msg-theirs").last).to_contain_text("Ты тут?")
    expect(dock_badge(bob_page)).to_be_hidden()
    expect(bob_page).to_have_url(re.compile(r"/friends$"))
    send(bob_page, "Да", scope=panel)
    expect(ann_thread.locator(".chat-msg-theirs").last).to_contain_text("Да")

    # Text that looks like HTML stays text, in the pop-up and in the page.
    send(ann_page, "<b>x</b>")
    expect(panel.locator(".chat-msg-theirs").last.locator(".chat-text")).to_have_text("<b>x</b>")
    assert panel.locator(".chat-msg b").count() == 0
    shot(bob_page, "bob-popup-thread")
    expect(ann_thread.locator(".chat-msg-mine").last.locator(".chat-text")).to_have_text("<b>x</b>")
    assert ann_thread.locator(".chat-msg b").count() == 0
    bob_page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(toggle).to_be_focused()  # back where it was opened

    # Bob blocks Ann from the chat: her next message is refused in words and never reaches him.
    bob_page.goto(chat_path)
    bob_thread = thread_of(bob_page)
    expect(bob_thread.locator(".chat-msg").last).to_contain_text("<b>x</b>")
    asked: list[str] = []
    bob_page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    bob_thread.get_by_role("button", name=f"Block {ann}").click()
    expect(bob_thread.locator(".chat-block-note")).to_contain_text(f"You block {ann}")
    # The profile's sentence: everything blocking does, the friendship included.
    assert asked and asked[0].startswith(f"Block {ann}? This ends your friendship")
    # Ann's open chat stops showing Bob online at once: across a block, offline.
    expect(title.locator("[data-status]")).to_have_attribute("data-status", "offline")
    # History across a block is hidden too.
    expect(bob_thread.locator(".chat-msg-theirs")).to_have_count(0)
    send(ann_page, "Ты меня видишь?")
    expect(ann_thread.locator(".chat-error")).to_have_text(
        "You cannot write to this person: one of you blocks the other."
    )
    expect(ann_thread.locator(".chat-msg", has_text="Ты меня видишь?")).to_have_count(0)
    shot(ann_page, "ann-blocked")
    # The refusal came back before anything could be stored: nothing to deliver, nothing on reload.
    bob_page.reload()
    bob_thread = thread_of(bob_page)
    expect(bob_thread.locator(".chat-block-note")).to_be_visible()
    expect(bob_thread.locator(".chat-msg", has_text="Ты меня видишь?")).to_have_count(0)

    # Unblocked: the conversation is back, and messages flow again.
    bob_thread.get_by_role("button", name=f"Unblock {ann}").click()
    expect(bob_thread.locator(".chat-block-note")).to_have_count(0)
    expect(bob_thread.locator(".chat-msg-theirs").first).to_contain_text("Привет")
    send(ann_page, "Снова привет")
    expect(bob_thread.locator(".chat-msg-theirs").last).to_contain_text("Снова привет")
    expect(ann_thread.locator(".chat-error")).to_be_hidden()

    # Ann invites Bob to a game from the chat; Bob accepts; both land in the game view.
    ann_page.reload()  # the invite button follows the block state read with the chat
    ann_thread = thread_of(ann_page)
    ann_thread.get_by_role("button", name=f"Invite {bob} to a game of Pong").click()
    bob_invite = bob_thread.locator(".chat-invite").last
    expect(bob_invite).to_contain_text(f"{ann} invites {bob} to play Pong.")
    expect(ann_thread.locator(".chat-invite").last).to_contain_text("Waiting for an answer")
    shot(bob_page, "bob-invited")
    bob_invite.get_by_role("button", name=f"Accept the game invitation from {ann}").click()
    game_url = re.compile(r"/play/games/[\w-]+$")
    expect(bob_page).to_have_url(game_url)
    expect(ann_page).to_have_url(game_url)
    assert ann_page.url == bob_page.url
    for page in (ann_page, bob_page):
        # pong's game view: its heading and the court's canvas.
        expect(page.locator("#app .pong-page h1")).to_be_visible()
        expect(page.locator("#app canvas")).to_be_visible()
    shot(bob_page, "bob-game")

    # Ann gives up; back in the chat, the card no longer says the game is on.
    ann_page.get_by_role("button", name="Leave game").click()
    ann_page.get_by_role("button", name="Leave and forfeit").click()
    expect(bob_page.get_by_test_id("pong-result")).to_be_visible()
    bob_page.goto(chat_path)
    card = thread_of(bob_page).locator(".chat-invite").last
    expect(card.locator(".chat-invite-status")).to_have_attribute(
        "data-game", re.compile(r"^(finished|cancelled)$")
    )
    expect(card).not_to_contain_text("the game is on")
    if card.locator(".chat-invite-status").get_attribute("data-game") == "finished":
        expect(card).to_contain_text("Accepted; the game is over.")
        expect(card.get_by_role("link", name="See the result")).to_be_visible()
    else:
        expect(card).to_contain_text("Accepted, but the game was called off.")
        expect(card.get_by_role("link")).to_have_count(0)


@pytest.mark.browser
def test_message_button_on_profiles_and_the_rate_limit_in_words(
    new_page, account, server, shot, browser_errors
):
    browser_errors.allow(r"status of 429")  # the refusal the test provokes
    cat, _ = account("cat")
    dan, _ = account("dan")
    page = new_page(label="cat")
    log_in(page, cat)
    live(page)
    # Cat finds Dan, opens his profile and writes to him from there.
    page.goto("/friends")
    page.get_by_label("Username or display name").fill(dan)
    page.locator("#search-results").get_by_role("link", name=dan).click()
    expect(page).to_have_url(re.compile(r"/users/\d+$"))
    page.get_by_role("button", name=f"Send a message to {dan}").click()
    expect(page).to_have_url(re.compile(r"/chat/\d+$"))
    chat_id = int(page.url.rsplit("/", 1)[1])
    expect(thread_of(page).locator(".chat-thread-title")).to_contain_text(dan)

    # Spend the rate limit over the API, then the page explains the refusal.
    token = httpx.post(
        f"{server.url}/api/auth/login", json={"username": cat, "password": PASSWORD}, timeout=10
    ).json()["access"]
    limit = int(RATE.split("/")[0])
    for n in range(limit):
        response = httpx.post(
            f"{server.url}/api/messages/",
            json={"chat": chat_id, "text": f"quick {n}"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert response.status_code == 201, response.text
    thread = thread_of(page)
    expect(thread.locator(".chat-msg-mine")).to_have_count(limit)
    send(page, "one more")
    expect(thread.locator(".chat-error")).to_have_text(
        re.compile(r"^You are sending too fast: wait \d+ s and try again\.$")
    )
    # An empty message is explained before anything is sent.
    send(page, "   ")
    expect(thread.locator(".chat-error")).to_have_text("Write something before sending.")
    shot(page, "rate-limited")


@pytest.mark.browser
def test_group_channel_and_phone_layout(new_page, account, shot, browser_errors):
    browser_errors.allow(r"status of 404")  # joining a channel that does not exist
    eve, _ = account("eve")
    fay, _ = account("fay")
    eve_page = new_page(label="eve")
    fay_page = new_page(label="fay")
    log_in(eve_page, eve)
    log_in(fay_page, fay)
    live(eve_page)
    live(fay_page)
    fay_page.set_viewport_size({"width": 375, "height": 740})  # Fay is on a phone
    fay_page.goto("/chat")
    expect(fay_page.locator("#chat-list")).to_contain_text("No conversations yet")

    # A group: a title and members chosen by name; Fay sees it appear live.
    open_chat_view(eve_page)
    eve_page.locator("#chat-group summary").click()
    group = eve_page.locator("#chat-group")
    group.get_by_label("Group title").fill("Pong night")
    group.get_by_label("Add members by name").fill(fay)
    group.get_by_role("button", name=f"Add {fay}").click()
    expect(group.locator(".chat-chips")).to_contain_text(fay)
    group.get_by_role("button", name="Create the group").click()
    expect(eve_page).to_have_url(re.compile(r"/chat/\d+$"))
    eve_thread = thread_of(eve_page)
    expect(eve_thread.locator(".chat-thread-title")).to_have_text("Pong night")
    expect(eve_thread.locator(".chat-members")).to_contain_text(fay)
    send(eve_page, "Who plays tonight?")
    fay_item = fay_page.locator("#chat-list .chat-item", has_text="Pong night")
    expect(fay_item).to_contain_text(f"{eve}: Who plays tonight?")
    expect(fay_item.locator(".chat-badge")).to_have_attribute("data-count", "1")
    assert fay_page.evaluate(NO_SIDEWAYS_SCROLL)
    shot(fay_page, "phone-list")

    # On a phone the open conversation takes the screen, with a way back to the list.
    fay_item.locator("a").click()
    fay_thread = thread_of(fay_page)
    expect(fay_thread).to_contain_text("Who plays tonight?")
    expect(fay_page.locator("#chat-list")).to_be_hidden()
    send(fay_page, "Me!")
    expect(eve_thread.locator(".chat-msg-theirs").last).to_contain_text("Me!")
    expect(fay_thread.locator(".chat-seen")).to_contain_text(f"Seen by {eve}")
    assert fay_page.evaluate(NO_SIDEWAYS_SCROLL)
    shot(fay_page, "phone-thread")
    fay_page.get_by_role("link", name="← All conversations").click()
    expect(fay_page.locator("#chat-list")).to_be_visible()

    # A channel: Eve creates it by name, Fay joins it by name, then leaves it.
    channel = f"lobby-{eve}"
    eve_page.goto("/chat")
    eve_page.locator("#chat-channels summary").click()
    eve_page.get_by_label("Channel name").fill(channel)
    eve_page.get_by_role("button", name="Create", exact=True).click()
    expect(thread_of(eve_page).locator(".chat-thread-title")).to_have_text(f"#{channel}")
    fay_page.locator("#chat-channels summary").click()
    fay_page.get_by_label("Channel name").fill("no-such-channel")
    fay_page.get_by_role("button", name="Join", exact=True).click()
    expect(fay_page.locator("#chat-channels [role=alert]")).to_have_text(
        "There is no channel called “no-such-channel”. Create it?"
    )
    fay_page.get_by_label("Channel name").fill(channel)
    fay_page.get_by_role("button", name="Join", exact=True).click()
    fay_thread = thread_of(fay_page)
    expect(fay_thread.locator(".chat-thread-title")).to_have_text(f"#{channel}")
    expect(fay_thread).to_contain_text("2 members")
    send(eve_page, "Welcome!")
    expect(fay_thread.locator(".chat-msg-theirs").last).to_contain_text("Welcome!")
    fay_page.once("dialog", lambda dialog: dialog.accept())
    fay_thread.get_by_role("button", name=f"Leave #{channel}").click()
    expect(fay_page).to_have_url(re.compile(r"/chat$"))
    expect(fay_page.locator("#chat-list .chat-item", has_text=f"#{channel}")).to_have_count(0)
    expect(thread_of(eve_page)).to_contain_text("1 member")


# --- the sources (no browser) -----------------------------------------------------------


def test_chat_sources_build_no_html_and_no_inline_style():
    # Its strings are checked with every module's by tests/browser/test_strings.py.
    for path in sorted(STATIC.glob("*.js")):
        source = path.read_text()
        for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert risky not in source, f"{path.name} uses {risky}"
        assert "style=" not in source and ".style." not in source, path.name
