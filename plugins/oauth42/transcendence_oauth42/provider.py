"""Talking to the 42 intra: the authorize URL, the code exchange, the profile, the avatar image.

authlib's `AsyncOAuth2Client` does the OAuth 2.0 work (state, PKCE S256 challenge, the token
request with the client secret); this file only maps what can go wrong to the error codes
the SPA knows (`FlowError.code`, listed in docs/oauth42.md). The intra's tokens live in a
local variable for the length of one callback: they are never stored and never sent to
the browser.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx2
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from transcendence_oauth42.config import OAuth42Settings

log = logging.getLogger("transcendence.oauth42")

# RFC 7636 allows 43 to 128 characters; authlib's generator gives URL-safe ones.
VERIFIER_LENGTH = 64
MAX_IMAGE_BYTES = 2 * 1024 * 1024


class FlowError(Exception):
    """A login or link that cannot go on; `code` is what the SPA shows a message for."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


class _Image(BaseModel):
    link: str | None = None


class _Me(BaseModel):
    """The part of the intra's `/v2/me` we use."""

    model_config = ConfigDict(extra="ignore")

    id: int | str
    login: str = Field(min_length=1, max_length=64)
    email: str = Field(min_length=3, max_length=254)
    displayname: str | None = Field(None, max_length=200)
    image: _Image | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, value: int | str) -> int | str:
        text = str(value).strip()
        if not text or len(text) > 64:
            raise ValueError("not an id")
        return value


@dataclass(frozen=True)
class Identity:
    """Who the intra says logged in."""

    provider_id: str
    login: str
    email: str
    display_name: str | None
    image_url: str | None


def _client(settings: OAuth42Settings, redirect_uri: str) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=settings.client_id,
        client_secret=settings.secret(),
        redirect_uri=redirect_uri,
        scope=settings.scope,
        code_challenge_method="S256",
        # As the intra's documentation does it: client id and secret in the form body.
        token_endpoint_auth_method="client_secret_post",  # noqa: S106 (a method name)
        timeout=settings.timeout,
        follow_redirects=False,
    )


async def authorization_request(
    settings: OAuth42Settings, redirect_uri: str
) -> tuple[str, str, str]:
    """`(authorize URL, state, code verifier)` for a new attempt (state and PKCE by authlib).

    Nothing is sent: the browser takes the URL to the intra.
    """
    verifier = generate_token(VERIFIER_LENGTH)
    async with _client(settings, redirect_uri) as client:
        url, state = client.create_authorization_url(settings.authorize_url, code_verifier=verifier)
    return url, state, verifier


def _status_error(status: int, what: str) -> FlowError:
    code = "provider_unavailable" if status >= 500 or status == 429 else "provider_error"
    return FlowError(code, f"{what} answered HTTP {status}")


async def identify(
    settings: OAuth42Settings, code: str, verifier: str, redirect_uri: str
) -> Identity:
    """Spend the authorization code and read the profile; `FlowError` for every failure."""
    try:
        async with _client(settings, redirect_uri) as client:
            try:
                await client.fetch_token(
                    settings.token_url,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=verifier,
                )
            except OAuthError as exc:
                # invalid_grant: the code was used already, expired, or does not match the
                # verifier or redirect URI. Anything else is the intra refusing us.
                error = getattr(exc, "error", "") or ""
                if error == "invalid_grant":
                    raise FlowError("code_rejected", exc.description or error) from exc
                raise FlowError("provider_error", f"token endpoint: {error}") from exc
            except httpx2.HTTPStatusError as exc:
                raise _status_error(exc.response.status_code, "token endpoint") from exc
            except ValueError as exc:  # a 2xx/4xx body that is not a JSON object
                raise FlowError("provider_error", f"token endpoint: {exc}") from exc
            response = await client.get(settings.userinfo_url)
    except httpx2.TimeoutException as exc:
        raise FlowError("provider_unavailable", f"timeout: {exc!r}") from exc
    except httpx2.TransportError as exc:
        raise FlowError("provider_unavailable", f"unreachable: {exc!r}") from exc
    except OAuthError as exc:  # e.g. a token response without a usable token
        raise FlowError("provider_error", f"token: {exc}") from exc
    if response.status_code != 200:
        raise _status_error(response.status_code, "profile endpoint")
    return parse_identity(response)


def parse_identity(response: Any) -> Identity:
    try:
        me = _Me.model_validate(response.json())
    except (ValueError, ValidationError) as exc:
        raise FlowError("bad_userinfo", f"profile: {exc}") from exc
    return Identity(
        provider_id=str(me.id).strip(),
        login=me.login.strip(),
        email=me.email.strip(),
        display_name=(me.displayname or "").strip() or None,
        image_url=me.image.link if me.image and me.image.link else None,
    )


async def fetch_image(url: str, seconds: float) -> bytes | None:
    """The profile picture's bytes, or None when it is unreachable, too big or not HTTP(S).

    Plain GET without the intra's token: the picture sits on a public CDN.
    """
    if urlsplit(url).scheme not in {"http", "https"}:
        return None
    try:
        async with (
            httpx2.AsyncClient(timeout=seconds, follow_redirects=True, max_redirects=3) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                return None
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > MAX_IMAGE_BYTES:
                return None
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > MAX_IMAGE_BYTES:
                    return None
            return bytes(data)
    except httpx2.HTTPError as exc:
        log.info("oauth42: avatar %s not fetched: %r", url, exc)
        return None
