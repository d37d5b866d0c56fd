"""`transcendence serve --workers N` on the in-process bus says that sockets of different
workers cannot reach each other (each worker process has a bus of its own)."""

from __future__ import annotations

import pytest

from transcendence_cli.main import main


@pytest.fixture
def serve_env(monkeypatch, settings):
    """The CLI pointed at this test's database; `serve` stops before it would listen."""
    for key in ("DATABASE_URL", "REDIS_URL", "TRANSCENDENCE_MODULES"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("TRANSCENDENCE_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("TRANSCENDENCE_ENV", "test")
    monkeypatch.setenv("TRANSCENDENCE_EXTRA_MODULES", ",".join(settings.extra_modules))
    monkeypatch.setenv("TRANSCENDENCE_MODULES", ",".join(settings.modules or []))
    monkeypatch.chdir(settings.var_dir.parent)
    served = []
    monkeypatch.setattr("transcendence.serving.run", lambda config: served.append(config) or 0)
    return served


def test_several_workers_on_the_in_process_bus_are_warned_about(serve_env, capsys):
    assert main(["serve", "--workers", "2", "--port", "1"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("warning: --workers 2 without REDIS_URL")
    assert err.count("\n") == 1
    assert serve_env[0].workers == 2  # a warning, not a refusal


def test_one_worker_or_redis_serves_without_a_warning(serve_env, capsys, monkeypatch, redis_url):
    assert main(["serve", "--port", "1"]) == 0
    assert capsys.readouterr().err == ""
    # A Redis URL is enough: serve does not reach the bus before the workers start.
    monkeypatch.setenv("REDIS_URL", redis_url or "redis://127.0.0.1:6379/1")
    assert main(["serve", "--workers", "2", "--port", "1"]) == 0
    assert capsys.readouterr().err == ""
