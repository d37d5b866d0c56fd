"""Tournaments in the browser: a local one at one keyboard to its winner, a seeded one from
the CLI, and two users joining an online one.

The local matches are real pong games on the real server (the `/play/games/<id>` view);
both players let the ball through, so each game ends at the first point.
"""

from __future__ import annotations

import json
import re

import pytest
from browserkit import live, log_in, serve_options
from playwright.sync_api import expect

from servers import cli

pytestmark = pytest.mark.browser

# A whole point (a one-second serve, the ball crossing the field, maybe a rally) on a
# loaded machine takes longer than Playwright's default wait.
GAME_MS = 90_000
GAME_URL = re.compile(r"/play/games/[0-9a-f-]{36}\?next=")
TOURNAMENT_URL = re.compile(r"/tournaments/(\d+)$")
# A called match: its game, with the way back to its tournament.
CALLED_URL = re.compile(r"/play/games/[0-9a-f-]{36}\?next=%2Ftournaments%2F\d+$")
NEXT = re.compile(r"^Next: (.+) vs (.+)$")
DEMO_PASSWORD = "pong-demo-2026"  # printed by `tournaments seed`: demo accounts only


def open_tournaments(page) -> None:
    page.get_by_role("link", name="Tournaments", exact=True).first.click()
    expect(page.get_by_role("heading", name="Tournaments", exact=True, level=1)).to_be_visible()


def no_sideways_scrolling(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_local_tournament_of_four_at_one_keyboard(new_page, account, shot, browser_errors):
    ann, _ = account("ann")
    page = new_page(label="ann")
    log_in(page, ann)
    live(page)
    open_tournaments(page)
    expect(page.locator("#tournament-mine")).to_contain_text(
        "You have not played a tournament yet."
    )
    page.get_by_role("link", name="New local tournament").click()
    expect(page.get_by_role("heading", name="New local tournament")).to_be_visible()

    # Four players type their aliases; a repeated one is refused with a clear message.
    for number, alias in enumerate(["Alice", "Bruno", "Chloé", "alice"], start=1):
        page.get_by_label(f"Player {number}", exact=True).fill(alias)
    fourth = page.get_by_label("Player 4", exact=True)
    expect(fourth).to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Start the tournament").click()
    problem = page.locator("#tournament-form-error")
    expect(problem).to_have_text(
        "“alice” is already the alias of player 1: aliases must be unique in a tournament."
    )
    expect(fourth).to_be_focused()
    shot(page, "duplicate-alias")
    fourth.fill("Dmitri")
    expect(fourth).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("4 players (3 to 16)")).to_be_visible()

    # The options start from the classic game; the smallest score limit, tiny paddles.
    expect(page.get_by_label("Points to win")).to_have_value("5")
    page.get_by_label("Points to win").fill("1")
    page.get_by_label("Paddle size").fill("20")
    page.get_by_label("Ball speed").fill("600")
    page.get_by_role("button", name="Start the tournament").click()
    expect(page).to_have_url(TOURNAMENT_URL)
    tournament_url = page.url

    # The bracket: two semi-finals, then the final; who plays whom and in what order.
    bracket = page.locator("#tournament-bracket")
    expect(bracket.get_by_role("heading", name="Semi-finals", exact=True)).to_be_visible()
    expect(bracket.get_by_role("heading", name="Final", exact=True)).to_be_visible()
    expect(bracket.locator("[data-game]")).to_have_count(3)
    expect(bracket.get_by_text("Match 1", exact=True)).to_be_visible()
    expect(bracket.get_by_text("Match 3", exact=True)).to_be_visible()
    expect(page.locator("#tournament-players li")).to_have_count(4)
    shot(page, "bracket")

    announce = page.locator("#tournament-next")
    played = []
    for match in range(1, 4):
        expect(announce).to_have_text(NEXT)
        left, right = NEXT.match(announce.inner_text()).groups()
        assert {left, right} <= {"Alice", "Bruno", "Chloé", "Dmitri"}
        if match == 3:
            assert {left, right} == set(played), "the final is between the semi-final winners"
        page.get_by_role("button", name=f"Play the match {left} against {right}").click()
        expect(page).to_have_url(GAME_URL)
        game = page.locator("#pong-game")
        expect(game).to_have_attribute("data-mode", "tournament")
        # One keyboard, both paddles: W/S on the left, the arrows on the right.
        expect(game).to_have_attribute("data-role", "local")
        if match == 1:  # Ann's first game: the controls over the field, until "Got it"
            controls = page.get_by_test_id("pong-controls")
            expect(controls).to_contain_text("Left paddle: W and S. Right paddle: ↑ and ↓.")
            controls.get_by_role("button", name="Got it").click()
            expect(controls).to_have_count(0)
        expect(page.get_by_text("Left paddle: W and S. Right paddle: ↑ and ↓.")).to_be_visible()
        expect(game.locator(".pong-left")).to_contain_text(left)
        expect(game.locator(".pong-right")).to_contain_text(right)
        # The aliases are the people at the keyboard: neither is marked "(you)".
        expect(game.locator(".pong-you")).to_have_count(0)
        if match == 1:
            shot(page, "first-match")
        # Nobody touches the keys: the first ball let through ends the game.
        result = page.get_by_test_id("pong-result")
        expect(result).to_be_visible(timeout=GAME_MS)
        side = result.get_attribute("data-winner")
        winner = left if side == "left" else right
        expect(result).to_contain_text(f"Winner: {winner}")
        page.get_by_test_id("pong-continue").click()
        expect(page).to_have_url(tournament_url)
        # The toast about this tournament's next match (or winner) led here: it is closed
        # rather than left over the standings.
        expect(page.locator('#toasts .toast[data-href^="/tournaments/"]')).to_have_count(0)
        # Back at the bracket: the result is in, and the view moves on by itself.
        expect(bracket.locator(".tournament-slot.is-winner")).to_have_count(match)
        card = bracket.locator('[data-game][data-state="done"]').filter(has_text=left)
        expect(card.filter(has_text=right).locator(".is-winner")).to_contain_text(winner)
        played.append(winner)

    champion = played[-1]
    expect(page.locator("#tournament-winner")).to_have_text(f"{champion} wins the tournament!")
    expect(announce).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Play the match"))).to_have_count(0)
    standings = page.locator("#tournament-standings")
    expect(standings.locator("tbody tr").first).to_contain_text(champion)
    expect(standings.locator("tbody tr")).to_have_count(4)
    shot(page, "winner")

    # The list shows it among mine, finished, with its winner.
    page.get_by_role("link", name="All tournaments").click()
    expect(page.locator("#tournament-mine")).to_contain_text(f"won by {champion}")

    # A new tournament starts from an empty form: the aliases are forgotten.
    page.get_by_role("link", name="New local tournament").click()
    expect(page.get_by_label("Player 1", exact=True)).to_have_value("")
    expect(page.get_by_label("Points to win")).to_have_value("5")

    # Someone else opening it is told why, in words, with nothing to try again.
    browser_errors.allow(r"status of 403")  # the tournament's API refuses on purpose
    eve, _ = account("eve")
    other = new_page(label="eve")
    log_in(other, eve)
    other.goto(tournament_url)
    expect(other.get_by_role("heading", name="Played at another keyboard")).to_be_visible()
    expect(other.locator("#app").get_by_role("alert")).to_have_text(
        "A local tournament is played at its organiser's keyboard: only they can open it, "
        "from their own account."
    )
    expect(other.get_by_role("button", name="Try again")).to_have_count(0)


