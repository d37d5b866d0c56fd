"""The deployment files say what they should: nothing here can run Docker, so read them."""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path

import asyncpg
import pytest
import yaml

from servers import PrivatePostgres, cli, server_env

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SECRET_WORDS = re.compile(r"(password|secret|key)", re.I)


def services():
    return COMPOSE["services"]


def test_the_topology_is_complete():
    # Services under a profile (monitoring) start only when asked for.
    default = {name for name, service in services().items() if not service.get("profiles")}
    assert default == {"db", "redis", "migrate", "certs", "app", "proxy"}
    assert services()["app"]["deploy"]["replicas"] == 2
    assert services()["proxy"]["ports"] == ["80:80", "443:443"]
    assert "pgdata" in COMPOSE["volumes"]
    assert "pgdata:/var/lib/postgresql/data" in services()["db"]["volumes"]


def test_every_long_running_service_has_a_healthcheck():
    for name in ("db", "redis", "app", "proxy"):
        assert services()[name]["healthcheck"]["test"], name


def test_migrations_run_once_before_the_app():
    app = services()["app"]["depends_on"]
    assert app["migrate"]["condition"] == "service_completed_successfully"
    assert services()["migrate"]["command"] == ["transcendence", "db", "migrate"]
    assert services()["migrate"]["restart"] == "no"


def test_no_secret_is_written_inline():
    for name, service in services().items():
        for key, value in (service.get("environment") or {}).items():
            # A path to a key file in a volume is not the secret itself.
            if SECRET_WORDS.search(key) and value and not str(value).startswith("/"):
                assert str(value).startswith("${"), f"{name}.{key} must come from .env"
        for value in (service.get("environment") or {}).values():
            # A URL carries no password at all (see the test on passwords below).
            assert not re.search(r"postgres://[^/@]*:[^/@]*@", str(value)), f"{name}: {value}"
    example = (ROOT / ".env.example").read_text()
    assert "TRANSCENDENCE_SECRET_KEY=" in example and "POSTGRES_PASSWORD=" in example
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT)
    assert ignored.returncode == 0, ".env must be ignored by git"


def test_the_image_is_multi_stage_and_not_root():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.M)) == 2
    assert re.search(r"^USER app$", dockerfile, re.M)
    assert "HEALTHCHECK" in dockerfile


TEMPLATE = ROOT / "deploy" / "nginx" / "transcendence.conf.template"


def template_directives() -> list[str]:
    """The template's directives and block openings in order, words joined by one space."""
    text = re.sub(r"(?m)^\s*#.*$", "", TEMPLATE.read_text())
    # A quoted string or a ${VARIABLE} is one word, braces and all.
    words = re.findall(r"'[^']*'|\"[^\"]*\"|[;{}]|(?:\$\{\w+\}|[^\s;{}'\"])+", text)
    directives, current = [], []
    for word in words:
        if word in (";", "{", "}"):
            if current:
                directives.append(" ".join(current))
            current = []
        else:
            current.append(word)
    return directives


def test_the_proxy_redirects_to_https_and_upgrades_websockets():
    template = TEMPLATE.read_text()
    assert "return 301 https://" in template
    assert "proxy_set_header Upgrade $http_upgrade;" in template


