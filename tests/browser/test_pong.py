"""Pong in the browser: local and remote games to a winner, spectating, the maths of the client.

The games run on the real server; the pages are driven with real key presses. The game
element (`#pong-game`) exposes what a player sees as data attributes (phase, scores, the
paddles' server positions, the ball's direction, returns per side), which the tests read.
"""

from __future__ import annotations

import re

import pytest
from browserkit import PASSWORD, live, log_in, serve_options
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# A whole point (a one-second serve delay, the ball crossing the field, a possible rally
# on a loaded machine) takes longer than Playwright's default wait.
GAME_MS = 90_000
DASH = "\u2013"  # between the two players' names
GAME_URL = re.compile(r"/play/games/[0-9a-f-]{36}$")


def open_lobby(page) -> None:
    page.get_by_role("link", name="Play", exact=True).first.click()
    expect(page.get_by_role("heading", name="Play Pong")).to_be_visible()


def set_options(page, *, score_limit: int = 1, paddle: int | None = None, ball: int | None = None):
    page.get_by_role("button", name="Reset the options to the classic game").click()
    expect(page.get_by_label("Points to win")).to_have_value("5")
    page.get_by_label("Points to win").fill(str(score_limit))
    if paddle is not None:
        page.get_by_label("Paddle size").fill(str(paddle))
    if ball is not None:
        page.get_by_label("Ball speed").fill(str(ball))


def game_of(page):
    game = page.locator("#pong-game")
    expect(game).to_be_visible()
    return game


def wait_number(page, attribute: str, test: str, timeout: int = 15_000) -> None:
    """Wait until `#pong-game[data-<attribute>]`, as a number n, satisfies `test` (JS)."""
    page.wait_for_function(
        f"() => {{ const el = document.querySelector('#pong-game');"
        f" if (!el || el.dataset.{attribute} === undefined) return false;"
        f" const n = Number(el.dataset.{attribute}); return {test}; }}",
        timeout=timeout,
    )


def test_local_game_to_a_winner(new_page, account, shot):
    ann, _ = account("ann")
    page = new_page(label="ann")
    log_in(page, ann)
    live(page)
    open_lobby(page)
    shot(page, "lobby")
    # The slowest ball leaves time to try the keys (over 4 s before it reaches a side);
    # tiny paddles, so that a ball let through ends the game at the first point.
    set_options(page, score_limit=1, paddle=20, ball=100)
    page.get_by_role("button", name="Local game (one keyboard)").click()
    expect(page).to_have_url(GAME_URL)
    game = game_of(page)
    expect(game).to_have_attribute("data-role", "local")
    expect(game.locator(".pong-right")).to_have_text("Player 2")
    expect(game.get_by_role("link", name=ann)).to_have_attribute(
        "href", re.compile(r"^/users/\d+$")
    )
    # Before a player's first game, the controls over the field, until "Got it".
    controls = page.get_by_test_id("pong-controls")
    expect(controls).to_contain_text("Left paddle: W and S. Right paddle: ↑ and ↓.")
    controls.get_by_role("button", name="Got it").click()
    expect(controls).to_have_count(0)
    expect(page.get_by_text("Left paddle: W and S. Right paddle: ↑ and ↓.")).to_be_visible()

    # One keyboard, two paddles: W moves the left one up, ↓ the right one down.
    page.keyboard.down("w")
    wait_number(page, "leftY", "n < 200")
    page.keyboard.up("w")
    page.keyboard.down("ArrowDown")
    wait_number(page, "rightY", "n > 400")
    page.keyboard.up("ArrowDown")
    assert int(game.get_attribute("data-left-y")) < 200
    shot(page, "local-playing")

    # Both players let the ball through: the first point wins.
    result = page.get_by_test_id("pong-result")
    expect(result).to_be_visible(timeout=GAME_MS)
    expect(result).to_contain_text(re.compile(rf"({re.escape(ann)}|Player 2) wins!"))
    expect(result).to_contain_text("1")
    expect(page.get_by_test_id("pong-continue")).to_have_count(0)
    winner = result.get_attribute("data-winner")
    assert winner in ("left", "right")
    expect(page.get_by_test_id("pong-rematch")).to_be_visible()  # on the field's overlay
    shot(page, "local-result")

    # Reloaded, the finished game shows its final score on the scoreboard and its result.
    page.reload()
    expect(page.get_by_test_id("pong-result")).to_have_attribute("data-winner", winner)
    scores = {"left": "1" if winner == "left" else "0", "right": "1" if winner == "right" else "0"}
    expect(page.get_by_test_id("pong-score-left")).to_have_text(scores["left"])
    expect(page.get_by_test_id("pong-score-right")).to_have_text(scores["right"])

    # The URL contract of other modules: ?next= adds a "Continue" that goes there.
    page.goto(page.url + "?next=/friends")
    expect(page.get_by_test_id("pong-result")).to_have_attribute("data-winner", winner)
    page.get_by_test_id("pong-continue").click()
    expect(page).to_have_url(re.compile(r"/friends$"))
    # And never to another site.
    page.go_back()
    page.goto(page.url.replace("next=/friends", "next=//evil.example"))
    expect(page.get_by_test_id("pong-result")).to_be_visible()
    expect(page.get_by_test_id("pong-continue")).to_have_count(0)


