"""The `transcendence` CLI, run in-process: readable errors, JSON listings, migrations, doctor."""

from __future__ import annotations

import asyncio
import json
import secrets

import pytest

from testkit import reset_database
from transcendence_cli.main import main


@pytest.fixture
def cli_env(monkeypatch, settings):
    """Point the CLI (which reads the environment) at this test's database and bus."""
    for key in ("DATABASE_URL", "REDIS_URL", "TRANSCENDENCE_MODULES"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DATABASE_URL", settings.effective_database_url)
    if settings.redis_url:
        monkeypatch.setenv("REDIS_URL", settings.redis_url)
    monkeypatch.setenv("TRANSCENDENCE_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("TRANSCENDENCE_ENV", "test")
    monkeypatch.setenv("TRANSCENDENCE_EXTRA_MODULES", ",".join(settings.extra_modules))
    monkeypatch.setenv("TRANSCENDENCE_MODULES", ",".join(settings.modules or []))
    monkeypatch.chdir(settings.var_dir.parent)
    return settings


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def fresh_modules(cli_env):
    """Start from empty tables, with every module enabled."""
    asyncio.run(reset_database(cli_env))
    return cli_env


def test_modules_list_json_matches_the_api(fresh_modules, capsys):
    code, out, _ = run(capsys, "modules", "list", "--json")
    assert code == 0
    listed = {m["name"]: m for m in json.loads(out)}
    assert listed["sample"]["enabled"] is True
    assert "GET /api/sample/notes" in listed["sample"]["provides"]["routes"]
    assert listed["sample_child"]["requires"] == ["sample"]


def test_modules_info_shows_what_it_registers(fresh_modules, capsys):
    code, out, _ = run(capsys, "modules", "info", "sample")
    assert code == 0
    assert "sample_note" in out and "sample.echo" in out and "/api/sample/notes" in out


def test_a_module_that_did_not_start_on_a_node_says_where_and_why(fresh_modules, capsys):
    """Running nodes store their startup failures (`Registry`); the CLI, which runs none of
    the modules, shows them per node."""
    from transcendence import db
    from transcendence.models import ModuleFailure
    from transcendence.plugins import load_modules

    async def a_node_failed() -> None:
        settings = fresh_modules
        await db.init_db(settings, load_modules(settings.modules, settings.extra_modules))
        try:
            await ModuleFailure.create(
                node="web-1:42", module="sample_child", error="RuntimeError: no service"
            )
        finally:
            await db.close_db()

    asyncio.run(a_node_failed())
    code, out, _ = run(capsys, "modules", "info", "sample_child")
    assert code == 0
    assert "did not start on web-1:42 (since " in out and "): RuntimeError: no service" in out
    code, out, _ = run(capsys, "modules", "list", "--json")
    listed = {m["name"]: m for m in json.loads(out)}
    assert [f["node"] for f in listed["sample_child"]["startup_errors"]] == ["web-1:42"]
    assert listed["sample"]["startup_errors"] == []
    code, out, _ = run(capsys, "modules", "list")
    assert "failed on 1 node" in out


@pytest.mark.modules("oauth42")
def test_a_module_missing_its_settings_says_what_to_set(fresh_modules, capsys, monkeypatch):
    for key in ("OAUTH42_CLIENT_ID", "OAUTH42_CLIENT_SECRET"):
        monkeypatch.delenv(key, raising=False)
    code, out, err = run(capsys, "modules", "info", "oauth42")
    assert code == 0, err
    assert "configured: no — set OAUTH42_CLIENT_ID and OAUTH42_CLIENT_SECRET" in out
    code, out, _ = run(capsys, "modules", "list", "--json")
    listed = {m["name"]: m for m in json.loads(out)}
    assert (listed["oauth42"]["configured"], listed["sample"]["configured"]) == (False, True)
    assert listed["sample"]["status_message"] is None
    monkeypatch.setenv("OAUTH42_CLIENT_ID", "u-s4t2ud-x")
    monkeypatch.setenv("OAUTH42_CLIENT_SECRET", "s-s4t2ud-y")
    code, out, _ = run(capsys, "modules", "info", "oauth42")
    assert "configured: yes" in out


def test_toggles_and_their_errors_are_one_readable_line(fresh_modules, capsys):
    code, _, err = run(capsys, "modules", "disable", "sample")
    assert code == 1
    assert err.count("\n") == 1 and "error:" in err and "--force" in err
    assert "Traceback" not in err

    code, out, _ = run(capsys, "modules", "disable", "sample", "--force")
    assert code == 0 and "sample_child" in out and "sample" in out

    code, _, err = run(capsys, "modules", "enable", "sample_child")
    assert code == 1 and "requires sample, which is disabled" in err

    code, _, err = run(capsys, "modules", "enable", "ghost")
    assert code == 1 and "no module named 'ghost' is installed" in err

    code, out, _ = run(capsys, "modules", "list", "--json")
    assert {m["name"]: m["enabled"] for m in json.loads(out)} == {
        "sample": False,
        "sample_child": False,
    }


def test_a_disabled_modules_command_says_so_in_one_line(fresh_modules, capsys):
    code, out, _ = run(capsys, "sample", "hello", "--name", "ada")
    assert code == 0 and out.strip() == "hello ada from sample"
    run(capsys, "modules", "disable", "sample", "--force")
    # Listed (the command tree opens no database), refused when it runs.
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "sample" in out
    code, out, err = run(capsys, "sample", "hello")
    assert code == 1 and out == ""
    assert err == (
        "error: the sample module is disabled: `transcendence modules enable sample` turns it on\n"
    )
    assert run(capsys, "modules", "enable", "sample")[0] == 0
    code, out, err = run(capsys, "sample", "hello")
    assert code == 0 and out.strip() == "hello world from sample"


def test_db_migrate_and_status(fresh_modules, capsys):
    code, out, _ = run(capsys, "db", "migrate")
    assert code == 0 and "database up to date" in out
    code, out, _ = run(capsys, "db", "status", "--json")
    assert code == 0
    status = json.loads(out)
    assert status["pending"] == []
    assert "core.0001_initial" in status["applied"]
    assert "sample.0001_initial" in status["applied"]


def test_doctor_reports_healthy(fresh_modules, capsys):
    code, out, _ = run(capsys, "doctor", "--json")
    report = json.loads(out)
    assert code == 0, report
    assert report["healthy"] is True
    assert {c["name"] for c in report["checks"]} >= {"settings", "database", "bus", "modules"}


def test_doctor_fails_on_unsafe_production_settings_and_missing_tls(cli_env, capsys, monkeypatch):
    monkeypatch.setenv("TRANSCENDENCE_ENV", "production")
    monkeypatch.setenv("TRANSCENDENCE_TLS_CERTFILE", "/nonexistent/cert.pem")
    code, out, _ = run(capsys, "doctor", "--json")
    report = json.loads(out)
    assert code == 1 and report["healthy"] is False
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["settings"]["ok"] is False
    assert "TRANSCENDENCE_SECRET_KEY" in checks["settings"]["detail"]
    assert checks["tls certfile"]["ok"] is False


def test_doctor_fails_when_the_database_is_unreachable(cli_env, capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
    code, out, _ = run(capsys, "doctor", "--json")
    checks = {c["name"]: c for c in json.loads(out)["checks"]}
    assert code == 1 and checks["database"]["ok"] is False


def test_serve_refuses_production_without_a_secret(cli_env, capsys, monkeypatch):
    monkeypatch.setenv("TRANSCENDENCE_ENV", "production")
    code, _, err = run(capsys, "serve", "--port", "1")
    assert code == 1
    assert err.startswith("error: production needs TRANSCENDENCE_SECRET_KEY")
    assert err.count("\n") == 1


def test_production_refuses_sqlite_and_plain_http(cli_env, capsys, monkeypatch):
    monkeypatch.setenv("TRANSCENDENCE_ENV", "production")
    monkeypatch.setenv("TRANSCENDENCE_SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{cli_env.var_dir / 'x.sqlite3'}")
    code, _, err = run(capsys, "serve")
    assert code == 1 and "SQLite" in err
    monkeypatch.setenv("DATABASE_URL", "postgres://u@127.0.0.1:5432/x")
    code, _, err = run(capsys, "serve")
    assert code == 1 and "needs TLS" in err


def test_unknown_command_is_a_usage_error(cli_env, capsys):
    code, out, err = run(capsys, "frobnicate")
    assert code == 2 and "No such command" in err + out


def test_help_opens_no_database(cli_env, capsys, monkeypatch, tmp_path):
    """The command tree holds every installed module's commands without asking the
    database which are enabled: no SQLite file appears, an unreachable server is fine."""
    never = tmp_path / "never" / "created.sqlite3"
    never.parent.mkdir()
    for url in (f"sqlite://{never}", "postgres://nobody@127.0.0.1:1/none"):
        monkeypatch.setenv("DATABASE_URL", url)
        code, out, err = run(capsys, "--help")
        assert (code, err) == (0, "")
        assert "sample" in out and "modules" in out
    assert not never.exists()


def test_db_status_tells_the_truth_and_migrates_nothing(
    cli_env, capsys, monkeypatch, fresh_database_url
):
    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    for _ in range(2):  # asking twice: the first did not migrate behind our back
        code, out, err = run(capsys, "db", "status", "--json")
        status = json.loads(out)
        assert (code, err, status["applied"]) == (2, "", [])
        assert "core.0001_initial" in status["pending"]
    code, _, err = run(capsys, "users", "list")
    assert code == 1
    assert err.startswith("error: the database is not migrated (") and err.count("\n") == 1
    assert err.endswith("run `transcendence db migrate`\n")
    assert run(capsys, "db", "migrate")[0] == 0
    code, out, _ = run(capsys, "db", "status", "--json")
    assert code == 0 and json.loads(out)["pending"] == []


def test_db_status_on_an_unreachable_database_is_one_line(cli_env, capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://nobody:secret@127.0.0.1:1/none")
    code, out, err = run(capsys, "db", "status")
    assert (code, out) == (1, "")
    assert err.startswith("error: cannot open PostgreSQL at 127.0.0.1:1/none: ")
    assert err.endswith("(check DATABASE_URL and that PostgreSQL is running)\n")
    assert err.count("\n") == 1 and "secret" not in err


def test_a_toggle_nobody_could_hear_says_so(fresh_modules, capsys, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("TRANSCENDENCE_MODULE_SYNC_INTERVAL", "3")
    code, out, _ = run(capsys, "modules", "disable", "sample_child")
    assert code == 0
    assert out == (
        "disabled sample_child; could not announce over the bus (no REDIS_URL): "
        "nodes pick it up within 3 s\n"
    )
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    code, out, _ = run(capsys, "modules", "enable", "sample_child")
    assert code == 0  # stored: the nodes' re-read brings it to them
    assert out.startswith("enabled sample_child; could not announce over the bus (Redis at ")
    assert out.endswith(": nodes pick it up within 3 s\n") and out.count("\n") == 1


def test_a_bad_settings_value_is_one_line_naming_the_allowed_ones(cli_env, capsys, monkeypatch):
    monkeypatch.setenv("TRANSCENDENCE_ENV", "prod")
    code, out, err = run(capsys, "doctor")
    assert (code, out) == (1, "")
    assert err == (
        "error: TRANSCENDENCE_ENV='prod': Input should be 'development', 'test' or 'production'\n"
    )
