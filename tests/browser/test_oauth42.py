"""Log in with 42 in the browser, against a real OAuth 2.0 server on a local port.

The fake intra of tests/plugins/oauth42/fake42.py runs in a thread of this process (its own
event loop: Playwright's sync API holds the test thread's), with a consent page in front of
its authorize endpoint so the browser approves or denies like a person does on the intra.
The app is started configured against it (OAUTH42_* variables).
"""

from __future__ import annotations

import asyncio
import html
import re
import sys
import threading
from urllib.parse import urlencode

import pytest
from browserkit import PASSWORD, live, log_in, unique
from playwright.sync_api import expect
from quart import redirect, request

from servers import ROOT, cluster_environment, start_node

sys.path.insert(0, str(ROOT / "tests" / "plugins" / "oauth42"))
from fake42 import CLIENT_ID, CLIENT_SECRET, FakeIntra

pytestmark = pytest.mark.browser


class ConsentIntra(FakeIntra):
    """The fake intra with the page a person sees: "Authorize" or "Deny"."""

    def app(self):
        app = super().app()

        @app.get("/oauth/consent")
        async def consent():
            query = html.escape(request.query_string.decode(), quote=True)
            return (
                '<!doctype html><html lang="en"><head><meta charset="utf-8">'
                "<title>42 intra (test)</title></head><body>"
                f"<h1>Authorize {html.escape(CLIENT_ID)}?</h1>"
                f"<p>Signed in as {html.escape(self.signed_in)}</p>"
                f'<a href="/oauth/authorize?{query}">Authorize</a> '
                f'<a href="/oauth/deny?{query}">Deny</a>'
                "</body></html>"
            )

        @app.get("/oauth/deny")
        async def deny():
            redirect_uri = request.args.get("redirect_uri", "")
            if redirect_uri not in self.redirect_uris:
                return "unknown redirect_uri", 400
            params = {"error": "access_denied", "state": request.args.get("state", "")}
            return redirect(f"{redirect_uri}?{urlencode(params)}", 302)

        @app.get("/favicon.ico")
        async def favicon():
            return "", 204

        return app


class IntraThread:
    """Runs the fake intra's Hypercorn server on an event loop of its own thread."""

    def __init__(self) -> None:
        self.intra = ConsentIntra()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fake42", daemon=True)

    def call(self, coro, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self) -> ConsentIntra:
        self.thread.start()
        self.call(self.intra.start())
        return self.intra

    def stop(self) -> None:
        try:
            self.call(self.intra.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=15)
            self.loop.close()


@pytest.fixture(scope="module")
def intra():
    runner = IntraThread()
    server = runner.start()
    try:
        yield server
    finally:
        runner.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory, pg_url, redis_url, intra):
    """The app (as conftest's `server`), configured to log in with the fake intra."""
    tmp = tmp_path_factory.mktemp("browser-oauth42")
    env = cluster_environment(tmp, pg_url, redis_url)
    env["SAMPLE_WEB_ASSETS"] = "1"
    env.update(
        OAUTH42_CLIENT_ID=CLIENT_ID,
        OAUTH42_CLIENT_SECRET=CLIENT_SECRET,
        OAUTH42_AUTHORIZE_URL=f"{intra.base}/oauth/consent",
        OAUTH42_TOKEN_URL=f"{intra.base}/oauth/token",
        OAUTH42_USERINFO_URL=f"{intra.base}/v2/me",
        OAUTH42_TIMEOUT="5",
    )
    node = start_node(env, tmp, name="web")
    node.env = env  # type: ignore[attr-defined]
    # The redirect URI our server derives from the browser's requests (127.0.0.1:<port>).
    intra.redirect_uris.add(f"{node.url}/api/oauth42/callback")
    try:
        yield node
    finally:
        node.stop()


_ids = iter(range(91_000, 99_000))


def intra_user(intra: ConsentIntra, login: str, displayname: str, email: str | None = None) -> str:
    """A person on the intra, signed in there in "the browser"."""
    intra.add_user(login, next(_ids), email or f"{login}@student.42.fr", displayname)
    intra.signed_in = login
    return login


