"""One typed settings object, read from the environment and an optional `.env`.

The defaults run everything on one machine with nothing else installed: a SQLite file
and a generated secret under `./var/`, and the in-process bus. Setting `DATABASE_URL`
and `REDIS_URL` switches to PostgreSQL and Redis.
"""

from __future__ import annotations

import ipaddress
import math
import secrets
from collections import Counter
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class SettingsError(Exception):
    """Settings that cannot run; the message is one line meant for a person."""


# What it takes to make a secret that production accepts (named in every refusal).
KEY_COMMAND = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'
MIN_SECRET_BITS = 128


def secret_bits(value: str) -> float:
    """A rough estimate of a secret's entropy: its characters' Shannon entropy times its
    length, counting a repeated unit once ("changeme" x 4 is worth "changeme").

    Not a proof of randomness; it catches what people type instead of a random value
    (`aaaa...`, a word repeated, a long constant suffix) and passes every output of
    `secrets.token_urlsafe(32)` or longer.
    """
    period = (value + value).find(value, 1)
    unit = value[:period] if value and len(value) % period == 0 else value
    n = len(unit)
    if n == 0:
        return 0.0
    return max(0.0, -sum(c / n * math.log2(c / n) for c in Counter(unit).values()) * n)


def secret_problem(value: str) -> str | None:
    """Why this signing secret is too weak for production, in one line, or None."""
    bits = secret_bits(value)
    if len(value) >= 32 and bits >= MIN_SECRET_BITS:
        return None
    return (
        f"TRANSCENDENCE_SECRET_KEY is too weak for production ({len(value)} characters, "
        f"about {bits:.0f} bits of entropy; {MIN_SECRET_BITS} needed): make one with {KEY_COMMAND}"
    )


