"""Every main view in French and in Russian, with no English left on the page.

A reader with matches (against a player, the AI, a second player at the keyboard), a local
tournament, a chat notice and a friend walks home, profiles, friends, settings,
notifications, the play lobby, a game against the AI, chat, the stats dashboards, the
leaderboard, tournaments and the about page. On each, the visible text (and the labels a
screen reader reads: aria-label, title, placeholder, alt) must hold none of the English
words of the English strings that neither French nor Russian uses. Identifiers shown as
`<code>` (module names, realtime types) and what players wrote are not translated.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


async def _notice(plan: dict) -> None:
    """A tournament's notice in the reader's chat, as the tournament module posts it."""
    from transcendence.app import create_app
    from transcendence.settings import Settings
    from transcendence_chat.notices import post_notice

    app = create_app(Settings())
    async with app.test_app():
        posted = await post_notice(plan["user_id"], plan["text"], plan["data"], app=app)
        assert posted is not None


if __name__ == "__main__" and sys.argv[1:2] == ["notice"]:
    import asyncio

    asyncio.run(_notice(json.loads(sys.argv[2])))
    sys.exit(0)


import httpx  # noqa: E402
import pytest  # noqa: E402
from browserkit import PASSWORD, live, log_in  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.browser

CATALOGS = [ROOT / "web" / "i18n", *sorted(ROOT.glob("plugins/*/transcendence_*/static/i18n"))]
MODULE_TEXTS = sorted(ROOT.glob("plugins/*/transcendence_*/translations.json"))
WORD = re.compile(r"\b[A-Za-z]{4,}\b")
# English words that may stand on a French or Russian page: the language switcher names each
# language in its own words.
ALLOWED = {"english"}
TOURNAMENT = "Coupe Kasparov"  # what the reader named it: not translated
# Alice's matches (test_stats.py's seeding script): a player, the AI, a second player.
MATCHES = [
    ("remote", "bob", 5, 3),
    ("ai", "AI (hard)", 3, 5),
    ("local", "Player 2", 5, 2),
    ("tournament", "Player 2", 5, 4),
]
EXPECTED = {
    # What the reader sees for the AI, the second player and the notice, in each language.
    "fr": {
        "ai": "IA (difficile)",
        "second": "Joueur 2",
        "notice": f"{TOURNAMENT} : Bobby remporte le tournoi.",
        "module": "Proposé par le module Statistiques.",
    },
    "ru": {
        "ai": "ИИ (сложный)",
        "second": "Игрок 2",
        "notice": f"{TOURNAMENT}: победа в турнире — Bobby.",
        "module": "Из модуля «Статистика».",
    },
}


def english_only_words() -> set[str]:
    """Words of 4+ letters of the English strings that no French or Russian string uses."""

    def words(lang: str) -> set[str]:
        texts: list[str] = []
        for catalog in CATALOGS:
            texts += json.loads((catalog / f"{lang}.json").read_text("utf-8")).values()
        for module in MODULE_TEXTS:  # modules' titles and descriptions (module_info)
            texts += json.loads(module.read_text("utf-8")).get(lang, {}).values()
        return {w.lower() for text in texts for w in WORD.findall(re.sub(r"\{\w+\}", "", text))}

    return words("en") - words("fr") - words("ru") - ALLOWED


ENGLISH = english_only_words()

# The text a reader meets: visible text nodes (not in <code>, <kbd>, <pre>) and the labels
# of visible elements, plus the document's title.
VISIBLE_TEXT = """() => {
  const out = [document.title];
  const skip = (el) => el.closest("code, kbd, pre, script, style, noscript, template");
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!el || skip(el) || !node.textContent.trim()) continue;
    if (!el.checkVisibility({ visibilityProperty: true })) continue;
    out.push(node.textContent);
  }
  for (const el of document.body.querySelectorAll("[aria-label], [title], [placeholder], [alt]")) {
    if (skip(el) || !el.checkVisibility()) continue;
    for (const name of ["aria-label", "title", "placeholder", "alt"]) {
      const value = el.getAttribute(name);
      if (value) out.push(value);
    }
  }
  return out;
}"""


def english_on(page) -> list[str]:
    found = []
    for text in page.evaluate(VISIBLE_TEXT):
        hits = sorted({w for w in WORD.findall(text) if w.lower() in ENGLISH})
        if hits:
            found.append(f"{hits} in {text.strip()[:120]!r}")
    return found


def signup(server, username: str) -> int:
    body = {"username": username, "email": f"{username}@example.test", "password": PASSWORD}
    response = httpx.post(f"{server.url}/api/auth/signup", json=body, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()["user"]["id"]


def token(server, username: str) -> dict[str, str]:
    body = {"username": username, "password": PASSWORD}
    response = httpx.post(f"{server.url}/api/auth/login", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access']}"}


def run_script(server, script: Path, command: str, plan: dict) -> str:
    result = subprocess.run(
        [sys.executable, str(script), command, json.dumps(plan)],
        env=server.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def world(server):
    """The reader, a friend, their matches, a tournament and a notice (made once)."""
    reader, friend = "lecteur", "bobby"
    ids = {name: signup(server, name) for name in (reader, friend)}
    seeded = run_script(
        server,
        ROOT / "tests" / "browser" / "test_stats.py",
        "seed",
        {"alice": reader, "bob": friend, "games": MATCHES},
    )
    match_ids = json.loads(seeded.strip().splitlines()[-1])["match_ids"]
    headers = token(server, reader)
    friends = httpx.post(
        f"{server.url}/api/friends/requests",
        json={"user_id": ids[friend]},
        headers=headers,
        timeout=10,
    )
    assert friends.status_code in (200, 201), friends.text
    created = httpx.post(
        f"{server.url}/api/tournament/local",
        json={"name": TOURNAMENT, "aliases": ["Ann", "Bob", "Cyd", "Dee"], "shuffle": False},
        headers=headers,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    tournament_id = created.json()["id"]
    notice = {
        "kind": "tournament.finished",
        "tournament_id": tournament_id,
        "name": TOURNAMENT,
        "winner": "Bobby",
    }
    run_script(
        server,
        Path(__file__),
        "notice",
        {
            "user_id": ids[reader],
            "text": f"{TOURNAMENT}: Bobby wins the tournament",
            "data": notice,
        },
    )
    return {
        "reader": reader,
        "friend_id": ids[friend],
        "ai_match": match_ids[1],
        "tournament_id": tournament_id,
    }


def visit(page, path: str, ready: str) -> None:
    """Go to `path` and wait for what shows the view has rendered (`ready`: a selector)."""
    page.goto(path)
    expect(page.locator("main h1").first).to_be_visible()
    expect(page.locator(ready).first).to_be_visible()


@pytest.mark.parametrize("lang", ["fr", "ru"])
def test_every_main_view_is_translated(new_page, world, shot, lang):
    expected = EXPECTED[lang]
    page = new_page(label=lang)
    log_in(page, world["reader"])
    live(page)
    page.locator("#language-select").select_option(lang)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    found: dict[str, list[str]] = {}

    def check(name: str, path: str, ready: str, screenshot: bool = False) -> None:
        visit(page, path, ready)
        if screenshot:
            shot(page, f"{lang}-{name}")
        english = english_on(page)
        if english:
            found[name] = english

    check("home", "/", "#modules-heading", screenshot=True)
    # A module's card names the module in the reader's language.
    expect(page.locator("#app")).to_contain_text(expected["module"])
    check("profile", "/profile", "#stats-profile", screenshot=True)
    expect(page.locator("#stats-profile")).to_contain_text(expected["ai"])
    expect(page.locator("#stats-profile")).to_contain_text(expected["second"])
    check("other-profile", f"/users/{world['friend_id']}", "#stats-profile")
    check("friends", "/friends", "main form")
    check("settings", "/settings", "#avatar-form")
    check("notifications", "/notifications", "main section")
    check("chat", "/chat", ".chat-item")
    page.locator(".chat-item").first.click()
    expect(page.locator(".chat-msg-notice").first).to_contain_text(expected["notice"])
    shot(page, f"{lang}-chat")
    found.update({"chat-notice": english_on(page)} if english_on(page) else {})
    check("stats", "/stats", "#stats-recent", screenshot=True)
    check("stats-match", f"/stats/matches/{world['ai_match']}", ".stats-side-right")
    expect(page.locator("main h1")).to_contain_text(expected["ai"])
    check("leaderboard", "/leaderboard", "main table")
    check("tournaments", "/tournaments", "#tournament-mine")
    check("tournament", f"/tournaments/{world['tournament_id']}", "#tournament-bracket", True)
    check("about", "/about", "#about-modules")
    check("play", "/play", "#pong-ai", screenshot=True)
    # Last: a game against the AI (leaving a running game asks first).
    page.locator("#pong-level").select_option("hard")
    page.locator("#pong-ai").click()
    expect(page).to_have_url(re.compile(r"/play/games/"))
    expect(page.locator(".pong-right .pong-name")).to_have_text(expected["ai"])
    shot(page, f"{lang}-game")
    english = english_on(page)
    if english:
        found["game"] = english
    assert not found, "English on the page:\n" + json.dumps(found, ensure_ascii=False, indent=1)


SIGNUP = {
    # The server refuses the username and the email; the page says why in the reader's words.
    "fr": (
        "Nom d\u2019utilisateur : de 3 à 32 lettres, chiffres, « _ » ou « - »"
        " · E-mail : adresse e-mail non valide"
    ),
    "ru": (
        "Имя пользователя: от 3 до 32 латинских букв, цифр, «_» или «-»"
        " · E-mail: некорректный адрес электронной почты"
    ),
}


@pytest.mark.parametrize("lang", ["fr", "ru"])
def test_a_refused_signup_is_explained_in_the_readers_language(new_page, browser_errors, lang):
    browser_errors.allow(r"status of 400")
    page = new_page(label=lang)
    page.goto("/signup")
    page.locator("#language-select").select_option(lang)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    form = page.locator("main form")
    form.locator('input[name="username"]').fill("a b")
    form.locator('input[name="email"]').fill("nope")
    form.locator('input[name="password"]').fill(PASSWORD)
    form.locator('input[name="confirm"]').fill(PASSWORD)
    form.locator('button[type="submit"]').click()
    expect(form.get_by_role("alert")).to_have_text(SIGNUP[lang])
    assert not english_on(page), english_on(page)
    expect(form.locator('input[name="username"]')).to_be_focused()