def start_42(page) -> None:
    """Click "Log in with 42" and land on the intra's consent page."""
    page.get_by_role("link", name="Log in with 42").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Authorize {CLIENT_ID}?")


def test_log_in_with_42_ends_logged_in(new_page, intra, shot):
    login = intra_user(intra, unique("jdoe"), "John Doe")
    page = new_page()
    page.goto("/signup")
    expect(page.get_by_role("link", name="Log in with 42")).to_have_attribute(
        "href", "/api/oauth42/login"
    )
    page.goto("/login")
    shot(page, "login-with-42-button")
    start_42(page)
    expect(page.get_by_text(f"Signed in as {login}")).to_be_visible()
    shot(page, "intra-consent")
    page.get_by_role("link", name="Authorize").click()

    # Back in the SPA, logged in with our own session: the navbar shows the new account.
    expect(page.locator("#account-menu")).to_contain_text("John Doe")
    expect(page).to_have_url(re.compile(r"/$"))
    live(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("John Doe")
    shot(page, "logged-in-with-42")
    # No token in the URL or in storage; a reload keeps the session (the hint is set).
    assert "token" not in page.url and "code=" not in page.url
    storage = page.evaluate(
        "JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage})"
    )
    assert "eyJ" not in storage
    page.reload()
    expect(page.locator("#account-menu")).to_contain_text("John Doe")

    # The settings say which 42 account it is; a 42-only account cannot unlink.
    page.goto("/settings")
    status = page.locator("#oauth42-status")
    expect(status).to_contain_text(f"Linked to 42 as {login}")
    expect(page.locator("#oauth42-unlink")).to_be_disabled()
    expect(page.locator("#oauth42-cannot-unlink")).to_contain_text("set a password")
    shot(page, "settings-42-only")

    # A second visit logs into the same account.
    page.locator("#account-menu").click()
    page.get_by_role("button", name="Log out").click()
    expect(
        page.locator("#nav-account").get_by_role("link", name="Log in", exact=True)
    ).to_be_visible()
    page.goto("/login")
    start_42(page)
    page.get_by_role("link", name="Authorize").click()
    expect(page.locator("#account-menu")).to_contain_text("John Doe")


def test_denied_consent_reads_as_a_message(new_page, intra, shot):
    intra_user(intra, unique("shy"), "Shy Person")
    page = new_page()
    page.goto("/login")
    start_42(page)
    page.get_by_role("link", name="Deny").click()
    expect(page).to_have_url(re.compile(r"/login/42\?oauth_error=access_denied$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Logging in with 42 did not work")
    expect(page.locator("#oauth42-error")).to_have_text(
        "You declined access on 42; nothing was changed."
    )
    expect(page.get_by_role("link", name="Log in with 42 again")).to_have_attribute(
        "href", "/api/oauth42/login"
    )
    expect(page.locator("#account-menu")).to_have_count(0)
    shot(page, "denied")

    # Every error code has its own sentence, in each language.
    page.goto("/login/42?oauth_error=provider_unavailable")
    expect(page.locator("#oauth42-error")).to_have_text(
        "42 is not answering right now. Try again in a few minutes."
    )
    page.goto("/login/42?oauth_error=invalid_state")
    expect(page.locator("#oauth42-error")).to_contain_text("not valid any more")
    page.locator("#language-select").select_option("fr")
    expect(page.locator("#oauth42-error")).to_contain_text("n\u2019est plus valide")
    page.goto("/login/42?oauth_error=nonsense")
    expect(page.locator("#oauth42-error")).to_have_text("La connexion avec 42 a échoué. Réessayez.")
    shot(page, "unknown-code-fr")


def test_email_in_use_then_link_and_unlink_from_settings(
    new_page, account, intra, shot, browser_errors
):
    browser_errors.allow(r"status of 403")  # the wrong password, on purpose
    username, _ = account("mia")
    login = intra_user(intra, unique("mmartin"), "Marie Martin", email=f"{username}@example.test")
    page = new_page()

    # Her account's email is the intra's: no silent takeover, she is told to log in and link.
    page.goto("/login")
    start_42(page)
    page.get_by_role("link", name="Authorize").click()
    expect(page.locator("#oauth42-error")).to_have_text(
        "An account with this email already exists. Log in to it, then link 42 from Settings."
    )
    expect(page.locator("#account-menu")).to_have_count(0)
    shot(page, "email-in-use")
    page.get_by_role("link", name="Log in to that account").click()
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fsettings$"))
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/settings$"))

    # Link: confirm with the password, approve on the intra, back to the settings.
    section = page.locator("#settings-oauth42")
    expect(section.locator("#oauth42-status")).to_have_text("No 42 account is linked.")
    section.get_by_label("Current password").fill("not my password")
    section.get_by_role("button", name="Link your 42 account").click()
    expect(section.get_by_role("alert")).to_have_text("Wrong password.")
    section.get_by_label("Current password").fill(PASSWORD)
    section.get_by_role("button", name="Link your 42 account").click()
    expect(page.get_by_text(f"Signed in as {login}")).to_be_visible()
    page.get_by_role("link", name="Authorize").click()
    expect(page).to_have_url(re.compile(r"/settings\?oauth42=linked$"))
    section = page.locator("#settings-oauth42")
    expect(section.locator("#oauth42-notice")).to_have_text("Your 42 account is linked.")
    expect(section.locator("#oauth42-status")).to_contain_text(f"Linked to 42 as {login}")
    shot(page, "linked")

    # Now 42 logs her into that account.
    page.locator("#account-menu").click()
    page.get_by_role("button", name="Log out").click()
    page.goto("/login")
    start_42(page)
    page.get_by_role("link", name="Authorize").click()
    expect(page.locator("#account-menu")).to_contain_text(username)

    # Unlink, after confirming.
    page.goto("/settings")
    section = page.locator("#settings-oauth42")
    page.once("dialog", lambda dialog: dialog.accept())
    section.get_by_role("button", name="Unlink 42").click()
    expect(section.locator("#oauth42-notice")).to_have_text("Your 42 account is unlinked.")
    expect(section.locator("#oauth42-status")).to_have_text("No 42 account is linked.")
    shot(page, "unlinked")


def test_password_login_still_works_next_to_the_button(new_page, account):
    """The password login still works next to the button (same page, no interference)."""
    username, _ = account("pat")
    page = new_page()
    log_in(page, username)
    expect(page.locator("#account-menu")).to_contain_text(username)


def test_no_button_when_the_server_is_not_configured(new_page):
    """The button follows GET /api/oauth42/status (answered here as an unconfigured server
    answers it: this module's server is configured)."""
    page = new_page()
    page.route(
        "**/api/oauth42/status",
        lambda route: route.fulfill(json={"configured": False, "login_url": "/api/oauth42/login"}),
    )
    page.goto("/login")
    expect(page.get_by_label("Username or email")).to_be_visible()
    expect(page.get_by_role("link", name="Log in with 42")).to_have_count(0)
    page.goto("/signup")
    expect(page.get_by_label("Email")).to_be_visible()
    expect(page.get_by_role("link", name="Log in with 42")).to_have_count(0)


# --- static checks of the module's browser code (no browser) ---------------------------------

STATIC = ROOT / "plugins" / "oauth42" / "transcendence_oauth42" / "static"


def test_every_error_code_is_documented_and_explained():
    # The strings themselves are checked with every module's by tests/browser/test_strings.py.
    import json

    codes = re.findall(r'^\s*"(\w+)",$', (STATIC / "codes.js").read_text(), flags=re.M)
    doc = (ROOT / "docs" / "oauth42.md").read_text()
    table = doc[doc.index("## Error codes") : doc.index("\n## ", doc.index("## Error codes"))]
    documented = re.findall(r"^\| `(\w+)` \|", table, re.M)
    assert set(codes) == set(documented) and codes
    english = json.loads((STATIC / "i18n" / "en.json").read_text())
    assert {f"oauth42.error.{code}" for code in codes} <= set(english)
    for path in STATIC.glob("*.js"):
        text = path.read_text()
        for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert risky not in text, f"{path.name} uses {risky}"
