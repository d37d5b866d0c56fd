"""`/api/oauth42/...`: log in with 42, link and unlink, status.

The browser only ever sees our redirects and our own session: the intra's code is spent
and its tokens are used and dropped inside `callback`. Every failure a person can meet
ends on an SPA page with `?oauth_error=<code>` (docs/oauth42.md lists the codes), never on
a JSON error or a 500.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

from pydantic import BaseModel, Field, field_validator
from quart import Blueprint, Response, current_app, jsonify, redirect, request, url_for
from quart_schema import document_response, validate_request

from transcendence.accounts import privacy, tokens
from transcendence.accounts import service as accounts
from transcendence.accounts.models import User
from transcendence.accounts.schemas import no_control_characters
from transcendence.accounts.web import check_origin, client_ip, secure_cookie, set_refresh_cookie
from transcendence.auth import current_claims, current_user, public
from transcendence.errors import APIError
from transcendence.openapi import error_responses, other_response
from transcendence_oauth42 import provider, service
from transcendence_oauth42.config import OAuth42Settings, settings_of
from transcendence_oauth42.provider import FlowError

log = logging.getLogger("transcendence.oauth42")

blueprint = Blueprint("oauth42", __name__)

COOKIE_PATH = "/api/oauth42"
# Binds attempts to the browser that started them. SameSite=Lax: the intra sends the
# browser back to the callback with a cross-site top-level GET, which Lax lets through.
BROWSER_COOKIE = "oauth42_browser"
# Holds the 2FA step's token between the callback and the SPA's `POST /mfa`.
MFA_COOKIE = "oauth42_mfa"
# Failures an operator should hear about (the others are people's choices or slowness).
_OPERATOR_PROBLEMS = {"provider_error", "provider_unavailable", "bad_userinfo", "server_error"}
_BROWSER_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")

# Where the browser lands (SPA routes). `/login/42` is the module's own page (static/):
# it turns the refresh cookie into the SPA's session (the shell resumes a session at load
# only when this browser had one), asks for the 2FA code, or explains the error.
AFTER_LOGIN = "/login/42?oauth42=done"
AFTER_LINK = "/settings?oauth42=linked"
MFA_PAGE = "/login/42?oauth_mfa=1"
LOGIN_ERROR = "/login/42?oauth_error="
LINK_ERROR = "/settings?oauth_error="


class StatusOut(BaseModel):
    configured: bool
    login_url: str


class LinkStartIn(BaseModel):
    """Linking adds a way into the account, so it is confirmed like other sensitive changes."""

    password: str | None = Field(None, max_length=1024)
    code: str | None = Field(
        None, max_length=32, description="2FA code, for accounts without a password"
    )

    _text = field_validator("password", "code")(
        lambda v: None if v is None else no_control_characters(v)
    )


class LinkStartOut(BaseModel):
    authorize_url: str


class LinkOut(BaseModel):
    linked: bool
    login: str | None = None
    linked_at: str | None = None
    can_unlink: bool = False


class MfaOut(BaseModel):
    mfa_required: bool
    mfa_token: str


def _settings() -> OAuth42Settings:
    return settings_of(current_app)


def _redirect_uri(settings: OAuth42Settings) -> str:
    return settings.redirect_uri or url_for("oauth42.callback", _external=True)


def _redirect(location: str) -> Response:
    response = redirect(location, 302)
    response.headers["Cache-Control"] = "no-store"
    return response  # type: ignore[return-value]


def _fail(intent: str, exc: FlowError) -> Response:
    level = logging.WARNING if exc.code in _OPERATOR_PROBLEMS else logging.INFO
    log.log(level, "oauth42 %s ended with %s", intent, exc)
    page = LINK_ERROR if intent == "link" else LOGIN_ERROR
    return _redirect(page + quote(exc.code))


def _browser_token() -> str:
    """This browser's binding value: the one it has, so several tabs can log in at once."""
    current = request.cookies.get(BROWSER_COOKIE, "")
    return current if _BROWSER_TOKEN.match(current) else service.new_browser_token()


def _set_browser_cookie(response: Response, value: str) -> None:
    response.set_cookie(
        BROWSER_COOKIE,
        value,
        max_age=int(service.ATTEMPT_TTL.total_seconds()),
        path=COOKIE_PATH,
        httponly=True,
        secure=secure_cookie(),
        samesite="Lax",
    )


def _provider_error() -> FlowError:
    error = request.args.get("error", "")[:64]
    if error == "access_denied":
        return FlowError("access_denied", "the user declined on the intra")
    description = request.args.get("error_description", "")[:200]
    return FlowError("provider_error", f"authorize: {error} {description}".strip())


@blueprint.get("/status")
@public
@document_response(StatusOut, 200)
async def status():
    """Whether logging in with 42 is set up on this server (the SPA shows the button if so)."""
    return {"configured": _settings().configured, "login_url": url_for("oauth42.login")}


