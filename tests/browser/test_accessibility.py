"""Accessibility (WCAG 2.1 AA): axe-core over every main view, the appearance settings
(high contrast, text size) remembered per user, the game's live announcements, reduced motion
and a visible focus indicator.

axe-core is a test-only dependency from npm (package.json): `make test` installs it with
`npm ci`; it is injected into each page, never served by the app.
"""

from __future__ import annotations

import re

import httpx
import pytest
from browserkit import PASSWORD, live, log_in, unique
from playwright.sync_api import expect

from servers import ROOT

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# What axe checks: WCAG 2.0 and 2.1, levels A and AA (not its "best practice" rules).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")
GAME_URL = re.compile(r"/play/games/[0-9a-f-]{36}$")
TOURNAMENT_URL = re.compile(r"/tournaments/(\d+)$")
# axe is injected as an inline script, which the app's Content-Security-Policy forbids.
DESKTOP = {"width": 1280, "height": 860, "bypass_csp": True}
PHONE = {"width": 390, "height": 844, "has_touch": True, "is_mobile": True, "bypass_csp": True}


@pytest.fixture(scope="module")
def axe_script() -> str:
    if not AXE.exists():
        pytest.fail(
            f"axe-core is missing at {AXE}: run `npm ci` (or `make test`, which does it)",
            pytrace=False,
        )
    return str(AXE)


def blocking_violations(page, axe_script: str) -> list[str]:
    """axe-core's serious and critical WCAG A/AA violations on the page as it is now."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=axe_script)
    found = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                                    resultTypes: ["violations"]});
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map((n) => {
                    const why = (n.failureSummary || "").split("\\n").slice(1).join(" ");
                    return `${n.target.join(" ")}: ${why}`;
                }),
            }));
        }""",
        AXE_TAGS,
    )
    return [
        f"{v['impact']} {v['id']} ({v['help']}):\n    " + "\n    ".join(v["nodes"])
        for v in found
        if v["impact"] in BLOCKING
    ]


def view_ready(page, path: str) -> None:
    """Open `path` and wait for its view: its main heading, its title, its data."""
    page.goto(path)
    expect(page.locator("#boot")).to_have_count(0)
    expect(page.locator("#app h1").first).to_be_visible()
    expect(page).to_have_title(re.compile(" · Transcendence$"))
    page.wait_for_load_state("networkidle")