def test_the_options_form_offers_what_the_server_serves(new_page, account):
    """The lobby's options are the server's (`GET /api/pong/options`, the engine's
    definition): the defaults, each field's range, the themes, the "classic" preset."""
    ann, _ = account("ann")
    page = new_page(label="ann")
    changes: dict = {}
    served = serve_options(page, changes)
    log_in(page, ann)
    open_lobby(page)
    points, theme = page.get_by_label("Points to win"), page.get_by_label("Map and colours")
    defaults, limits = served[-1]["defaults"], served[-1]["limits"]
    expect(points).to_have_value(str(defaults["score_limit"]))
    expect(points).to_have_attribute("max", str(limits["score_limit"]["max"]))
    expect(page.get_by_label("Ball speed")).to_have_value(str(int(defaults["ball_speed"])))
    expect(page.get_by_label("Paddle size")).to_have_attribute(
        "max", str(int(limits["paddle_height"]["max"]))
    )
    expect(theme.locator("option")).to_have_count(len(served[-1]["themes"]))

    # Served otherwise, the form follows: other defaults, ranges, themes and preset.
    changes.update(
        defaults={"score_limit": 7},
        limits={"score_limit": {"min": 1, "max": 9, "step": 1}},
        themes=["classic", "neon"],
    )
    page.get_by_role("link", name="Home", exact=True).first.click()
    open_lobby(page)
    expect(points).to_have_value("7")
    expect(points).to_have_attribute("max", "9")
    expect(page.get_by_text("From 1 to 9")).to_be_visible()
    expect(theme.locator("option")).to_have_count(2)
    points.fill("3")
    page.get_by_role("button", name="Reset the options to the classic game").click()
    expect(points).to_have_value("7")