def test_the_tournament_options_are_the_server_s(new_page, account):
    """A tournament's options form offers what pong serves (`GET /api/pong/options`): its
    defaults, ranges and "classic" preset, not a copy of its own."""
    ann, _ = account("ann")
    page = new_page(label="ann")
    served = serve_options(
        page,
        {
            "defaults": {"score_limit": 7, "paddle_height": 150.0},
            "limits": {"score_limit": {"min": 1, "max": 9, "step": 1}},
        },
    )
    log_in(page, ann)
    open_tournaments(page)
    page.get_by_role("link", name="New local tournament").click()
    points = page.get_by_label("Points to win")
    expect(points).to_have_value("7")
    expect(points).to_have_attribute("max", "9")
    expect(page.get_by_label("Paddle size")).to_have_value("150")
    expect(page.get_by_label("Ball speed")).to_have_value(
        str(int(served[-1]["defaults"]["ball_speed"]))
    )
    points.fill("3")
    page.get_by_role("button", name="Reset the options to the classic game").click()
    expect(points).to_have_value("7")


def test_seeded_tournament_shows_in_the_browser(server, new_page, shot):
    cli(server.env, "tournaments", "seed", "--players", "8", "--play")
    rows = json.loads(cli(server.env, "tournaments", "list", "--json").stdout)
    seeded = rows[0]
    assert seeded["status"] == "finished" and seeded["winner"]

    # demo1 organised it (the seed command prints the demo password).
    page = new_page(label="demo1")
    log_in(page, "demo1", DEMO_PASSWORD)
    page.set_viewport_size({"width": 375, "height": 800})  # and on a phone
    page.goto("/tournaments")
    mine = page.locator("#tournament-mine")
    expect(mine).to_contain_text(seeded["name"])
    expect(mine).to_contain_text(f"won by {seeded['winner']}")
    mine.get_by_role("link", name=seeded["name"]).click()
    expect(page).to_have_url(re.compile(rf"/tournaments/{seeded['id']}$"))

    # Eight players: quarter-finals, semi-finals, final, every game played.
    bracket = page.locator("#tournament-bracket")
    for title in ("Quarter-finals", "Semi-finals", "Final"):
        expect(bracket.get_by_role("heading", name=title, exact=True)).to_be_visible()
    expect(bracket.locator('[data-game][data-state="done"]')).to_have_count(7)
    expect(page.locator("#tournament-winner")).to_have_text(
        f"{seeded['winner']} wins the tournament!"
    )
    final = bracket.locator('[data-round="3"] [data-game]')
    expect(final.locator(".is-winner")).to_have_text(re.compile(re.escape(seeded["winner"])))
    expect(page.locator("#tournament-standings tbody tr").first).to_contain_text(seeded["winner"])
    assert no_sideways_scrolling(page), "the bracket scrolls the page sideways on a phone"
    shot(page, "seeded-phone")
    page.set_viewport_size({"width": 1280, "height": 860})
    shot(page, "seeded-desktop")


