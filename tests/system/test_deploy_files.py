"""The deployment files say what they should: nothing here can run Docker, so read them."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

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
            assert "postgres://" not in str(value) or "${POSTGRES_PASSWORD" in str(value)
    example = (ROOT / ".env.example").read_text()
    assert "TRANSCENDENCE_SECRET_KEY=" in example and "POSTGRES_PASSWORD=" in example
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT)
    assert ignored.returncode == 0, ".env must be ignored by git"


def test_the_image_is_multi_stage_and_not_root():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.M)) == 2
    assert re.search(r"^USER app$", dockerfile, re.M)
    assert "HEALTHCHECK" in dockerfile


def test_the_proxy_redirects_to_https_and_upgrades_websockets():
    template = (ROOT / "deploy" / "nginx" / "transcendence.conf.template").read_text()
    assert "return 301 https://" in template
    assert "proxy_set_header Upgrade $http_upgrade;" in template
    assert "Strict-Transport-Security" in template
