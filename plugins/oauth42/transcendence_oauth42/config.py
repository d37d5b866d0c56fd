"""The module's settings, read from the environment (and `.env`) with the `OAUTH42_` prefix."""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr
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
    authorize_url: str = f"{INTRA}/oauth/authorize"
    token_url: str = f"{INTRA}/oauth/token"
    userinfo_url: str = f"{INTRA}/v2/me"
    scope: str = "public"
    # Seconds for each call to the intra (token, profile, avatar image).
    timeout: float = Field(10.0, gt=0, le=60)

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret and self.client_secret.get_secret_value())

    def secret(self) -> str:
        return self.client_secret.get_secret_value() if self.client_secret else ""


def settings_of(app: Any) -> OAuth42Settings:
    """The app's settings for this module, read once (tests put their own in place)."""
    settings = app.extensions.get(EXTENSION)
    if settings is None:
        settings = app.extensions[EXTENSION] = OAuth42Settings()
    return settings