def test_remote_game_between_two_browsers(new_page, account, shot):
    ann, _ = account("ann")
    bob, _ = account("bob")
    ann_page = new_page(label="ann")
    bob_page = new_page(label="bob")
    for page, name in ((ann_page, ann), (bob_page, bob)):
        log_in(page, name)
        live(page)
        open_lobby(page)

    # Queueing shows a waiting indicator, and can be cancelled.
    waiting = ann_page.locator(".pong-waiting")
    ann_page.get_by_role("button", name="Find an opponent").click()
    expect(waiting).to_be_visible()
    expect(waiting).to_contain_text("Looking for an opponent")
    ann_page.get_by_role("button", name="Cancel").click()
    expect(waiting).to_be_hidden()

    # A queue per game settings: both ask for the same game (as in the local test: a slow
    # ball, tiny paddles, one point); Ann waits first, Bob's queueing pairs them.
    for page in (ann_page, bob_page):
        set_options(page, score_limit=1, paddle=20, ball=100)
    ann_page.get_by_role("button", name="Find an opponent").click()
    expect(waiting).to_be_visible()
    shot(ann_page, "ann-waiting")
    bob_page.get_by_role("button", name="Find an opponent").click()
    expect(ann_page).to_have_url(GAME_URL)
    expect(bob_page).to_have_url(GAME_URL)
    assert ann_page.url == bob_page.url
    ann_game, bob_game = game_of(ann_page), game_of(bob_page)
    expect(ann_game).to_have_attribute("data-role", "player-left")
    expect(bob_game).to_have_attribute("data-role", "player-right")
    expect(ann_game.locator(".pong-left")).to_contain_text(f"{ann} (you)")
    expect(bob_game.locator(".pong-right")).to_contain_text(f"{bob} (you)")

    # Real keys: Ann's ↑ moves her paddle on the server, which Bob sees too; Bob's S his.
    ann_page.keyboard.down("ArrowUp")
    wait_number(ann_page, "leftY", "n < 200")
    ann_page.keyboard.up("ArrowUp")
    wait_number(bob_page, "leftY", "n < 200")
    bob_page.keyboard.down("s")
    wait_number(bob_page, "rightY", "n > 400")
    bob_page.keyboard.up("s")
    wait_number(ann_page, "rightY", "n > 400")
    shot(ann_page, "ann-playing")
    shot(bob_page, "bob-playing")

    # Nobody returns the ball: one point ends it, and both see the same winner.
    for page in (ann_page, bob_page):
        expect(page.get_by_test_id("pong-result")).to_be_visible(timeout=GAME_MS)
    winner = ann_page.get_by_test_id("pong-result").get_attribute("data-winner")
    expect(bob_page.get_by_test_id("pong-result")).to_have_attribute("data-winner", winner)
    ann_won = winner == "left"
    expect(ann_page.get_by_test_id("pong-result")).to_contain_text(
        "You win!" if ann_won else "You lose"
    )
    expect(bob_page.get_by_test_id("pong-result")).to_contain_text(
        "You lose" if ann_won else "You win!"
    )
    shot(ann_page, "ann-result")
    shot(bob_page, "bob-result")

    # The match is in both players' profiles.
    for page, other, won in ((ann_page, bob, ann_won), (bob_page, ann, not ann_won)):
        page.goto("/profile")
        latest = page.locator("#stats-history tbody tr").first
        expect(latest).to_contain_text(other)
        expect(latest.locator("[data-result]")).to_have_text("Win" if won else "Loss")
        expect(latest).to_contain_text("Remote")
    shot(ann_page, "ann-profile")


def test_a_challenge_from_a_profile_accepted_and_declined_in_a_toast(new_page, account, shot):
    ann, _ = account("ann")
    bob, _ = account("bob")
    ann_page = new_page(label="ann")
    bob_page = new_page(label="bob")
    for page, name in ((ann_page, ann), (bob_page, bob)):
        log_in(page, name)
        live(page)
    # Ann finds Bob and challenges him from his profile.
    ann_page.goto("/friends")
    ann_page.get_by_label("Username or display name").fill(bob)
    ann_page.locator("#search-results").get_by_role("link", name=bob).click()
    expect(ann_page).to_have_url(re.compile(r"/users/\d+$"))
    challenge = ann_page.get_by_role("button", name=f"Challenge {bob} to a game of Pong")
    challenge.click()
    expect(ann_page.locator("#toasts")).to_contain_text("Challenge sent")

    # Bob, wherever he is, gets it with Accept and Decline; he declines the first one...
    toast = bob_page.locator("#toasts .toast", has_text=f"{ann} challenges you to a game.")
    expect(toast).to_have_count(1)
    shot(bob_page, "bob-challenged")
    toast.get_by_role("button", name="Decline").click()
    expect(toast).to_have_count(0)
    expect(ann_page.locator("#toasts")).to_contain_text(f"{bob} declined your challenge.")

    # ... and accepts the second: both tabs are taken to the same game (Ann's without a
    # click: she stays on Bob's profile otherwise), held until both are in.
    challenge.click()
    toast = bob_page.locator("#toasts .toast", has_text=f"{ann} challenges you to a game.")
    toast.get_by_role("button", name="Accept").click()
    expect(bob_page).to_have_url(GAME_URL)
    expect(game_of(bob_page)).to_have_attribute("data-role", "player-right")
    expect(ann_page).to_have_url(bob_page.url)
    # The game is on: "Challenge sent" is gone (it would otherwise outlive the game).
    expect(ann_page.locator("#toasts .toast", has_text="Challenge sent")).to_have_count(0)
    ann_game = game_of(ann_page)
    expect(ann_game).to_have_attribute("data-role", "player-left")
    # Nobody scored before both were there: the first serve comes after the countdown.
    expect(ann_game).to_have_attribute("data-phase", "playing")
    expect(ann_game).to_have_attribute("data-score-left", "0")
    expect(ann_game).to_have_attribute("data-score-right", "0")
    # Ann gives up: the result reaches both (a cancelled game if no point was scored yet,
    # Bob's win by forfeit otherwise: a classic game may have had its first point).
    ann_page.get_by_role("button", name="Leave game").click()
    ann_page.get_by_role("button", name="Leave and forfeit").click()
    expect(ann_page.get_by_test_id("pong-result")).to_contain_text(
        re.compile(r"Game cancelled|You lose")
    )
    expect(bob_page.get_by_test_id("pong-result")).to_contain_text(
        re.compile(r"Game cancelled|You win!")
    )


