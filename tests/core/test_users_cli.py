"""`transcendence users ...` and `transcendence certs`, run in-process like a maintainer would."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import stat

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
    # The modules `fresh` migrated: the CLI migrates nothing by itself.
    monkeypatch.setenv("TRANSCENDENCE_MODULES", ",".join(settings.modules or []))
    monkeypatch.chdir(settings.var_dir.parent)
    return settings


@pytest.fixture
def fresh(cli_env):
    asyncio.run(reset_database(cli_env))
    return cli_env


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def listed(capsys) -> dict[str, dict]:
    code, out, _ = run(capsys, "users", "list", "--json")
    assert code == 0
    return {u["username"]: u for u in json.loads(out)}


def one_line_error(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("error:"), err
    assert "Traceback" not in err
    return err


PASSWORD = "correct horse battery"


def test_create_list_promote_and_demote(fresh, capsys):
    code, out, _ = run(
        capsys, "users", "create", "alice", "--email", "a@x.test", "--password", PASSWORD
    )
    assert code == 0 and "created player alice" in out
    code, out, _ = run(
        capsys, "users", "create", "root", "--email", "r@x.test", "--password", PASSWORD, "--admin"
    )
    assert code == 0 and "created admin root" in out

    users = listed(capsys)
    assert users["alice"]["role"] == "player" and users["root"]["role"] == "admin"
    assert users["alice"]["email"] == "a@x.test" and "password_hash" not in users["alice"]

    code, out, _ = run(capsys, "users", "promote", "ALICE")
    assert code == 0 and "alice is now an admin" in out
    assert listed(capsys)["alice"]["role"] == "admin"
    code, out, _ = run(capsys, "users", "promote", "alice")
    assert code == 0 and "already" in out
    code, out, _ = run(capsys, "users", "promote", "alice", "--demote")
    assert code == 0 and "alice is now a player" in out

    code, out, _ = run(capsys, "users", "list")
    assert code == 0 and "alice" in out and "root" in out


def test_readable_errors(fresh, capsys):
    run(capsys, "users", "create", "alice", "--email", "a@x.test", "--password", PASSWORD)
    cases = [
        (("create", "Alice", "--email", "b@x.test", "--password", PASSWORD), "username is already"),
        (("create", "bob", "--email", "A@X.test", "--password", PASSWORD), "email is already"),
        (("create", "bob", "--email", "b@x.test", "--password", "short"), "at least 8"),
        (("create", "b o b", "--email", "b@x.test", "--password", PASSWORD), "username:"),
        (("create", "bob", "--email", "nope", "--password", PASSWORD), "email:"),
        (("promote", "ghost"), "no user named 'ghost'"),
    ]
    for args, message in cases:
        code, _, err = run(capsys, "users", *args)
        assert code == 1, args
        assert message in one_line_error(err), (args, err)


def test_the_last_admin_is_not_demoted(fresh, capsys):
    run(capsys, "users", "create", "root", "--email", "r@x.test", "--password", PASSWORD, "--admin")
    code, _, err = run(capsys, "users", "promote", "root", "--demote")
    assert code == 1 and "last admin" in one_line_error(err)


def test_users_created_by_the_cli_can_log_in(fresh, capsys):
    from transcendence import db
    from transcendence.accounts import service
    from transcendence.plugins import load_modules

    code, _, _ = run(
        capsys, "users", "create", "carol", "--email", "c@x.test", "--password", PASSWORD
    )
    assert code == 0

    async def login():
        await db.init_db(fresh, load_modules(fresh.modules, fresh.extra_modules))
        try:
            return await service.authenticate("c@x.test", PASSWORD, "127.0.0.1")
        finally:
            await db.close_db()

    assert asyncio.run(login()).username == "carol"


def test_certs_writes_a_usable_self_signed_certificate(cli_env, capsys, tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    target = tmp_path / "certs"
    code, out, _ = run(capsys, "certs", "--dir", str(target), "--days", "30")
    assert code == 0
    certfile, keyfile = target / "cert.pem", target / "key.pem"
    assert f"transcendence serve --certfile {certfile} --keyfile {keyfile}" in out

    cert = x509.load_pem_x509_certificate(certfile.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert set(names.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    }
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert 29 <= lifetime.days <= 30
    key = serialization.load_pem_private_key(keyfile.read_bytes(), password=None)
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600

    code, _, err = run(capsys, "certs", "--dir", str(target))
    assert code == 1 and "--force" in one_line_error(err)
    assert certfile.read_bytes() == cert.public_bytes(serialization.Encoding.PEM)
    code, _, _ = run(capsys, "certs", "--dir", str(target), "--force")
    assert code == 0 and certfile.read_bytes() != cert.public_bytes(serialization.Encoding.PEM)


def test_certs_refuses_an_overlong_validity(cli_env, capsys, tmp_path):
    code, out, err = run(capsys, "certs", "--dir", str(tmp_path), "--days", "4000")
    assert code == 2 and "825" in out + err