@blueprint.get("/login")
@other_response(302, "To the 42 intra's authorize page, or back to the SPA with an error code")
@public
async def login() -> Response:
    """Start logging in with 42: a redirect to the intra's consent page (state and PKCE)."""
    settings = _settings()
    browser = _browser_token()
    try:
        url = await service.begin(settings, _redirect_uri(settings), browser)
    except FlowError as exc:
        return _fail("login", exc)
    except Exception as exc:
        log.exception("oauth42: starting a login failed")
        return _fail("login", FlowError("server_error", repr(exc)))
    response = _redirect(url)
    _set_browser_cookie(response, browser)
    return response


@blueprint.get("/callback")
@other_response(302, "Back to the SPA: logged in, linked, the 2FA step, or an error code")
@public
async def callback() -> Response:
    """Where the intra sends the browser back: finish the login or link, then go to the SPA."""
    settings = _settings()
    intent = "login"
    try:
        try:
            attempt = await service.spend(
                request.args.get("state"), request.cookies.get(BROWSER_COOKIE)
            )
        except FlowError:
            if request.args.get("error"):  # the intra's own answer says more
                raise _provider_error() from None
            raise
        intent = attempt.intent
        if request.args.get("error"):
            raise _provider_error()
        code = request.args.get("code", "")
        if not code or len(code) > 512:
            raise FlowError("missing_code", "no authorization code in the callback")
        identity = await provider.identify(
            settings, code, attempt.code_verifier, attempt.redirect_uri
        )
        if intent == "link":
            await service.link(attempt.user_id, identity)  # type: ignore[attr-defined]
            return _redirect(AFTER_LINK)
        user, _created = await service.login_user(settings, identity)
        return await _logged_in(user)
    except FlowError as exc:
        return _fail(intent, exc)
    except Exception as exc:  # never a 500 on a page a person is looking at
        log.exception("oauth42: the callback failed")
        return _fail(intent, FlowError("server_error", repr(exc)))


async def _logged_in(user: User) -> Response:
    """Our own session, exactly like a password login (2FA included), then the SPA."""
    secret = current_app.config["SECRET_KEY"]
    if user.totp_enabled:
        response = _redirect(MFA_PAGE)
        response.set_cookie(
            MFA_COOKIE,
            tokens.issue_mfa(secret, user.id),
            max_age=tokens.MFA_TTL,
            path=COOKIE_PATH,
            httponly=True,
            secure=secure_cookie(),
            samesite="Strict",
        )
        return response
    _session, refresh = await accounts.start_session(
        user, user_agent=request.headers.get("User-Agent", ""), ip=client_ip()
    )
    response = _redirect(AFTER_LOGIN)
    set_refresh_cookie(response, refresh)
    return response


@blueprint.post("/mfa")
@error_responses(401, 403)
@public
@document_response(MfaOut, 200)
async def mfa():
    """After a 42 login into an account with 2FA: the `mfa_token` for `POST /api/auth/login/2fa`."""
    check_origin()
    token = request.cookies.get(MFA_COOKIE, "")
    try:
        tokens.decode_mfa(current_app.config["SECRET_KEY"], token)
    except tokens.TokenError as exc:
        raise APIError(401, exc.code, "the login step expired; log in with 42 again") from exc
    response = jsonify({"mfa_required": True, "mfa_token": token})
    response.delete_cookie(
        MFA_COOKIE, path=COOKIE_PATH, httponly=True, secure=secure_cookie(), samesite="Strict"
    )
    return response


@blueprint.get("/link")
@document_response(LinkOut, 200)
async def link_status():
    """Whether my account is linked to a 42 account, and whether I may unlink it."""
    user = await current_user()
    link = await service.link_of(user)
    if link is None:
        return {"linked": False, "can_unlink": False}
    return {
        "linked": True,
        "login": link.login,
        "linked_at": link.linked_at.isoformat(),
        "can_unlink": user.password_hash is not None,
    }


@blueprint.post("/link/start")
@error_responses(403, 409, 429)
@validate_request(LinkStartIn)
@document_response(LinkStartOut, 200)
async def link_start(data: LinkStartIn):
    """Start linking my account to a 42 account: confirm with my password (or 2FA code),
    then send the browser to `authorize_url`; it comes back to `/settings?oauth42=linked`."""
    user = await current_user()
    settings = _settings()
    if not settings.configured:
        # A 4xx: retrying will not help until an operator sets the client id and secret
        # (a 5xx says "our fault, try again"; `GET /api/oauth42/status` tells clients first).
        raise APIError(409, "not_configured", "logging in with 42 is not set up on this server")
    if await service.link_of(user) is not None:
        raise APIError(409, "account_linked", "this account is already linked to a 42 account")
    await privacy.reauthenticate(
        user,
        password=data.password,
        code=data.code,
        session_id=current_claims().session_id,
        ip=client_ip(),
    )
    browser = _browser_token()
    url = await service.begin(settings, _redirect_uri(settings), browser, intent="link", user=user)
    response = jsonify({"authorize_url": url})
    _set_browser_cookie(response, browser)
    return response


@blueprint.delete("/link")
@error_responses(409)
@other_response(204, "Unlinked")
async def unlink():
    """Unlink my 42 account. 409 `last_login_method` while it is my only way to log in."""
    await service.unlink(await current_user())
    return Response(status=204)