def test_a_player_who_closes_the_tab_comes_back(new_page, account, browser_errors, shot):
    ann, _ = account("ann")
    bob, _ = account("bob")
    ann_page = new_page(label="ann")
    bob_page = new_page(label="bob")
    for page, name in ((ann_page, ann), (bob_page, bob)):
        log_in(page, name)
        live(page)
        open_lobby(page)
    # Walls for paddles and a slow ball: nobody scores while Bob is away (both queue for it).
    for page in (ann_page, bob_page):
        set_options(page, score_limit=1, paddle=600, ball=100)
    ann_page.get_by_role("button", name="Find an opponent").click()
    expect(ann_page.locator(".pong-waiting")).to_be_visible()
    bob_page.get_by_role("button", name="Find an opponent").click()
    expect(bob_page).to_have_url(GAME_URL)
    game_url = bob_page.url
    ann_game = game_of(ann_page)
    expect(ann_game).to_have_attribute("data-phase", "playing")

    # Bob closes his tab: the game pauses and Ann sees the forfeit countdown.
    bob_page.close()
    expect(ann_game).to_have_attribute("data-paused", "true")
    status = ann_page.get_by_test_id("pong-status")
    expect(status).to_contain_text(
        re.compile(rf"{bob} is disconnected: they lose by forfeit in \d+ s")
    )
    shot(ann_page, "ann-sees-the-countdown")

    # He opens the game again (same browser, so still logged in): a countdown, then play.
    back = bob_page.context.new_page()
    browser_errors.attach(back, "bob-again")
    back.goto(game_url)
    expect(game_of(back)).to_have_attribute("data-role", "player-right")
    expect(ann_game).to_have_attribute("data-paused", "false")
    expect(ann_game).to_have_attribute("data-phase", "playing")
    expect(status).not_to_contain_text("disconnected")
    back.keyboard.down("ArrowDown")
    back.keyboard.up("ArrowDown")

    # Ann gives up before any point: a loss for no one, the game is cancelled.
    ann_page.get_by_role("button", name="Leave game").click()
    ann_page.get_by_role("button", name="Leave and forfeit").click()
    expect(back.get_by_test_id("pong-result")).to_contain_text("Game cancelled")
    expect(back.get_by_test_id("pong-cancelled")).to_contain_text("Abandoned before any point")
    shot(back, "bob-sees-the-cancelled-game")
    # Opened again, the finished game shows its final score and result.
    back.reload()
    expect(back.get_by_test_id("pong-result")).to_contain_text("Game cancelled")
    expect(game_of(back)).to_have_attribute("data-score-left", "0")