def test_the_proxy_tells_the_app_who_the_client_is_and_the_app_trusts_only_it():
    directives = template_directives()
    for header in (
        "X-Forwarded-For $proxy_add_x_forwarded_for",
        "X-Forwarded-Proto $scheme",
        # With its port: the app compares it with the page's Origin (nginx on :8443, say).
        "Host $http_host",
        "X-Forwarded-Host $http_host",
    ):
        # In both locations, the socket's and the pages'.
        assert directives.count(f"proxy_set_header {header}") == 2, header
    assert "proxy_set_header Host $host" not in directives
    app = COMPOSE["x-app"]["environment"]
    subnet = COMPOSE["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert app["TRANSCENDENCE_TRUSTED_PROXIES"] == subnet, "trust the compose network only"


def test_hsts_is_sent_once_by_the_app_not_by_nginx():
    assert not any("Strict-Transport-Security" in d for d in template_directives())


def test_metrics_are_not_public():
    directives = template_directives()
    start = directives.index("location ~ ^/metrics(/|$)")
    assert directives[start + 1] == "default_type application/json"
    assert directives[start + 2].startswith("return 404")


def test_http2_is_switched_on_the_current_way():
    directives = template_directives()
    assert "http2 on" in directives
    assert not any(d.startswith("listen") and "http2" in d for d in directives)
    # The compose image must know `http2 on` (1.25.1) and `resolve` (1.27.3).
    image = services()["proxy"]["image"]
    version = tuple(int(x) for x in re.match(r"nginx:(\d+)\.(\d+)", image).groups())
    assert version >= (1, 28), image


def test_nginx_re_resolves_the_app_replicas_with_dockers_dns():
    directives = template_directives()
    assert "resolver ${TRANSCENDENCE_RESOLVER} valid=10s ipv6=off" in directives
    assert "zone transcendence 64k" in directives  # `resolve` keeps its servers there
    proxy = services()["proxy"]["environment"]
    assert proxy["TRANSCENDENCE_RESOLVER"] == "127.0.0.11"
    assert proxy["TRANSCENDENCE_UPSTREAM"] == "server app:8000 resolve;"
    # Every ${...} of the template is filled in by compose.
    for name in re.findall(r"\$\{(\w+)\}", " ".join(directives)):
        assert name in proxy, name


def test_the_secret_is_guarded_like_the_database_password():
    app = COMPOSE["x-app"]["environment"]
    assert app["TRANSCENDENCE_SECRET_KEY"].startswith("${TRANSCENDENCE_SECRET_KEY:?")
    assert services()["db"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")


def test_a_database_password_with_url_characters_cannot_break_the_url():
    app = COMPOSE["x-app"]["environment"]
    # The password never enters DATABASE_URL: PostgreSQL's PGPASSWORD carries it verbatim.
    assert app["DATABASE_URL"] == "postgres://transcendence@db:5432/transcendence"
    assert app["PGPASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert "do not URL-encode" in (ROOT / ".env.example").read_text()


def test_the_build_context_leaves_out_local_state_and_secrets():
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for needed in (".git", ".env", ".venv", "**/.venv", "var", "**/__pycache__", "tests"):
        assert needed in patterns, needed
    assert "!.env.example" in patterns
    # Nothing the Dockerfile copies is left out.
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    copied = {
        source
        for line in re.findall(r"^COPY (?!--from)(.+)$", dockerfile, re.M)
        for source in line.split()[:-1]
        if not source.startswith("--")
    }
    assert copied == {
        "pyproject.toml",
        "setup.py",
        "MANIFEST.in",
        "LICENSE",
        "README.md",
        "platform",
        "cli",
        "plugins",
        "web",
    }
    assert not copied & set(patterns)


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?message}` (empty counts as unset)."""

    def one(match: re.Match) -> str:
        name, operator, rest = match.groups()
        if variables.get(name):
            return variables[name]
        if operator == ":?":
            raise AssertionError(f"compose would stop: {rest}")
        return rest or ""

    return re.sub(r"\$\{(\w+)(?:(:[?-])([^}]*))?\}", one, value)


class PasswordPostgres(PrivatePostgres):
    """A private cluster that, like the compose `db`, asks TCP clients for a password."""

    def init(self) -> None:
        self._run(
            *("initdb", "-D", str(self.data), "-U", "postgres", "--no-sync", "-E", "UTF8"),
            *("--auth-local=trust", "--auth-host=scram-sha-256"),
        )

    async def add_owner(self, user: str, password: str, database: str) -> None:
        # Over the Unix socket (trusted) as the superuser; the app comes over TCP.
        conn = await asyncpg.connect(
            host=str(self.dir), port=self.port, user="postgres", database="postgres"
        )
        try:
            create = await conn.fetchval(
                "SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', $1::text, $2::text)",
                user,
                password,
            )
            await conn.execute(create)
            await conn.execute(f'CREATE DATABASE "{database}" OWNER "{user}"')
        finally:
            await conn.close()


@pytest.mark.system
def test_the_app_reaches_postgresql_with_a_password_full_of_url_characters(tmp_path):
    password = "p@ss/w:rd?#%20 x"
    postgres = PasswordPostgres()
    try:
        postgres.init()
        postgres.start()
        asyncio.run(postgres.add_owner("transcendence", password, "transcendence"))
        compose = COMPOSE["x-app"]["environment"]
        variables = {"POSTGRES_PASSWORD": password}
        env = server_env(
            database_url=interpolate(compose["DATABASE_URL"], variables).replace(
                "@db:5432/", f"@127.0.0.1:{postgres.port}/"
            ),
            redis_url=None,
            var_dir=tmp_path / "var",
            extra_modules=[],
        )
        env["PGPASSWORD"] = interpolate(compose["PGPASSWORD"], variables)
        migrated = cli(env, "db", "migrate", check=False)
        assert migrated.returncode == 0, migrated.stderr
        assert cli(env, "db", "status", check=False).returncode == 0
        # The password is really checked: a wrong one is refused.
        env["PGPASSWORD"] = "not it"
        assert cli(env, "db", "status", check=False).returncode != 0
    finally:
        postgres.destroy()
