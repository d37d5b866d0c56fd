"""Stats dashboards in the browser: seeded matches whose outcome the test sets, then the user
dashboard, the game-session dashboard, the leaderboard and the profile section, with every
chart drawn (pixels on its canvas) and its table holding the figures.

The matches are seeded by running this file as a script against the server's database
(`python test_stats.py seed <plan>`): it reports them the way pong does (ratings, then the
`match_finished` hook) through tests/plugins/stats/statskit.py. A subprocess, because
Playwright's sync API keeps an event loop running in the test's thread.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "plugins" / "stats" / "transcendence_stats" / "static"
CHART_JS = ROOT / "web" / "vendor" / "chartjs"

# Alice's games, in the order they end: (mode, opponent, alice's score, theirs).
PLAN = [
    ("remote", "bob", 5, 3),
    ("remote", "bob", 2, 5),
    ("remote", "bob", 5, 1),
    ("tournament", "Player 2", 5, 4),  # an online tournament's AI seat: it counts
    ("ai", "AI (hard)", 3, 5),
]
# A longer history, for the profile: 22 matches, of which the latest 10 are listed there.
# The fifth element, when present, is the side that forfeited (Alice plays on the left).
PROFILE_PLAN = (
    [("remote", "bob", 2, 5) if n % 3 == 2 else ("remote", "bob", 5, 3) for n in range(17)]
    + [("local", "Player 2", 5, 2)]  # one keyboard: in the history, counted for nothing
    + [("remote", "bob", 1, 0, "left")]  # Alice left while ahead: a loss by forfeit
    + [("remote", "bob", 5, 4)] * 3
)
# The first match's rallies: hits and top speed per rally (the winners alternate, 5-3).
FIRST_HITS = [2, 5, 3, 8, 4, 6, 3, 8]
FIRST_SPEEDS = [360.0, 380.0, 420.0, 510.0, 450.0, 600.0, 400.0, 720.0]


# --- the seeding script ---------------------------------------------------------------------


async def _seed(plan: dict) -> dict:
    import types

    sys.path.insert(0, str(ROOT / "tests" / "plugins" / "stats"))
    from statskit import Matches as StatsMatches
    from statskit import rallies_for  # type: ignore[import-not-found]

    from transcendence.accounts.models import User
    from transcendence.app import create_app
    from transcendence.settings import Settings
    from transcendence_pong.models import Rating

    app = create_app(Settings())
    async with app.test_app():
        # This process's startup began the stats catch-up: let it finish first, or it could
        # count a seeded match before its hook does (without its rating point).
        catch_up = app.extensions.get("stats")
        if catch_up is not None:
            await catch_up
        users = {}
        for name in (plan["alice"], plan["bob"]):
            user = await User.get(username=name)
            users[name] = types.SimpleNamespace(id=user.id, user=user)
        matches = StatsMatches(app)
        ids = []
        for index, (mode, other, mine, theirs, *forfeit) in enumerate(plan["games"]):
            opponent = users[plan["bob"]] if other == "bob" else other
            rallies = None
            if index == 0:
                rallies = rallies_for(mine, theirs)
                for rally, hits, speed in zip(rallies, FIRST_HITS, FIRST_SPEEDS, strict=True):
                    rally["hits"], rally["max_speed"] = hits, speed
            match = await matches.play(
                users[plan["alice"]],
                opponent,
                (mine, theirs),
                mode=mode,
                rallies=rallies,
                forfeit=forfeit[0] if forfeit else None,
                record={"keyboard": mode == "local"},
                # In a shuffled order: the dashboard shows them in the lobby's.
                options={
                    "theme": "classic",
                    "powerups": False,
                    "ball_speed_max": 1100.0,
                    "ball_speed": 360.0,
                    "acceleration": 1.06,
                    "paddle_height": 100,
                    "score_limit": 5,
                },
            )
            ids.append(str(match.id))
        ratings = {name: (await Rating.get(user_id=u.id)).rating for name, u in users.items()}
        return {"match_ids": ids, "ratings": ratings}


if __name__ == "__main__" and sys.argv[1:2] == ["seed"]:
    import asyncio

    print(json.dumps(asyncio.run(_seed(json.loads(sys.argv[2])))))
    sys.exit(0)


# --- the tests ------------------------------------------------------------------------------

from browserkit import PASSWORD, log_in  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.browser


def seed(server, alice: str, bob: str, games: list | None = None) -> dict:
    plan = {"alice": alice, "bob": bob, "games": games or PLAN}
    result = subprocess.run(
        [sys.executable, __file__, "seed", json.dumps(plan)],
        env=server.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def elo(a: int, b: int, a_won: bool) -> tuple[int, int]:
    expected = 1 / (1 + 10 ** ((b - a) / 400))
    delta = round(32 * ((1.0 if a_won else 0.0) - expected))
    return a + delta, b - delta


def expected_ratings() -> list[tuple[int, int]]:
    alice = bob = 1000
    out = []
    for mode, _other, mine, theirs, *_ in PLAN:
        if mode == "remote":
            alice, bob = elo(alice, bob, mine > theirs)
            out.append((alice, bob))
    return out


def table_rows(page, selector: str) -> list[list[str]]:
    return page.locator(f"{selector} tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.children].map(c => c.textContent.trim()))"
    )


def assert_charts_drawn(page, ids: list[str]) -> None:
    """Each chart has a Chart.js instance with data, and visible pixels on its canvas."""
    for chart_id in ids:
        canvas = page.locator(f"#{chart_id}-canvas")
        expect(canvas).to_be_visible()
        page.wait_for_function(
            """id => {
              const canvas = document.getElementById(id + "-canvas");
              const chart = window.Chart && window.Chart.getChart(canvas);
              if (!chart || !chart.data.datasets.some(d => d.data.length)) return false;
              if (!canvas.width || !canvas.height) return false;
              const context = canvas.getContext("2d");
              const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
              let drawn = 0;
              for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) drawn += 1;
              return drawn > 500;
            }""",
            arg=chart_id,
        )


def leaderboard_names(page) -> list[str]:
    return page.locator("#leaderboard tbody tr td:nth-child(2) a").all_text_contents()


def no_sideways_scroll(page) -> None:
    """The page fits the phone's width; else name the elements that stick out."""
    wide = page.evaluate(
        """() => {
          const limit = 375;
          const root = document.documentElement;
          const width = Math.max(root.scrollWidth, document.body.scrollWidth, window.innerWidth);
          if (width <= limit) return [];
          const out = [...document.querySelectorAll("body *")]
            .filter(el => el.getBoundingClientRect().right > limit + 1)
            .map(el => `${el.tagName}#${el.id}.${el.className}`);
          return out.length ? out.slice(0, 8) : [`scrollWidth ${width}`];
        }"""
    )
    assert not wide, wide