def test_a_spectator_watches_a_live_game(new_page, account, shot):
    ann, _ = account("ann")
    cat, _ = account("cat")
    ann_page = new_page(label="ann")
    cat_page = new_page(label="cat")
    log_in(ann_page, ann)
    live(ann_page)
    open_lobby(ann_page)
    # Cat is in the lobby before the game starts: it shows up in her list without a reload.
    log_in(cat_page, cat)
    live(cat_page)
    open_lobby(cat_page)
    live_games = cat_page.locator("#pong-live")
    expect(live_games.locator("li").first).to_be_visible()  # the list was read
    # A long game (21 points, a wide paddle for each side) that Ann will abandon.
    set_options(ann_page, score_limit=21, paddle=400)
    ann_page.get_by_role("button", name="Local game (one keyboard)").click()
    expect(ann_page).to_have_url(GAME_URL)
    game_id = ann_page.url.rsplit("/", 1)[1]
    expect(game_of(ann_page)).to_have_attribute("data-role", "local")

    entry = live_games.locator(f'[data-game-id="{game_id}"]')
    expect(entry).to_contain_text(f"{ann} {DASH} Player 2")
    shot(cat_page, "live-list")
    entry.get_by_role("link", name=f"Watch {ann} {DASH} Player 2").click()
    expect(cat_page).to_have_url(re.compile(rf"/play/games/{game_id}$"))
    watched = game_of(cat_page)
    expect(watched).to_have_attribute("data-role", "spectator")
    expect(cat_page.get_by_text("You are watching this game.")).to_be_visible()
    expect(watched.locator(".pong-left")).to_contain_text(ann)
    expect(watched.locator(".pong-left")).not_to_contain_text("(you)")
    # The game is live for the spectator: the ball is in play and Ann's keys show.
    expect(watched).to_have_attribute("data-phase", "playing")
    ann_page.keyboard.down("s")
    wait_number(cat_page, "leftY", "n > 350")
    ann_page.keyboard.up("s")
    # A spectator has no controls.
    expect(cat_page.get_by_role("button", name="Leave game")).to_have_count(0)
    shot(cat_page, "spectating")

    # Cat's second tab on the lobby lists the game, and drops it as soon as it ends.
    lobby = cat_page.context.new_page()
    lobby.goto("/play")
    live(lobby)
    expect(lobby.locator(f'#pong-live [data-game-id="{game_id}"]')).to_have_count(1)

    # Ann leaves (after confirming): she forfeits, and the spectator sees the result.
    ann_page.get_by_role("button", name="Leave game").click()
    ann_page.get_by_role("button", name="Leave and forfeit").click()
    result = cat_page.get_by_test_id("pong-result")
    expect(result).to_contain_text("Player 2 wins!")
    expect(result).to_contain_text(f"{ann} left the game (forfeit).")
    expect(ann_page.get_by_test_id("pong-result")).to_contain_text("Player 2 wins!")
    shot(cat_page, "spectator-result")
    expect(lobby.locator(f'#pong-live [data-game-id="{game_id}"]')).to_have_count(0)
    lobby.close()
    # Finished games leave the live list.
    cat_page.get_by_role("link", name="Back to the lobby").click()
    expect(cat_page.locator(f'#pong-live [data-game-id="{game_id}"]')).to_have_count(0)


def test_touch_controls_on_a_phone(new_page, account, shot):
    ann, _ = account("ann")
    page = new_page(label="phone", width=375, height=740, has_touch=True, is_mobile=True)
    # The account menu is folded away at this width: log in through the form only.
    page.goto("/login?next=/play")
    page.get_by_label("Username or email").fill(ann)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("heading", name="Play Pong")).to_be_visible()
    set_options(page, score_limit=21, paddle=300)
    page.get_by_role("button", name="Local game (one keyboard)").click()
    game = game_of(page)
    expect(game).to_have_attribute("data-role", "local")
    up = page.get_by_role("button", name="Right paddle up")
    expect(up).to_be_visible()
    expect(page.get_by_role("group", name="Left paddle controls")).to_be_visible()
    # Press and hold, then release, as a finger does.
    up.dispatch_event("pointerdown", {"pointerId": 1, "pointerType": "touch"})
    wait_number(page, "rightY", "n < 250")
    up.dispatch_event("pointerup", {"pointerId": 1, "pointerType": "touch"})
    # The page fits the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "phone")
    page.get_by_role("button", name="Leave game").click()
    page.get_by_role("button", name="Leave and forfeit").click()
    expect(page.get_by_test_id("pong-result")).to_be_visible()


