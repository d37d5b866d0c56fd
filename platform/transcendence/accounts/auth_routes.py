"""`/api/auth/...`: signup, login (with the 2FA step), refresh, logout, sessions, 2FA setup.

The refresh token travels only in an HttpOnly, SameSite=Strict cookie scoped to
`/api/auth`; the access token only in responses and `Authorization` headers.
"""

from __future__ import annotations

import uuid

import segno
from quart import Blueprint, Response, current_app, jsonify, request
from quart.typing import ResponseReturnValue
from quart_schema import document_response, validate_request

from transcendence.accounts import service, tokens
from transcendence.accounts.models import Session, User
from transcendence.accounts.schemas import (
    AccessOut,
    CodeIn,
    LoginIn,
    LoginOut,
    RecoveryCodesOut,
    SecondFactorIn,
    SessionsOut,
    SignupIn,
    SignupOut,
    TotpSetupOut,
    user_out,
)
from transcendence.accounts.web import (
    COOKIE,
    check_origin,
    clear_refresh_cookie,
    client_ip,
    set_refresh_cookie,
)
from transcendence.auth import current_claims, current_user
from transcendence.errors import APIError
from transcendence.openapi import error_responses, other_response

auth_blueprint = Blueprint("auth", __name__, url_prefix="/api/auth")


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


async def _logged_in(user: User, status: int = 200) -> Response:
    session, refresh = await service.start_session(
        user, user_agent=request.headers.get("User-Agent", ""), ip=client_ip()
    )
    body = {"access": service.access_token_for(_secret(), user, session), "user": user_out(user)}
    response = jsonify(body)
    response.status_code = status
    set_refresh_cookie(response, refresh)
    return response


@auth_blueprint.post("/signup")
@error_responses(409, 429)
@validate_request(SignupIn)
@document_response(SignupOut, 201)
async def signup(data: SignupIn) -> ResponseReturnValue:
    """Create an account. 409 names the field (username, email) already taken; 429 after
    10 signups an hour from one address."""
    await service.check_signup_rate(client_ip())
    user = await service.create_user(data.username, data.email, data.password)
    return {"user": user_out(user)}, 201


@auth_blueprint.post("/login")
@error_responses(401, 429)
@validate_request(LoginIn)
@document_response(LoginOut, 200)
async def login(data: LoginIn) -> ResponseReturnValue:
    """Log in with username or email. With 2FA on, answers `mfa_required` and an `mfa_token`."""
    user = await service.authenticate(data.username, data.password, client_ip())
    if user.totp_enabled:
        return {"mfa_required": True, "mfa_token": tokens.issue_mfa(_secret(), user.id)}
    return await _logged_in(user)


@auth_blueprint.post("/login/2fa")
@error_responses(401, 429)
@validate_request(SecondFactorIn)
@document_response(LoginOut, 200)
async def login_second_factor(data: SecondFactorIn) -> ResponseReturnValue:
    """Second step of a login with 2FA: the `mfa_token` and a TOTP or recovery code."""
    try:
        mfa = tokens.decode_mfa(_secret(), data.mfa_token)
    except tokens.TokenError as exc:
        raise APIError(401, exc.code, "the login step expired; enter your password again") from exc
    user = await User.get_or_none(id=mfa.user_id, anonymised=False)
    if user is None or not user.totp_enabled:
        raise APIError(401, "invalid_token", "the login step is not valid")
    if not await service.check_code(user, data.code, client_ip()):
        raise APIError(401, "invalid_code", "that code is not valid")
    # Single use: the code was right, and this token may not log in a second time.
    if not await service.spend_mfa_token(mfa):
        raise APIError(401, "invalid_token", "this login step was already used; log in again")
    return await _logged_in(user)


@auth_blueprint.post("/refresh")
@error_responses(401, 403)
@document_response(AccessOut, 200)
async def refresh() -> ResponseReturnValue:
    """Trade the refresh cookie for a new access token (and a new cookie)."""
    check_origin()
    token = request.cookies.get(COOKIE)
    if not token:
        raise APIError(401, "unauthorized", "no session cookie; log in")
    user, session, new_token = await service.rotate(token)
    response = jsonify({"access": service.access_token_for(_secret(), user, session)})
    set_refresh_cookie(response, new_token)
    return response


@auth_blueprint.post("/logout")
@error_responses(403)
@other_response(204, "Done; no body")
async def logout() -> ResponseReturnValue:
    """End this browser's session and clear its cookie. Always 204."""
    check_origin()
    token = request.cookies.get(COOKIE)
    if token:
        session = await service.session_for_token(token)
        if session is not None:
            await service.revoke(session, "logout")
    response = Response(status=204)
    clear_refresh_cookie(response)
    return response


@auth_blueprint.post("/logout-all")
@other_response(204, "Done; no body")
async def logout_all() -> ResponseReturnValue:
    """End every session of mine, on every device; current access tokens stop working too."""
    user = await current_user()
    await service.revoke_all(user, "logout_all")
    response = Response(status=204)
    clear_refresh_cookie(response)
    return response


@auth_blueprint.get("/sessions")
@document_response(SessionsOut, 200)
async def sessions() -> ResponseReturnValue:
    """My active sessions, the current one marked."""
    user = await current_user()
    current = current_claims().session_id
    items = [
        {
            "id": str(s.id),
            "created_at": s.created_at,
            "last_used_at": s.last_used_at,
            "expires_at": s.expires_at,
            "user_agent": s.user_agent,
            "ip": s.ip,
            "current": str(s.id) == current,
        }
        for s in await service.active_sessions(user)
    ]
    return {"items": items}


@auth_blueprint.delete("/sessions/<session_id>")
@other_response(204, "Done; no body")
async def revoke_session(session_id: str) -> ResponseReturnValue:
    """Log one of my sessions out (its refresh token stops working)."""
    user = await current_user()
    try:
        sid = uuid.UUID(session_id)
    except ValueError:
        raise APIError(404, "not_found", "no such session") from None
    session = await Session.get_or_none(id=sid, user=user)
    if session is None:
        raise APIError(404, "not_found", "no such session")
    await service.revoke(session, "revoked")
    return Response(status=204)


@auth_blueprint.post("/2fa/setup")
@error_responses(409)
@document_response(TotpSetupOut, 200)
async def totp_setup() -> ResponseReturnValue:
    """Start enabling 2FA: a secret and its QR code. Nothing changes until a code confirms it."""
    user = await current_user()
    secret = await service.begin_totp_setup(user)
    uri = service.totp_uri(user, secret)
    return {
        "secret": secret,
        "otpauth_uri": uri,
        "qr_svg": segno.make(uri, error="m").svg_data_uri(scale=4),
    }


@auth_blueprint.post("/2fa/confirm")
@error_responses(409, 429)
@validate_request(CodeIn)
@document_response(RecoveryCodesOut, 200)
async def totp_confirm(data: CodeIn) -> ResponseReturnValue:
    """Turn 2FA on with one code from the app; the recovery codes are shown this once.
    Wrong codes are throttled like passwords (429 `too_many_attempts`)."""
    user = await current_user()
    return {"recovery_codes": await service.confirm_totp(user, data.code, client_ip())}


@auth_blueprint.post("/2fa/disable")
@error_responses(409, 429)
@other_response(204, "Done; no body")
@validate_request(CodeIn)
async def totp_disable(data: CodeIn) -> ResponseReturnValue:
    """Turn 2FA off with a current code or a recovery code (throttled like a password)."""
    user = await current_user()
    await service.disable_totp(user, data.code, client_ip())
    return Response(status=204)
