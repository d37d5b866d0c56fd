"""The module's settings, read from the environment (and `.env`) with the `OAUTH42_` prefix."""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

INTRA = "https://api.intra.42.fr"
EXTENSION = "oauth42"


class OAuth42Settings(BaseSettings):
    """`OAUTH42_CLIENT_ID`, `OAUTH42_CLIENT_SECRET`, `OAUTH42_REDIRECT_URI` and the endpoints."""

    model_config = SettingsConfigDict(
        env_prefix="OAUTH42_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    client_id: str | None = None
    client_secret: SecretStr | None = None
    # The callback URL registered with the intra application, e.g.
    # https://pong.example.org/api/oauth42/callback. Unset: derived from the request.
    redirect_uri: str | None = None
    # The provider: the real 42 intra by default. Its three endpoints derive from it unless
    # set one by one (a provider with other paths).
    base_url: str = INTRA
    authorize_url: str = ""
    token_url: str = ""
    userinfo_url: str = ""
    scope: str = "public"
    # Seconds for each call to the intra (token, profile, avatar image).
    timeout: float = Field(10.0, gt=0, le=60)

    @model_validator(mode="after")
    def _endpoints(self) -> OAuth42Settings:
        base = self.base_url.rstrip("/")
        self.authorize_url = self.authorize_url or f"{base}/oauth/authorize"
        self.token_url = self.token_url or f"{base}/oauth/token"
        self.userinfo_url = self.userinfo_url or f"{base}/v2/me"
        return self

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret and self.client_secret.get_secret_value())

    @property
    def missing(self) -> str:
        """What to set for the login to work, in words ("" when nothing is missing)."""
        names = [
            name
            for name, value in (
                ("OAUTH42_CLIENT_ID", self.client_id),
                ("OAUTH42_CLIENT_SECRET", self.secret()),
            )
            if not value
        ]
        return f"set {' and '.join(names)} (docs/oauth42.md)" if names else ""

    def secret(self) -> str:
        return self.client_secret.get_secret_value() if self.client_secret else ""


def settings_of(app: Any) -> OAuth42Settings:
    """The app's settings for this module, read once (tests put their own in place)."""
    settings = app.extensions.get(EXTENSION)
    if settings is None:
        settings = app.extensions[EXTENSION] = OAuth42Settings()
    return settings