PREDICTION_SCRIPT = """
async () => {
  const { PaddlePredictor } = await import('/modules/pong/static/net/prediction.js');
  const { SnapshotBuffer } = await import('/modules/pong/static/net/interpolation.js');
  // A server 60 ms away each way, ticking at 60 Hz and snapshotting at 30 Hz.
  const ONE_WAY = 60, SPEED = 420, HALF = 50;
  const server = { y: 300, dir: 0, ack: 0, queue: [] };
  const predictor = new PaddlePredictor({ y: 300, height: 100, now: 0 });
  const inbox = [];
  const keys = [[100, 'up', true], [600, 'up', false], [900, 'down', true], [1000, 'down', false],
                [1500, 'down', true], [3200, 'down', false]];
  let seq = 0, worstAfterSettle = 0, settledAt = 3200 + 2 * ONE_WAY + 100;
  for (let t = 0; t <= 4000; t += 1) {
    for (const [at, key, pressed] of keys) if (at === t) {
      seq += 1;
      predictor.input(key, pressed, seq, t);
      server.queue.push({ arrive: t + ONE_WAY, key, pressed, seq });
    }
    while (server.queue.length && server.queue[0].arrive <= t) {
      const input = server.queue.shift();
      server.keys = server.keys || { up: false, down: false };
      server.keys[input.key] = input.pressed;
      server.dir = (server.keys.down ? 1 : 0) - (server.keys.up ? 1 : 0);
      server.ack = input.seq;
    }
    if (t % 16 === 0) {
      server.y = Math.min(Math.max(server.y + server.dir * SPEED * 0.016, HALF), 600 - HALF);
      if (t % 32 === 0) inbox.push({ arrive: t + ONE_WAY, y: server.y, ack: server.ack });
    }
    while (inbox.length && inbox[0].arrive <= t) {
      const snap = inbox.shift();
      predictor.reconcile({ y: snap.y, height: 100, ack: snap.ack }, t);
    }
    if (t >= settledAt) {
      worstAfterSettle = Math.max(worstAfterSettle, Math.abs(predictor.display(t) - server.y));
    }
  }
  // Immediate response: 50 ms after the first press the predicted paddle already moved.
  const fresh = new PaddlePredictor({ y: 300, height: 100, now: 0 });
  fresh.input('up', true, 1, 0);
  const moved = 300 - fresh.display(50);

  // Interpolation: drawn 100 ms in the past, between the two surrounding snapshots.
  const buffer = new SnapshotBuffer({ delay: 100 });
  const state = (t, x) => ({ server_time: t / 1000, phase: 'playing',
    ball: { x, y: 300, vx: 300, vy: 0 },
    paddles: { left: { y: 300, height: 100 }, right: { y: 300, height: 100 } }, powerup: null });
  buffer.push(state(1000, 100), 1040);
  buffer.push(state(1033, 110), 1073);
  buffer.push(state(1066, 120), 1150);  // late: the offset keeps the fastest delivery (40 ms)
  const middle = buffer.sample(1156.5).ball.x;   // server time 1016.5: halfway from 100 to 110
  const beyond = buffer.sample(1400).ball.x;     // past the newest: extrapolated at most 100 ms
  return { rtt: predictor.rtt, worstAfterSettle, finalServer: server.y,
           finalPredicted: predictor.display(4000), moved, middle, beyond, offset: buffer.offset };
}
"""


