"""Browser tests: a real `transcendence serve`, driven by Debian's Chromium through Playwright.

- Chromium must be at /usr/bin/chromium (`apt-get install chromium`); without it these tests
  fail with that instruction, they never skip. `playwright install` is never used.
- One server per test module (its own database; the run's PostgreSQL and Redis when set).
- Every test fails on any browser console error or uncaught page error: pages come from
  the `new_page` fixture, which listens to both; a test that provokes an error on purpose
  says so with `browser_errors.allow(pattern)`.
- `shot(page, "name")` saves a screenshot to test-artifacts/screenshots/<test>/.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import httpx
import pytest
from browserkit import PASSWORD, BrowserErrors, unique

from servers import ROOT, cluster_environment, start_node

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Apart per configuration: CI runs the embedded and the PostgreSQL passes side by side.
SCREENSHOTS = (
    ROOT
    / "test-artifacts"
    / ("screenshots-postgres" if os.environ.get("TEST_DATABASE_URL") else "screenshots")
)
# Generous for a loaded CI machine; Playwright waits for conditions, never for time.
TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(items):
    """A test here that starts the served app (and so, through it, Chromium) is a browser
    test whether or not its file says so: `make test-fast` deselects `browser` and must never
    start a server. The static checks of this folder (web sources, serving) stay fast tests."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents and "server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def server(tmp_path_factory, pg_url, redis_url):
    """A served app with the sample module (and its browser entry) enabled."""
    tmp = tmp_path_factory.mktemp("browser")
    env = cluster_environment(tmp, pg_url, redis_url)
    env["SAMPLE_WEB_ASSETS"] = "1"
    node = start_node(env, tmp, name="web")
    node.env = env  # type: ignore[attr-defined]  (for the CLI and restart())
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's Chromium, or a failure that says how to install it (never a skip)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: the browser tests need Debian's Chromium "
            "(run `apt-get install -y chromium`; `playwright install` is not used)",
            pytrace=False,
        )
    return CHROMIUM


@pytest.fixture(scope="module")
def playwright_browser(chromium, server):
    # After the server: Playwright's sync API keeps an event loop running in this thread,
    # and preparing the server's database (PostgreSQL) calls asyncio.run().
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    manager = sync_playwright().start()
    try:
        browser = manager.chromium.launch(executable_path=str(chromium), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        manager.stop()


@pytest.fixture
def browser_errors() -> BrowserErrors:
    return BrowserErrors()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After the test body: fail the test itself on any console or page error."""
    result = yield
    errors = item.funcargs.get("browser_errors") if hasattr(item, "funcargs") else None
    if isinstance(errors, BrowserErrors):
        errors.check()
    return result


@pytest.fixture
def new_page(playwright_browser, server, browser_errors):
    """`new_page()` → a page in a fresh browser context (its own cookies), errors watched."""
    contexts = []

    def make(*, width: int = 1280, height: int = 860, label: str | None = None, **options):
        context = playwright_browser.new_context(
            base_url=server.url,
            viewport={"width": width, "height": height},
            locale="en-US",
            **options,
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        browser_errors.attach(page, label or f"page{len(contexts)}")
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def shot(request):
    """`shot(page, "home")` saves test-artifacts/screenshots/<test>/<nn>-home.png."""
    folder = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    count = 0

    def take(page, name: str) -> Path:
        nonlocal count
        count += 1
        path = folder / f"{count:02d}-{name}.png"
        # From the top, so sticky elements sit where a visitor first sees them.
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def account(server):
    """`account("ann")` → (username, password): an account made over HTTP, not logged in."""

    def make(prefix: str = "player") -> tuple[str, str]:
        username = unique(prefix)
        response = httpx.post(
            f"{server.url}/api/auth/signup",
            json={"username": username, "email": f"{username}@example.test", "password": PASSWORD},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        return username, PASSWORD

    return make