def sign_up(server, prefix: str) -> tuple[str, int]:
    username = unique(prefix)
    response = httpx.post(
        f"{server.url}/api/auth/signup",
        json={"username": username, "email": f"{username}@example.test", "password": PASSWORD},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return username, response.json()["user"]["id"]


def log_in_through_form(page, username: str) -> None:
    """The login form (on a phone the account menu is folded away)."""
    page.goto("/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.locator("#account-menu")).to_be_attached()
    live(page)


def new_tournament(page) -> str:
    """A three-seat online tournament with me in the first seat: its path."""
    page.goto("/tournaments/online/new")
    page.get_by_label("Name of the tournament").fill("Access cup")
    page.get_by_label("Number of players").fill("3")
    page.get_by_role("button", name="Create the tournament").click()
    expect(page).to_have_url(TOURNAMENT_URL)
    expect(page.locator("#tournament-players li")).to_have_count(1)
    return TOURNAMENT_URL.search(page.url).group(0)


def local_game(page) -> None:
    """A local game running (a long one: it is still running while axe looks)."""
    page.goto("/play")
    expect(page.get_by_role("heading", name="Play Pong")).to_be_visible()
    page.get_by_role("button", name="Reset the options to the classic game").click()
    page.get_by_label("Points to win").fill("21")
    page.get_by_role("button", name="Local game (one keyboard)").click()
    expect(page).to_have_url(GAME_URL)
    expect(page.locator("#pong-game")).to_have_attribute("data-role", "local")


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_no_serious_violations_on_the_main_views(
    device, server, new_page, axe_script, shot, browser_errors
):
    viewport = DESKTOP if device == "desktop" else PHONE
    problems: dict[str, list[str]] = {}

    def check(page, name: str) -> None:
        found = blocking_violations(page, axe_script)
        if found:
            problems[name] = found

    visitor = new_page(label=f"visitor-{device}", **viewport)
    for path in ("/", "/login", "/signup", "/about", "/leaderboard"):
        view_ready(visitor, path)
        check(visitor, f"logged out {path}")
    visitor.goto("/docs")
    expect(visitor.locator("#swagger-ui .info").first).to_be_visible()
    visitor.wait_for_load_state("networkidle")
    check(visitor, "logged out /docs")

    me, my_id = sign_up(server, "axe")
    _, their_id = sign_up(server, "them")
    page = new_page(label=f"player-{device}", **viewport)
    log_in_through_form(page, me)
    for path in (
        "/",
        f"/users/{my_id}",
        f"/users/{their_id}",
        "/friends",
        "/notifications",
        "/settings",
        "/play",
        "/chat",
        "/stats",
        f"/stats/users/{their_id}",
        "/leaderboard",
        "/tournaments",
        "/about",
    ):
        view_ready(page, path)
        check(page, f"logged in {path}")
    # A conversation, opened from their profile.
    view_ready(page, f"/users/{their_id}")
    page.locator("#chat-message-button").click()
    expect(page).to_have_url(re.compile(r"/chat/\d+$"))
    expect(page.locator("#app textarea")).to_be_visible()
    page.wait_for_load_state("networkidle")
    check(page, "logged in: a conversation")
    shot(page, "conversation")
    view_ready(page, new_tournament(page))
    check(page, "logged in: a tournament")
    shot(page, "tournament")
    local_game(page)
    check(page, "logged in: a running game")
    shot(page, "game")

    assert not problems, "axe-core found serious or critical violations:\n" + "\n".join(
        f"{name}:\n  " + "\n  ".join(found) for name, found in problems.items()
    )


def appearance_of(page) -> dict:
    """What the page shows: its theme and text size, and what they do to the page."""
    return page.evaluate(
        """() => ({
            theme: document.documentElement.dataset.theme,
            textSize: document.documentElement.dataset.textSize,
            fontSize: getComputedStyle(document.documentElement).fontSize,
            background: getComputedStyle(document.body).backgroundColor,
        })"""
    )


def choose(page, label: str, option: str) -> None:
    """Pick an appearance option in the settings and wait until the profile has it."""
    with page.expect_response(
        lambda r: r.url.endswith("/api/me/") and r.request.method == "PATCH" and r.ok
    ):
        page.locator("#settings-appearance").get_by_label(label).select_option(label=option)


def test_high_contrast_and_text_size_are_remembered_per_user(new_page, account, shot):
    ann, _ = account("ann")
    page = new_page(label="ann")
    log_in(page, ann)
    assert appearance_of(page) == {
        "theme": "standard",
        "textSize": "normal",
        "fontSize": "16px",
        "background": "rgb(11, 15, 26)",
    }
    page.goto("/settings")
    expect(page.get_by_role("heading", name="Appearance")).to_be_visible()
    choose(page, "Theme", "High contrast")
    choose(page, "Text size", "Larger")
    chosen = {
        "theme": "high-contrast",
        "textSize": "larger",
        "fontSize": "22px",
        "background": "rgb(0, 0, 0)",
    }
    assert appearance_of(page) == chosen
    expect(page.locator("#settings-appearance").get_by_label("Theme")).to_have_value(
        "high-contrast"
    )

    # A reload, and another browser where Ann logs in, show her choice.
    page.reload()
    expect(page.get_by_role("heading", name="Appearance")).to_be_visible()
    assert appearance_of(page) == chosen
    expect(page.locator("#settings-appearance").get_by_label("Text size")).to_have_value("larger")
    other = new_page(label="ann-elsewhere")
    log_in(other, ann)
    expect(other.locator("html")).to_have_attribute("data-theme", "high-contrast")
    assert appearance_of(other) == chosen
    # Larger text reflows: no sideways scrolling at 1280 px.
    assert other.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(other, "home-high-contrast-larger")

    # It is Ann's, not the browser's: Bob, logging in there after her, reads the standard one.
    other.locator("#account-menu").click()
    other.locator("#logout-button").click()
    expect(other.locator("#nav-account").get_by_role("link", name="Log in")).to_be_visible()
    bob, _ = account("bob")
    log_in(other, bob)
    expect(other.locator("html")).to_have_attribute("data-theme", "standard")
    assert appearance_of(other)["fontSize"] == "16px"

    # Back to normal text: saved as well.
    choose(page, "Text size", "Normal")
    page.reload()
    expect(page.get_by_role("heading", name="Appearance")).to_be_visible()
    assert appearance_of(page)["fontSize"] == "16px"
    assert appearance_of(page)["theme"] == "high-contrast"


def test_high_contrast_home_and_game_have_no_serious_violations(
    new_page, account, axe_script, shot
):
    ann, _ = account("ann")
    page = new_page(label="ann", **DESKTOP)
    log_in(page, ann)
    page.goto("/settings")
    choose(page, "Theme", "High contrast")
    view_ready(page, "/")
    assert blocking_violations(page, axe_script) == []
    shot(page, "home-high-contrast")
    local_game(page)
    # The field follows the theme: drawn black (the classic one is navy).
    page.wait_for_function(
        """() => {
            const canvas = document.querySelector(".pong-canvas");
            const [r, g, b] = canvas.getContext("2d").getImageData(2, 2, 1, 1).data;
            return r + g + b === 0;
        }"""
    )
    assert blocking_violations(page, axe_script) == []
    shot(page, "game-high-contrast")


def test_the_score_and_game_events_are_announced(new_page, account):
    ann, _ = account("ann")
    page = new_page(label="ann")
    log_in(page, ann)
    live(page)
    page.goto("/play")
    page.get_by_role("button", name="Reset the options to the classic game").click()
    # Tiny paddles and a fast ball: points come by themselves, nobody touching a key.
    page.get_by_label("Points to win").fill("3")
    page.get_by_label("Paddle size").fill("20")
    page.get_by_label("Ball speed").fill("900")
    page.get_by_role("button", name="Local game (one keyboard)").click()
    expect(page).to_have_url(GAME_URL)
    score = page.get_by_test_id("pong-score-live")
    status = page.get_by_test_id("pong-status")
    expect(score).to_have_attribute("aria-live", "polite")
    expect(status).to_have_attribute("role", "status")  # a polite live region too
    # Everything the two regions say, as a screen reader hears it, from now on.
    page.evaluate(
        """() => {
            window.said = [];
            const regions = ["pong-score-live", "pong-status"].map(
                (id) => document.querySelector(`[data-testid=${id}]`));
            const note = () => regions.forEach((el) => {
                const text = el.textContent;
                if (text && !window.said.includes(text)) window.said.push(text);
            });
            note();
            regions.forEach((el) => new MutationObserver(note).observe(
                el, {childList: true, characterData: true, subtree: true}));
        }"""
    )
    page.get_by_test_id("pong-controls").get_by_role("button", name="Got it").click()
    expect(score).to_have_text(f"Score: {ann} 0, Player 2 0.")

    # Nobody plays: the game ends by itself; the result, a live region, says who won.
    result = page.get_by_test_id("pong-result")
    expect(result).to_have_attribute("aria-live", "polite")
    expect(result).to_contain_text("wins!", timeout=90_000)
    said = page.evaluate("window.said")
    # Each point was said as the scoreboard showed it, and every serve ("Get ready").
    points = [s for s in said if s.startswith("Score:")]
    assert len(points) >= 3, said
    assert any(re.search(r" 1, Player 2 0\.$| 0, Player 2 1\.$", s) for s in points), said
    assert "Get ready…" in said, said


def test_reduced_motion_stops_animations_and_transitions(new_page):
    visitor = new_page(label="still", reduced_motion="reduce")
    visitor.goto("/")
    expect(visitor.locator(".hero-ball")).to_be_attached()
    moving = new_page(label="moving")
    moving.goto("/")
    expect(moving.locator(".hero-ball")).to_be_attached()
    motion = """(selector) => {
        const style = getComputedStyle(document.querySelector(selector));
        return {animation: style.animationName, transition: style.transitionDuration};
    }"""
    # Without the preference the ball rallies and the buttons ease; with it, nothing moves.
    assert moving.evaluate(motion, ".hero-ball")["animation"] == "rally"
    assert moving.evaluate(motion, ".btn")["transition"] != "0s"
    assert visitor.evaluate(motion, ".hero-ball") == {"animation": "none", "transition": "0s"}
    assert visitor.evaluate(motion, ".btn")["transition"] == "0s"
    # Every element of the page, pseudo-elements too (spinners only slow down).
    still = visitor.evaluate(
        """() => [...document.querySelectorAll("body *")].filter((el) =>
            !el.matches(".spinner-border, .spinner-grow") &&
            [null, "::before", "::after"].some((pseudo) => {
                const s = getComputedStyle(el, pseudo);
                return s.animationName !== "none" ||
                    s.transitionDuration.split(",").some((d) => parseFloat(d) > 0);
            })).map((el) => el.tagName + "." + el.className)"""
    )
    assert still == []


def focus_ring(page, locator) -> dict:
    """The focus indicator of an element reached from the keyboard."""
    locator.focus()
    return locator.evaluate(
        """(el) => {
            const s = getComputedStyle(el);
            return {focusVisible: el.matches(":focus-visible"), style: s.outlineStyle,
                    width: parseFloat(s.outlineWidth), color: s.outlineColor};
        }"""
    )


def test_focus_is_visible_on_every_kind_of_control(new_page, account):
    ann, _ = account("ann")
    page = new_page(label="ann")
    log_in(page, ann)
    page.goto("/settings")
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    # From the keyboard: focus then shows as it does to someone tabbing through the page.
    page.keyboard.press("Tab")
    controls = {
        "a navigation link": page.locator("#nav-links a.nav-link").first,
        "the settings menu": page.locator(".settings-nav a.nav-link").first,
        "the language menu": page.locator("#language-select"),
        "a select of the settings": page.locator("#settings-appearance select").first,
        "a primary button": page.locator("#settings-profile button[type=submit]"),
        "the account button": page.locator("#account-menu"),
        "a text field": page.locator("#settings-profile input").first,
    }
    bright = "rgb(103, 232, 249)"  # cyan: over 10:1 on the navy background
    for name, control in controls.items():
        ring = focus_ring(page, control)
        assert ring == {"focusVisible": True, "style": "solid", "width": 3, "color": bright}, name
