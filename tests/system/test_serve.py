"""`transcendence serve` (and the CLI around it) when something is wrong: it exits 1 with
one line naming the cause and the fix, never hangs, and says "running at" only once it
listens. Every run has a bounded timeout: a hang guard, since several of these used to hang.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys

import httpx
import pytest

from servers import ROOT, PrivateRedis, cluster_environment, free_port, start_node

pytestmark = pytest.mark.system

HANG_GUARD = 90  # seconds; each of these ends in a few


def transcendence(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "transcendence_cli.main", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )


def error_line(result: subprocess.CompletedProcess) -> str:
    """The one line a failure prints on stderr (after nothing: no log, no traceback)."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert "running at" not in result.stdout, result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def last_error_line(result: subprocess.CompletedProcess) -> str:
    """For a failure inside the app's start: its log lines come first, then the one line."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert "running at" not in result.stdout, result.stdout
    return result.stderr.strip().splitlines()[-1]


@pytest.fixture
def env(tmp_path):
    return cluster_environment(tmp_path, None, None)


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


def test_a_bad_module_setting_stops_serve_with_its_message(env):
    env["TRANSCENDENCE_PONG_LEASE_TTL"] = "ten"
    result = transcendence(env, "serve", "--port", str(free_port()))
    assert last_error_line(result) == (
        "error: module pong did not start: TRANSCENDENCE_PONG_LEASE_TTL is a number of "
        "seconds, e.g. 10"
    )


def test_help_opens_no_database(env, tmp_path):
    fresh = tmp_path / "fresh.sqlite3"
    for url in (f"sqlite://{fresh}", "postgres://nobody@127.0.0.1:1/none"):
        result = transcendence({**env, "DATABASE_URL": url}, "--help")
        assert (result.returncode, result.stderr) == (0, ""), result.stderr
        assert "modules" in result.stdout and "sample" in result.stdout
    assert not fresh.exists()


@pytest.mark.parametrize(
    "args", [("db", "status"), ("modules", "list"), ("users", "list"), ("serve",)]
)
def test_a_missing_sqlite_directory_is_one_line_not_a_hang(env, tmp_path, args):
    missing = tmp_path / "nonexistent" / "dir"
    env["DATABASE_URL"] = f"sqlite://{missing / 'x.sqlite3'}"
    if args == ("serve",):
        args = ("serve", "--port", str(free_port()))
    assert error_line(transcendence(env, *args)) == (
        f"error: cannot open the SQLite database {missing / 'x.sqlite3'}: the directory "
        f"{missing} does not exist (create it, or point DATABASE_URL elsewhere)"
    )


def test_doctor_reports_a_missing_sqlite_directory_in_its_line(env, tmp_path):
    missing = tmp_path / "nonexistent" / "dir"
    env["DATABASE_URL"] = f"sqlite://{missing / 'x.sqlite3'}"
    result = transcendence(env, "doctor")
    assert result.returncode == 1 and result.stderr == ""
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert failed == [
        f"FAIL database: cannot open the SQLite database {missing / 'x.sqlite3'}: the "
        f"directory {missing} does not exist (create it, or point DATABASE_URL elsewhere)"
    ]


def test_tls_files_that_are_not_a_certificate_are_one_line_not_a_hang(env, tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    line = error_line(
        transcendence(
            env, "serve", "--port", str(free_port()), "--certfile", str(bad), "--keyfile", str(bad)
        )
    )
    assert line.startswith(f"error: cannot use {bad} and {bad} for TLS: ")
    assert line.endswith(
        "(give a PEM certificate and its private key; `transcendence certs` writes a pair)"
    )


def test_a_port_in_use_is_one_line_and_nothing_claims_to_run(env):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = transcendence(env, "serve", "--host", "127.0.0.1", "--port", str(port))
    assert error_line(result) == (
        f"error: cannot listen on 127.0.0.1:{port}: the port is already in use (stop the "
        "server using it, or choose another with --port)"
    )
    assert result.stdout == ""


def test_unreachable_redis_at_start_is_one_line(env):
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    line = error_line(transcendence({**env, "REDIS_URL": url}, "serve", "--port", str(free_port())))
    assert line.startswith(f"error: Redis at {url} is unavailable: ")
    assert line.endswith("(check REDIS_URL and that Redis is running)")


def test_a_redis_db_index_out_of_range_is_one_line(env, redis_url, tmp_path):
    private = None
    if redis_url is None:
        private = PrivateRedis(tmp_path)
        private.start()
        redis_url = private.url
    try:
        url = redis_url.rpartition("/")[0] + "/99999"
        line = error_line(
            transcendence({**env, "REDIS_URL": url}, "serve", "--port", str(free_port()))
        )
    finally:
        if private is not None:
            private.kill()
    assert line == (
        f"error: Redis at {url} is unavailable: DB index is out of range "
        "(check REDIS_URL and that Redis is running)"
    )


def test_an_unmigrated_database_without_auto_migrate_says_what_to_run(
    env, fresh_database_url, pg_url
):
    env.update(DATABASE_URL=fresh_database_url, TRANSCENDENCE_AUTO_MIGRATE="false")
    runs = [env]
    if pg_url:  # production: PostgreSQL, a secret, TLS in front; migrations never automatic
        runs.append(
            {
                **env,
                "TRANSCENDENCE_ENV": "production",
                "TRANSCENDENCE_BEHIND_TLS_PROXY": "true",
                # production refuses the tests' low-entropy secret before anything else
                "TRANSCENDENCE_SECRET_KEY": secrets.token_urlsafe(48),
            }
        )
        del runs[-1]["TRANSCENDENCE_AUTO_MIGRATE"]
    for run_env in runs:
        line = error_line(transcendence(run_env, "serve", "--port", str(free_port())))
        assert line.startswith("error: the database is not migrated (")
        assert line.endswith("run `transcendence db migrate`")


def test_serve_binds_what_it_prints(env, tmp_path):
    node = start_node(env, tmp_path, name="printed")
    try:
        shown = "localhost" if ipv6_loopback() else "127.0.0.1"
        output = node.output()
        assert f"Transcendence is running at http://{shown}:{node.port}/ " in output
        # Hypercorn's own line is said once per address, in our log format
        assert output.count(f"Running on http://127.0.0.1:{node.port} ") == 1
        assert httpx.get(f"http://127.0.0.1:{node.port}/healthz").status_code == 200
        if shown == "localhost":  # a browser may well try ::1 first
            assert httpx.get(f"http://[::1]:{node.port}/healthz").status_code == 200
    finally:
        node.stop()


def test_workers_without_redis_warn_that_their_sockets_cannot_meet(env):
    with socket.socket() as taken:  # the warning comes before anything starts
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = transcendence(
            env, "serve", "--workers", "2", "--host", "127.0.0.1", "--port", str(port)
        )
    assert result.stderr.splitlines()[0] == (
        "warning: --workers 2 without REDIS_URL: each worker has its own in-process bus, so "
        "sockets on different workers cannot reach each other (set REDIS_URL)"
    )
