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
        for index, (mode, other, mine, theirs) in enumerate(plan["games"]):
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
                record={"keyboard": False},
                options={
                    "ball_speed": 360.0,
                    "score_limit": 5,
                    "powerups": False,
                    "theme": "classic",
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


def seed(server, alice: str, bob: str) -> dict:
    plan = {"alice": alice, "bob": bob, "games": PLAN}
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
    for mode, _other, mine, theirs in PLAN:
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
    expect(tile(page, "current_streak")).to_have_text("1 lost")
    expect(tile(page, "best_streak")).to_have_text("2")
    expect(tile(page, "points_scored")).to_have_text("20")
    expect(tile(page, "points_conceded")).to_have_text("18")
    expect(tile(page, "longest_rally")).to_have_text("8")
    expect(tile(page, "rating")).to_have_text(str(ratings[-1][0]))
    assert_charts_drawn(page, ["chart-rating", "chart-modes", "chart-opponents"])

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
    expect(page.locator("#stats-settings")).to_contain_text("Score limit")
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
    expect(section.locator("#stats-recent tbody tr")).to_have_count(3)
    shot(page, "profile-section")
    last = seeded["match_ids"][2]
    section.locator(f'tr[data-match="{last}"]').get_by_role(
        "link", name=re.compile("^Match details")
    ).click()
    expect(page.locator(".stats-side-left .stats-side-score")).to_have_text("5")
    expect(page.locator(".stats-side-right .stats-side-score")).to_have_text("1")


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


def _strings() -> dict[str, dict[str, str]]:
    """The STRINGS object of strings.js, read as JSON (it is written as a plain literal)."""
    source = (STATIC / "strings.js").read_text()
    body = source[source.index("{", source.index("STRINGS")) : source.rindex("}") + 1]
    body = re.sub(r"^\s*(\w+):", r'"\1":', body, flags=re.M)
    body = re.sub(r",(\s*[}\]])", r"\1", body)
    return json.loads(body)


def test_module_strings_and_sources():
    strings = _strings()
    assert set(strings) == {"en", "fr", "ru"}
    for lang in ("fr", "ru"):
        assert set(strings[lang]) == set(strings["en"]), lang
    used = set()
    for path in STATIC.glob("*.js"):
        source = path.read_text()
        for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert risky not in source, f"{path.name} uses {risky}"
        used |= set(re.findall(r'\bt\("(stats\.[a-z_.]+)"', source))
    assert used and used <= set(strings["en"]), used - set(strings["en"])


def test_chart_library_is_vendored_with_its_version_and_licence():
    readme = (ROOT / "web" / "vendor" / "README").read_text()
    assert "Chart.js 4.6.1" in readme and "chart.js@4.6.1" in readme
    assert (CHART_JS / "LICENSE").read_text().startswith("The MIT License")
    assert "Chart.js v4.6.1" in (CHART_JS / "chart.umd.min.js").read_text()[:200]
