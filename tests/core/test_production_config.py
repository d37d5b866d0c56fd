"""Production configuration (issue 16, point 10): weak or empty secrets, demo seeding.

Production refuses a low-entropy signing secret with one line naming the command that makes
a good one; an empty `TRANSCENDENCE_SECRET_KEY=` (what `cp .env.example .env` gives) counts as
unset, so development generates one and logins work; `doctor` reports weak and empty secrets;
demo seeding is refused in production.
"""

from __future__ import annotations

import asyncio
import json
import secrets

import pytest

from transcendence.settings import KEY_COMMAND, Settings, SettingsError, secret_problem
from transcendence_cli.main import main

# The weak secrets people actually deploy: a run of one letter, a word repeated, and the
# one the repository's benchmarks use (bench/realtime_bench.py).
WEAK = ["a" * 64, "changeme" * 4, "changeme" * 8, "bench-secret-" + "z" * 40]


@pytest.fixture
def production(monkeypatch, settings):
    """The CLI in production mode, on this test's database, behind a TLS proxy."""
    for key in ("DATABASE_URL", "REDIS_URL", "TRANSCENDENCE_MODULES", "TRANSCENDENCE_SECRET_KEY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("TRANSCENDENCE_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("TRANSCENDENCE_BEHIND_TLS_PROXY", "true")
    monkeypatch.setenv("TRANSCENDENCE_VAR_DIR", str(settings.var_dir))
    monkeypatch.chdir(settings.var_dir.parent)
    return monkeypatch


@pytest.mark.parametrize("weak", WEAK)
def test_production_refuses_a_weak_secret_naming_the_command(production, capsys, weak):
    production.setenv("TRANSCENDENCE_SECRET_KEY", weak)
    assert main(["serve", "--port", "1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: TRANSCENDENCE_SECRET_KEY is too weak for production")
    assert KEY_COMMAND in err.replace("\n", "")
    assert err.count("\n") == 1


def test_a_generated_secret_is_accepted():
    for _ in range(200):
        assert secret_problem(secrets.token_urlsafe(32)) is None
        assert secret_problem(secrets.token_urlsafe(48)) is None


def test_an_empty_secret_counts_as_unset(monkeypatch, tmp_path):
    monkeypatch.setenv("TRANSCENDENCE_SECRET_KEY", "")
    dev = Settings(_env_file=None, env="development", var_dir=tmp_path)
    assert dev.secret_key is None
    generated = dev.resolved_secret()
    assert secret_problem(generated) is None and dev.resolved_secret() == generated
    prod = Settings(_env_file=None, env="production", var_dir=tmp_path, behind_tls_proxy=True)
    with pytest.raises(SettingsError, match="production needs TRANSCENDENCE_SECRET_KEY"):
        prod.check()


async def test_with_an_empty_secret_logins_work_in_development(settings, monkeypatch):
    from transcendence.app import create_app

    monkeypatch.setenv("TRANSCENDENCE_SECRET_KEY", "   ")
    dev = settings.model_copy(update={"secret_key": Settings(_env_file=None).secret_key})
    assert dev.secret_key is None
    app = create_app(dev)
    async with app.test_app():
        from testkit import empty_tables

        await empty_tables()
        client = app.test_client()
        body = {"username": "alice", "email": "alice@example.test", "password": "correct horse!"}
        assert (await client.post("/api/auth/signup", json=body)).status_code == 201
        login = await client.post(
            "/api/auth/login", json={"username": "alice", "password": "correct horse!"}
        )
        assert login.status_code == 200 and (await login.get_json())["access"]


def checks(capsys) -> dict:
    return {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}


def test_doctor_reports_a_weak_secret(production, capsys):
    production.setenv("TRANSCENDENCE_SECRET_KEY", "changeme" * 4)
    assert main(["doctor", "--json"]) == 1
    secret = checks(capsys)["secret"]
    assert secret["ok"] is False and "too weak" in secret["detail"]
    assert "changeme" not in secret["detail"]  # never the value itself

    production.setenv("TRANSCENDENCE_ENV", "development")
    main(["doctor", "--json"])
    secret = checks(capsys)["secret"]
    assert secret["ok"] is True and secret["detail"].startswith("weak (production refuses it)")


def test_doctor_reports_an_empty_secret(production, capsys):
    production.setenv("TRANSCENDENCE_SECRET_KEY", "")
    assert main(["doctor", "--json"]) == 1
    secret = checks(capsys)["secret"]
    assert secret["ok"] is False and "not set" in secret["detail"]


@pytest.mark.modules("pong", "tournament")
def test_tournament_seeding_is_refused_in_production(production, settings, capsys):
    from testkit import reset_database

    asyncio.run(reset_database(settings))
    production.setenv("DATABASE_URL", settings.effective_database_url)
    production.setenv("TRANSCENDENCE_MODULES", "pong,tournament")
    production.setenv("TRANSCENDENCE_SECRET_KEY", secrets.token_urlsafe(48))
    assert main(["tournaments", "seed"]) == 1
    err = capsys.readouterr().err
    assert "refused in production" in err and err.count("\n") == 1