def _comma_list(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(value: object) -> object:
    """ "10.0.0.0/8, 172.18.0.1" → networks (an address is a network of one; host bits allowed)."""
    items = _comma_list(value)
    if not isinstance(items, list):
        return items
    networks = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(
                f"TRANSCENDENCE_TRUSTED_PROXIES: {item!r} is not an address or a CIDR network"
            ) from None
    return networks


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    env: Literal["development", "test", "production"] = Field(
        "development", validation_alias=AliasChoices("TRANSCENDENCE_ENV", "env")
    )
    var_dir: Path = Field(
        Path("var"), validation_alias=AliasChoices("TRANSCENDENCE_VAR_DIR", "var_dir")
    )
    database_url: str | None = Field(
        None, validation_alias=AliasChoices("DATABASE_URL", "database_url")
    )
    redis_url: str | None = Field(None, validation_alias=AliasChoices("REDIS_URL", "redis_url"))
    secret_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("TRANSCENDENCE_SECRET_KEY", "secret_key")
    )
    # Datasette's DATASETTE_LOAD_PLUGINS: when set, only these installed modules load.
    modules: Annotated[list[str] | None, NoDecode] = Field(
        None, validation_alias=AliasChoices("TRANSCENDENCE_MODULES", "modules")
    )
    # Import paths of extra plugin modules (tests and local experiments).
    extra_modules: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        validation_alias=AliasChoices("TRANSCENDENCE_EXTRA_MODULES", "extra_modules"),
    )
    # Set when a TLS-terminating proxy sits in front (production requires TLS one way or
    # the other: this, or a certificate given to `serve`).
    behind_tls_proxy: bool = Field(
        False, validation_alias=AliasChoices("TRANSCENDENCE_BEHIND_TLS_PROXY", "behind_tls_proxy")
    )
    # The proxies whose X-Forwarded-For / -Proto / -Host are believed (addresses or CIDR
    # networks, comma-separated). Empty: nobody's, the socket peer is the client.
    trusted_proxies: Annotated[list[Network], NoDecode] = Field(
        default_factory=list,
        validation_alias=AliasChoices("TRANSCENDENCE_TRUSTED_PROXIES", "trusted_proxies"),
    )
    # The SPA's folder; by default the repository's web/ (an installed image sets it).
    web_dir: Path | None = Field(
        None, validation_alias=AliasChoices("TRANSCENDENCE_WEB_DIR", "web_dir")
    )
    tls_certfile: Path | None = Field(
        None, validation_alias=AliasChoices("TRANSCENDENCE_TLS_CERTFILE", "tls_certfile")
    )
    tls_keyfile: Path | None = Field(
        None, validation_alias=AliasChoices("TRANSCENDENCE_TLS_KEYFILE", "tls_keyfile")
    )
    # Apply pending migrations when the server starts (default: on, except in production,
    # where `transcendence db migrate` runs once before the nodes start).
    auto_migrate: bool | None = Field(
        None, validation_alias=AliasChoices("TRANSCENDENCE_AUTO_MIGRATE", "auto_migrate")
    )
    # With the in-process bus a CLI toggle cannot be pushed to a running server, so the
    # server re-reads the (tiny) module table this often. With Redis the toggle is pushed.
    module_sync_interval: float = Field(
        1.0,
        validation_alias=AliasChoices("TRANSCENDENCE_MODULE_SYNC_INTERVAL", "module_sync_interval"),
    )
    # Log every hook call with its module(s) and duration (logger "transcendence.hooks"),
    # as Datasette's DATASETTE_TRACE_PLUGINS does: for finding the slow or failing module.
    trace_hooks: bool = Field(
        False, validation_alias=AliasChoices("TRANSCENDENCE_TRACE_HOOKS", "trace_hooks")
    )
    redis_max_connections: int = Field(
        32, validation_alias=AliasChoices("REDIS_MAX_CONNECTIONS", "redis_max_connections")
    )
    max_request_bytes: int = Field(
        4 * 1024 * 1024,
        validation_alias=AliasChoices("TRANSCENDENCE_MAX_REQUEST_BYTES", "max_request_bytes"),
    )
    # Signups accepted per client address per hour (429 `too_many_attempts` beyond); raise
    # it for a classroom behind one NAT address.
    signups_per_hour: int = Field(
        10,
        ge=1,
        validation_alias=AliasChoices("TRANSCENDENCE_SIGNUPS_PER_HOUR", "signups_per_hour"),
    )
    log_format: Literal["json", "text"] = Field(
        "text", validation_alias=AliasChoices("TRANSCENDENCE_LOG_FORMAT", "log_format")
    )

    _modules_list = field_validator("modules", "extra_modules", mode="before")(_comma_list)
    _proxies_list = field_validator("trusted_proxies", mode="before")(_networks)

    @field_validator("secret_key", mode="before")
    @classmethod
    def _empty_secret_is_unset(cls, value: object) -> object:
        # `cp .env.example .env` leaves `TRANSCENDENCE_SECRET_KEY=`: that means "not set"
        # (development generates one), not an empty HMAC key.
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, SecretStr) and not value.get_secret_value().strip():
            return None
        return value

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Tortoise speaks "postgres://"; accept the common "postgresql://" spelling too.
            if url.startswith("postgresql://"):
                url = "postgres://" + url.removeprefix("postgresql://")
            return url
        return f"sqlite://{self.var_dir / 'transcendence.sqlite3'}"

    @property
    def uses_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite://")

    @property
    def should_auto_migrate(self) -> bool:
        return (not self.production) if self.auto_migrate is None else self.auto_migrate

    def check(self) -> None:
        """Refuse settings that are unsafe in production, with one readable line."""
        if not self.production:
            return
        if self.secret_key is None:
            raise SettingsError(
                "production needs TRANSCENDENCE_SECRET_KEY (a long random value); refusing "
                f"to start: make one with {KEY_COMMAND}"
            )
        problem = secret_problem(self.secret_key.get_secret_value())
        if problem:
            raise SettingsError(problem)
        if self.uses_sqlite:
            raise SettingsError(
                "production needs DATABASE_URL=postgres://...; SQLite is for development"
            )
        if not self.behind_tls_proxy and not (self.tls_certfile and self.tls_keyfile):
            raise SettingsError(
                "production needs TLS: set TRANSCENDENCE_BEHIND_TLS_PROXY=true behind a TLS "
                "proxy, or give serve --certfile and --keyfile"
            )

    def secret_status(self) -> tuple[bool, str]:
        """For `doctor`: whether the signing secret is fit for this mode, and why (no value)."""
        if self.secret_key is None:
            if self.production:
                return False, f"TRANSCENDENCE_SECRET_KEY is not set: make one with {KEY_COMMAND}"
            return True, f"not set: generated once under {self.var_dir / 'secret_key'}"
        problem = secret_problem(self.secret_key.get_secret_value())
        if problem is None:
            return True, "set, and long and random enough for production"
        if self.production:
            return False, problem
        return True, f"weak (production refuses it): {problem.split(': make one with ')[0]}"

    def resolved_secret(self) -> str:
        """The signing secret: configured, or generated once and kept under var/."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        if self.production:
            raise SettingsError("production needs TRANSCENDENCE_SECRET_KEY; refusing to start")
        path = self.var_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.var_dir.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        # Written with owner-only permissions, and never overwritten once there.
        try:
            with path.open("x", encoding="utf-8") as fh:
                path.chmod(0o600)
                fh.write(value)
        except FileExistsError:
            return path.read_text().strip()
        return value