def tile(page, name: str):
    return page.locator(f'[data-stat="{name}"] .stat-value')


def test_dashboards_show_the_seeded_games(new_page, account, server, shot):
    alice, _ = account("alice")
    bob, _ = account("bob")
    seeded = seed(server, alice, bob)
    ratings = expected_ratings()
    assert seeded["ratings"] == {alice: ratings[-1][0], bob: ratings[-1][1]}

    page = new_page(label="alice")
    log_in(page, alice)
    page.get_by_role("link", name="Stats", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My statistics")
    expect(tile(page, "games")).to_have_text("5")
    expect(tile(page, "wins")).to_have_text("3")
    expect(tile(page, "losses")).to_have_text("2")
    expect(tile(page, "win_rate")).to_have_text("60%")
    expect(tile(page, "current_streak")).to_have_text("1 loss")
    expect(tile(page, "best_streak")).to_have_text("2")
    expect(tile(page, "points_scored")).to_have_text("20")
    expect(tile(page, "points_conceded")).to_have_text("18")
    expect(tile(page, "longest_rally")).to_have_text("8")
    expect(tile(page, "rating")).to_have_text(str(ratings[-1][0]))
    assert_charts_drawn(page, ["chart-rating", "chart-modes", "chart-opponents"])
    # Three remote games on one day: the day is written once on the time axis, not thrice.
    days = page.evaluate(
        """() => window.Chart.getChart(document.getElementById("chart-rating-canvas"))
              .scales.x.ticks.map(tick => tick.label)"""
    )
    assert days and all(days) and len(set(days)) == len(days), days

    # The tables behind the charts say the same, for screen readers (and on request).
    assert [row[1] for row in table_rows(page, "#chart-rating-table")] == [
        str(a) for a, _ in ratings
    ]
    assert table_rows(page, "#chart-modes-table") == [
        ["Local", "0", "0", "0", "—"],
        ["Remote", "3", "2", "1", "66.7%"],
        ["AI", "1", "0", "1", "0%"],
        ["Tournament", "1", "1", "0", "100%"],
    ]
    assert sorted(table_rows(page, "#chart-opponents-table")) == sorted(
        [
            [bob, "3", "2", "1", "66.7%"],
            ["Player 2", "1", "1", "0", "100%"],
            ["AI (hard)", "1", "0", "1", "0%"],
        ]
    )
    box = page.locator("#chart-modes-table-box")
    expect(box).to_have_class(re.compile(r"\bvisually-hidden\b"))
    toggle = page.locator("#chart-modes").get_by_role("button", name="Show the data as a table")
    toggle.click()
    expect(box).not_to_have_class(re.compile(r"\bvisually-hidden\b"))
    expect(page.locator("#chart-modes-table")).to_be_visible()
    hide = page.locator("#chart-modes .stats-table-toggle")
    expect(hide).to_have_text("Hide the table")
    expect(hide).to_have_attribute("aria-expanded", "true")
    recent = table_rows(page, "#stats-recent")
    assert [row[1] for row in recent] == ["AI (hard)", "Player 2", bob, bob, bob]
    assert [row[3] for row in recent] == [
        f"{a}\u2013{b}" for a, b in ((3, 5), (5, 4), (5, 1), (2, 5), (5, 3))
    ]
    shot(page, "my-dashboard")

    # The first match's dashboard, from its row in the recent matches.
    first = seeded["match_ids"][0]
    page.locator(f'#stats-recent tr[data-match="{first}"]').get_by_role(
        "link", name=re.compile("^Match details")
    ).click()
    expect(page).to_have_url(re.compile(f"/stats/matches/{first}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Match: {alice} vs {bob}")
    expect(page.locator(".stats-side-left .stats-side-score")).to_have_text("5")
    expect(page.locator(".stats-side-right .stats-side-score")).to_have_text("3")
    expect(tile(page, "winner")).to_have_text(alice)
    expect(tile(page, "rallies")).to_have_text("8")
    expect(tile(page, "total_hits")).to_have_text(str(sum(FIRST_HITS)))
    expect(tile(page, "longest_rally")).to_have_text("8")
    expect(tile(page, "max_speed")).to_have_text("720")
    assert_charts_drawn(page, ["chart-score", "chart-rallies", "chart-speed", "chart-hits"])
    rallies = table_rows(page, "#chart-rallies-table")
    assert [row[1] for row in rallies] == [str(n) for n in FIRST_HITS]
    assert [row[3] for row in rallies] == [alice, bob, alice, bob, alice, bob, alice, alice]
    assert [row[1] for row in table_rows(page, "#chart-speed-table")] == [
        f"{s:.0f}" for s in FIRST_SPEEDS
    ]
    score = table_rows(page, "#chart-score-table")
    assert score[0][2:] == ["0", "0"] and score[-1][2:] == ["5", "3"]
    total = sum(FIRST_HITS)
    assert table_rows(page, "#chart-hits-table") == [
        [alice, str(total // 2)],
        [bob, str(total - total // 2)],
    ]
    # The settings in words and units, in the lobby's order: no raw keys, no raw values.
    assert table_rows(page, "#stats-settings") == [
        ["Points to win", "5"],
        ["Ball speed", "360 units/s"],
        ["Maximum ball speed", "1,100 units/s"],
        ["Speed-up per hit", "\u00d71.06"],
        ["Paddle size", "100 units"],
        ["Power-ups", "No"],
        ["Map and colours", "Classic"],
    ]
    shot(page, "match-dashboard")

    # Bob's dashboard, seen by Alice through the link on the opponent's name.
    page.locator(".stats-side-right").get_by_role("link", name=bob).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Statistics of {bob}")
    expect(tile(page, "games")).to_have_text("3")
    expect(tile(page, "wins")).to_have_text("1")
    expect(tile(page, "losses")).to_have_text("2")
    expect(tile(page, "rating")).to_have_text(str(ratings[-1][1]))
    assert_charts_drawn(page, ["chart-rating", "chart-modes", "chart-opponents"])
    assert table_rows(page, "#chart-opponents-table") == [[alice, "3", "1", "2", "33.3%"]]
    shot(page, "bobs-dashboard-seen-by-alice")

    # Bob's own, in his browser.
    bob_page = new_page(label="bob")
    log_in(bob_page, bob)
    bob_page.goto("/stats")
    expect(tile(bob_page, "wins")).to_have_text("1")
    assert_charts_drawn(bob_page, ["chart-rating", "chart-modes", "chart-opponents"])
    shot(bob_page, "bob-dashboard")


def test_leaderboard_and_profile_section(new_page, account, server, shot):
    alice, _ = account("alice")
    bob, _ = account("bob")
    seeded = seed(server, alice, bob)
    page = new_page(label="alice")
    log_in(page, alice)

    page.get_by_role("link", name="Leaderboard", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Leaderboard")
    # The default board ranks by rating (remote games); the others sit beside it.
    expect(page.get_by_text("Ranked by rating from remote games.")).to_be_visible()
    expect(page.get_by_label("Mode")).to_have_value("remote")
    page.get_by_label("Mode").select_option("all")
    expect(page).to_have_url(re.compile(r"/leaderboard\?mode=all$"))
    expect(page.locator("#leaderboard tbody")).to_contain_text(alice)
    # Ranked by wins in every counted game: this test's two players keep their order.
    names = leaderboard_names(page)
    assert names.index(alice) < names.index(bob)
    expect(page.locator(f'#leaderboard tr[data-user] >> text="{alice}"')).to_be_visible()
    shot(page, "leaderboard-all")

    page.get_by_label("Mode").select_option("remote")
    expect(page).to_have_url(re.compile(r"/leaderboard$"))
    expect(page.get_by_text("Ranked by rating from remote games.")).to_be_visible()
    expect(page.locator("#leaderboard tbody")).to_contain_text(bob)
    ranked = dict(zip(leaderboard_names(page), table_rows(page, "#leaderboard"), strict=True))
    assert ranked[alice][2] == str(seeded["ratings"][alice])
    assert ranked[alice][3:6] == ["3", "2", "1"]
    assert ranked[bob][2] == str(seeded["ratings"][bob])
    page.get_by_label("Period").select_option("week")
    expect(page).to_have_url(re.compile(r"/leaderboard\?period=week$"))
    expect(page.locator(f'#leaderboard tr >> text="{bob}"')).to_be_visible()
    page.reload()
    expect(page.get_by_label("Period")).to_have_value("week")
    expect(page.get_by_label("Mode")).to_have_value("remote")
    shot(page, "leaderboard-remote-week")

    # Bob's profile links to his dashboard and lists his last matches with their details.
    page.locator(f'#leaderboard tr >> text="{bob}"').click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Statistics of {bob}")
    page.get_by_role("link", name="Profile", exact=True).click()
    section = page.locator("#stats-profile")
    expect(section.get_by_role("link", name="Open the full statistics")).to_be_visible()
    expect(section.locator("#stats-history tbody tr")).to_have_count(3)
    expect(section.locator("#stats-history-all")).to_have_count(0)  # all three are there
    shot(page, "profile-section")
    last = seeded["match_ids"][2]
    section.locator(f'tr[data-match="{last}"]').get_by_role(
        "link", name=re.compile("^Match details")
    ).click()
    expect(page.locator(".stats-side-left .stats-side-score")).to_have_text("5")
    expect(page.locator(".stats-side-right .stats-side-score")).to_have_text("1")


def language_saved(response) -> bool:
    return response.url.endswith("/api/me/") and response.request.method == "PATCH"


def test_the_profile_reads_as_a_summary(new_page, account, server, shot):
    alice, _ = account("alice")
    bob, _ = account("bob")
    seeded = seed(server, alice, bob, PROFILE_PLAN)
    forfeited = seeded["match_ids"][PROFILE_PLAN.index(("remote", "bob", 1, 0, "left"))]
    page = new_page(label="alice")
    log_in(page, alice)
    page.goto("/profile")
    section = page.locator("#stats-profile")
    # 21 counted games (the one-keyboard game is history only): 15 won, 6 lost.
    expect(tile(section, "games")).to_have_text("21")
    expect(tile(section, "wins")).to_have_text("15")
    expect(tile(section, "losses")).to_have_text("6")
    expect(tile(section, "win_rate")).to_have_text("71.4%")
    expect(tile(section, "current_streak")).to_have_text("3 wins")
    expect(tile(section, "best_streak")).to_have_text("3 wins")
    # One list of matches: the latest 10 of 22, and a way to the rest.
    rows = section.locator("#stats-history tbody tr")
    expect(rows).to_have_count(10)
    expect(page.locator("[data-match]")).to_have_count(10)
    expect(page.locator(".extras")).to_have_count(0)  # the raw extras are not listed again
    expect(section.locator("#stats-history-count")).to_have_text("The latest 10 of 22 matches")
    row = section.locator(f'tr[data-match="{forfeited}"]')
    expect(row.locator("[data-result]")).to_have_text("Loss by forfeit")
    expect(row).to_contain_text("1\u20130")
    local = rows.nth(4)  # newest first: three wins, the forfeit, then the one-keyboard game
    expect(local).to_contain_text("Player 2")
    expect(local.locator("[data-result]")).to_have_text("Not counted")
    card = page.locator(".profile-page").inner_text()
    for raw in ("null", "0.7143", "Result:", "Win rate null", "lost"):
        assert raw not in card, raw
    shot(page, "profile-summary")

    page.get_by_role("link", name="See all matches").click()
    expect(page).to_have_url(re.compile(r"/stats/users/\d+/matches$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My matches")
    expect(page.get_by_text("22 matches, newest first.")).to_be_visible()
    expect(page.locator("#stats-history tbody tr")).to_have_count(20)
    page.get_by_role("button", name="Show more").click()
    expect(page.locator("#stats-history tbody tr")).to_have_count(22)
    expect(page.get_by_role("button", name="Show more")).to_be_hidden()
    assert page.locator("#stats-history tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.match)"
    ) == list(reversed(seeded["match_ids"]))
    shot(page, "all-matches")

    # The same block in French and in Russian: numbers and words in the reader's language.
    page.goto("/profile")
    for lang, streak, forfeit, shown in (
        ("fr", "3 victoires", "Défaite par forfait", "Les 10 derniers matchs sur 22"),
        ("ru", "3 победы", "Техническое поражение", "Последние 10 из 22 матчей"),
    ):
        rate = "71,4\u00a0%"  # a decimal comma and a space before the sign in both
        with page.expect_response(language_saved):
            page.locator("#language-select").select_option(lang)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        page.goto("/profile")
        expect(tile(section, "current_streak")).to_have_text(streak)
        assert tile(section, "win_rate").inner_text().replace("\u202f", "\u00a0") == rate
        row = section.locator(f'tr[data-match="{forfeited}"]')
        expect(row.locator("[data-result]")).to_have_text(forfeit)
        expect(section.locator("#stats-history-count")).to_have_text(shown)
        shot(page, f"profile-summary-{lang}")

    # On a phone the block fits the screen's width.
    phone = new_page(width=375, height=740, is_mobile=True, has_touch=True, label="phone")
    phone.goto("/login")
    phone.get_by_label("Username or email").fill(alice)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Log in", exact=True).click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text(alice)
    phone.goto("/profile")
    expect(phone.locator("#stats-history tbody tr")).to_have_count(10)
    no_sideways_scroll(phone)
    # Nor does the table need scrolling sideways in its box: the phone's columns fit.
    assert phone.locator("#stats-history").evaluate(
        "table => table.scrollWidth <= table.parentElement.clientWidth"
    )
    shot(phone, "phone-profile-summary")

    # A newcomer's profile says there is nothing yet, in words.
    carol, _ = account("carol")
    other = new_page(label="carol")
    log_in(other, carol)
    other.goto("/profile")
    expect(other.locator("#stats-profile-empty")).to_have_text(
        "No matches yet: the first one will show here."
    )
    assert "null" not in other.locator(".profile-page").inner_text()
    shot(other, "profile-newcomer")


def test_dashboards_on_a_phone_in_french(new_page, account, server, shot):
    alice, _ = account("alice")
    bob, _ = account("bob")
    seeded = seed(server, alice, bob)
    page = new_page(width=375, height=740, is_mobile=True, has_touch=True, label="phone")
    page.goto("/login")
    page.get_by_label("Username or email").fill(alice)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(alice)
    page.get_by_role("button", name="Menu").click()
    page.locator("#language-select").select_option("fr")
    expect(page.get_by_role("link", name="Classement", exact=True)).to_be_visible()
    page.goto("/stats")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes statistiques")
    assert_charts_drawn(page, ["chart-rating", "chart-modes", "chart-opponents"])
    no_sideways_scroll(page)
    shot(page, "phone-dashboard-fr")
    page.goto(f"/stats/matches/{seeded['match_ids'][0]}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Match : {alice} contre {bob}")
    assert_charts_drawn(page, ["chart-score", "chart-rallies", "chart-speed", "chart-hits"])
    no_sideways_scroll(page)
    shot(page, "phone-match-fr")
    page.goto("/leaderboard")
    expect(page.get_by_label("Période")).to_be_visible()
    no_sideways_scroll(page)
    shot(page, "phone-leaderboard-fr")


def test_unknown_match_reads_as_not_found(new_page, account, browser_errors):
    browser_errors.allow(r"status of 404")
    alice, _ = account("alice")
    page = new_page()
    log_in(page, alice)
    page.goto("/stats/matches/00000000-0000-0000-0000-000000000000")
    expect(page.get_by_role("alert")).to_have_text("We could not find that.")


# --- static checks of the module's browser code (no browser) ---------------------------------


def test_module_sources_build_no_html():
    # Its strings are checked with every module's by tests/browser/test_strings.py.
    for path in STATIC.rglob("*.js"):
        source = path.read_text()
        for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert risky not in source, f"{path.name} uses {risky}"


def test_chart_library_is_vendored_with_its_version_and_licence():
    readme = (ROOT / "web" / "vendor" / "README").read_text()
    assert "Chart.js 4.6.1" in readme and "chart.js@4.6.1" in readme
    assert (CHART_JS / "LICENSE").read_text().startswith("The MIT License")
    assert "Chart.js v4.6.1" in (CHART_JS / "chart.umd.min.js").read_text()[:200]