def test_two_users_join_an_online_tournament(new_page, account, shot):
    ann, _ = account("ann")
    bob, _ = account("bob")
    ann_page = new_page(label="ann")
    bob_page = new_page(label="bob")
    log_in(ann_page, ann)
    log_in(bob_page, bob)
    live(ann_page)
    live(bob_page)

    # Ann opens a three-seat tournament; she takes the first seat.
    open_tournaments(ann_page)
    ann_page.get_by_role("link", name="New online tournament").click()
    ann_page.get_by_label("Name of the tournament").fill("Friday cup")
    ann_page.get_by_label("Number of players").fill("3")
    ann_page.get_by_label("Points to win").fill("1")
    ann_page.get_by_role("button", name="Create the tournament").click()
    expect(ann_page).to_have_url(TOURNAMENT_URL)
    seats = ann_page.locator("#tournament-players")
    expect(seats.locator("li")).to_have_count(1)
    expect(seats).to_contain_text(ann)
    expect(ann_page.locator("#tournament-announce")).to_contain_text("1 of 3 seats taken")
    expect(ann_page.get_by_role("button", name="Start now")).to_be_disabled()
    shot(ann_page, "ann-created")

    # Bob finds it among the open ones and joins with an alias; Ann sees him arrive live.
    open_tournaments(bob_page)
    bob_page.locator("#tournament-open").get_by_role("link", name="Friday cup").click()
    # Typed once the view follows the tournament live (its first live copy redraws it).
    expect(bob_page.locator("#tournament-page")).to_have_attribute("data-watching", "true")
    bob_page.get_by_label("Alias").fill("Bobby")
    expect(bob_page.get_by_label("Alias")).to_have_value("Bobby")
    bob_page.get_by_role("button", name="Join Friday cup").click()
    expect(bob_page.locator("#tournament-players")).to_contain_text("Bobby")
    expect(bob_page.locator("#tournament-players li[data-alias='Bobby']")).to_contain_text("you")
    expect(seats.locator("li")).to_have_count(2)
    expect(seats).to_contain_text("Bobby")
    shot(bob_page, "bob-joined")

    # He may leave before the start (Ann sees it), and come back.
    bob_page.get_by_role("button", name="Leave the tournament").click()
    expect(seats.locator("li")).to_have_count(1)
    bob_page.get_by_label("Alias").fill("Bobby")
    bob_page.get_by_role("button", name="Join Friday cup").click()
    expect(seats.locator("li")).to_have_count(2)

    # The third seat goes to the AI: the tournament is full and starts by itself.
    ann_page.get_by_role("button", name="Add an AI player").click()
    expect(ann_page.locator("#tournament-lead")).to_contain_text("Running")
    expect(ann_page.locator("#tournament-bracket")).to_be_visible()
    # Seeds by rating (all unrated, so in join order): Ann has the bye, Bobby meets the AI.
    expect(ann_page.locator("#tournament-bracket")).to_contain_text(
        f"{ann} goes through without playing"
    )

    # Bobby is called: his tab is taken to the game by itself (held until he is in), with
    # the way back to the tournament in its URL; the call's toast says the same.
    expect(bob_page).to_have_url(CALLED_URL)
    expect(bob_page.locator("#pong-game")).to_have_attribute("data-role", re.compile("^player-"))
    expect(
        bob_page.locator("#toasts").get_by_role("link", name="Go to match: you play AI 1.")
    ).to_be_visible()
    shot(bob_page, "bob-called")
    # Bobby's match is played (one point): Ann, called to the final against its winner, is
    # taken from the bracket to that game as well.
    expect(ann_page).to_have_url(CALLED_URL, timeout=GAME_MS)
    expect(ann_page.locator("#pong-game")).to_have_attribute("data-role", re.compile("^player-"))
    expect(
        ann_page.locator("#toasts").get_by_role("link", name=re.compile("^Go to match: you play"))
    ).to_be_visible()
    shot(ann_page, "ann-called-to-the-final")