SPIKES_SCRIPT = """
async () => {
  const { PaddlePredictor } = await import('/modules/pong/static/net/prediction.js');
  // 100 ms round trip; 5 % of messages, each way, held 150 ms more. Over TCP a late message
  // holds back the ones behind it (nothing is reordered).
  const ONE_WAY = 50, SPIKE = 150, SPEED = 420, HALF = 50, STOP = 9000, END = 10000;
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  let spikes = 0;
  const link = () => {
    let last = 0;
    return (t) => {
      const late = rand() < 0.05;
      if (late) spikes += 1;
      return (last = Math.max(last, t + ONE_WAY + (late ? SPIKE : 0)));
    };
  };
  const toServer = link(), toClient = link();
  const server = { y: 300, dir: 0, ack: 0, keys: { up: false, down: false }, queue: [] };
  const predictor = new PaddlePredictor({ y: 300, height: 100, now: 0 });
  const inbox = [];
  let seq = 0, held = null, worstStep = 0, shownBefore = null, snapshots = 0;
  const send = (key, pressed, t) => {
    seq += 1;
    predictor.input(key, pressed, seq, t);
    server.queue.push({ arrive: toServer(t), key, pressed, seq });
  };
  for (let t = 0; t <= END; t += 1) {
    if (t < STOP && t % 250 === 0) {  // a player changing their mind four times a second
      const want = ['up', 'down', null][Math.floor(rand() * 3)];
      if (want !== held) {
        if (held) send(held, false, t);
        if (want) send(want, true, t);
        held = want;
      }
    }
    if (t === STOP && held) { send(held, false, t); held = null; }
    while (server.queue.length && server.queue[0].arrive <= t) {
      const input = server.queue.shift();
      server.keys[input.key] = input.pressed;
      server.dir = (server.keys.down ? 1 : 0) - (server.keys.up ? 1 : 0);
      server.ack = input.seq;
    }
    if (t % 16 === 0) {
      server.y = Math.min(Math.max(server.y + server.dir * SPEED * 0.016, HALF), 600 - HALF);
      if (t % 32 === 0) inbox.push({ arrive: toClient(t), y: server.y, ack: server.ack });
    }
    while (inbox.length && inbox[0].arrive <= t) {
      const snap = inbox.shift();
      predictor.reconcile({ y: snap.y, height: 100, ack: snap.ack }, t);
      snapshots += 1;
    }
    if (t % 16 === 0) {  // a frame: how far the drawn paddle moved since the last one
      const shown = predictor.display(t);
      if (shownBefore !== null) worstStep = Math.max(worstStep, Math.abs(shown - shownBefore));
      shownBefore = shown;
    }
  }
  return { spikes, snapshots, worstStep, finalGap: Math.abs(predictor.display(END) - server.y) };
}
"""


def test_prediction_stays_smooth_through_delay_spikes(new_page):
    """100 ms RTT with 5 % of the messages late by 150 ms: the drawn paddle never jumps (it
    moves at most a few units more per frame than the paddle itself), and it ends where the
    server has it."""
    page = new_page()
    page.goto("/")
    result = page.evaluate(SPIKES_SCRIPT)
    assert result["spikes"] >= 10, result  # the spikes happened
    assert result["snapshots"] > 300, result
    frame = 420 * 0.016  # the paddle's own move in one 16 ms frame
    assert result["worstStep"] < frame + 10, result
    assert result["finalGap"] < 1, result


def test_prediction_and_interpolation_maths(new_page):
    """The client's maths, as the browser runs them (the ES modules, no build step)."""
    page = new_page()
    page.goto("/")
    result = page.evaluate(PREDICTION_SCRIPT)
    # The RTT is learnt from the acknowledgements (two 60 ms legs, plus snapshot spacing).
    assert 110 <= result["rtt"] <= 170, result
    # Once the keys are released and acknowledged, prediction and server agree.
    assert abs(result["finalPredicted"] - result["finalServer"]) < 1, result
    assert result["worstAfterSettle"] < 1, result
    # A press moves the paddle at once, at the paddle's speed, without waiting for the server.
    assert result["moved"] == pytest.approx(420 * 0.05, abs=0.5), result
    assert result["offset"] == pytest.approx(40), result
    assert result["middle"] == pytest.approx(105, abs=0.01), result
    assert result["beyond"] == pytest.approx(120 + 300 * 0.1, abs=0.01), result
