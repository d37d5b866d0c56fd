"""Helpers of the browser tests (the fixtures are in conftest.py)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from playwright.sync_api import expect

from servers import ROOT, Node

PASSWORD = "correct horse battery"


@dataclass
class BrowserErrors:
    """Console errors and uncaught exceptions of every page of a test."""

    seen: list[str] = field(default_factory=list)
    allowed: list[re.Pattern] = field(default_factory=list)

    def attach(self, page, label: str) -> None:
        def console(message) -> None:
            if message.type == "error":
                where = message.location.get("url", "") if message.location else ""
                self.seen.append(f"[{label}] console.error: {message.text} ({where})")

        page.on("console", console)
        page.on("pageerror", lambda error: self.seen.append(f"[{label}] page error: {error}"))

    def allow(self, pattern: str) -> None:
        """Expect errors matching `pattern` (a regex): the test provokes them on purpose."""
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [e for e in self.seen if not any(p.search(e) for p in self.allowed)]

    def check(self) -> None:
        problems = self.unexpected()
        assert not problems, "the browser reported errors:\n" + "\n".join(problems)


_names = iter(range(1, 1_000_000))


def unique(prefix: str) -> str:
    """A username nobody in this server's database has yet."""
    return f"{prefix}{next(_names)}"


def log_in(page, username: str, password: str = PASSWORD, *, path: str = "/login") -> None:
    """Log in through the login form and wait for the logged-in shell."""
    page.goto(path)
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.locator("#account-menu")).to_be_visible()


def live(page) -> None:
    """Wait until the realtime socket is connected and authenticated."""
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")


def restart(node: Node, timeout: float = 60) -> None:
    """Stop the server and start it again on the same port (same database and secret)."""
    node.stop()
    with node.log.open("a") as out:
        node.process = subprocess.Popen(
            [sys.executable, "-m", "transcendence_cli.main", "serve", "--port", str(node.port)],
            env=node.env,  # type: ignore[attr-defined]
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + timeout
    # A process binding its port has no event to await: ask until it answers.
    while time.monotonic() < deadline:
        if node.process.poll() is not None:
            raise AssertionError(f"the server exited early:\n{node.output()}")
        try:
            if httpx.get(f"{node.url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the server did not come back within {timeout}s")


def serve_options(page, changes: dict[str, Any]) -> list[dict[str, Any]]:
    """Route the page's `GET /api/pong/options` through the real server, then apply
    `changes` (a dict the test may fill later: {"defaults": {...}, "limits": {...},
    "themes": [...]}) to what it answers. The definitions the page received, in order."""
    served: list[dict[str, Any]] = []

    def fulfil(route) -> None:
        response = route.fetch()
        definition = response.json()
        for key, value in changes.items():
            if isinstance(value, dict):
                definition[key] = {**definition[key], **value}
            else:
                definition[key] = value
        if "defaults" in changes:  # the "classic" preset is every default
            definition["presets"] = {**definition["presets"], "classic": definition["defaults"]}
        served.append(definition)
        route.fulfill(response=response, json=definition)

    page.route("**/api/pong/options", fulfil)
    return served
