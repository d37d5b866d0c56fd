"""Access tokens (short-lived JWT, HS256 pinned) and opaque refresh tokens (stored hashed)."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

import jwt

ALGORITHM = "HS256"
ISSUER = "transcendence"
ACCESS_TTL = 15 * 60
MFA_TTL = 5 * 60


class TokenError(Exception):
    """The token is missing, malformed, forged or expired; `code` says which for the client."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: int
    token_version: int
    session_id: str
    expires_at: int


def _encode(secret: str, typ: str, user_id: int, ttl: int, **extra: object) -> str:
    now = int(time.time())
    payload = {"sub": str(user_id), "typ": typ, "iss": ISSUER, "iat": now, "exp": now + ttl}
    payload.update(extra)
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def _decode(secret: str, token: str, typ: str, leeway: int = 0) -> dict:
    try:
        # The algorithm list is pinned: "none" and any asymmetric confusion are refused.
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            leeway=leeway,
            options={"require": ["sub", "exp", "iat", "typ"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("token_expired", "the token has expired") from exc
    except jwt.PyJWTError as exc:
        raise TokenError("invalid_token", "the token is not valid") from exc
    if claims.get("typ") != typ:
        raise TokenError("invalid_token", "the token is not valid here")
    return claims


def issue_access(
    secret: str, user_id: int, token_version: int, session_id: str, ttl: int = ACCESS_TTL
) -> str:
    return _encode(secret, "access", user_id, ttl, tv=token_version, sid=session_id)


# Access tokens already verified, by (secret, token): a client sends the same token with
# every request for up to 15 minutes, and verifying it (HMAC, JSON, claims) is most of the
# token check. Only the expiry changes with time, so a cached token is checked against the
# clock again; ended sessions and token versions are checked by the callers, every time.
_VERIFIED: dict[tuple[str, str], AccessClaims] = {}
_VERIFIED_MAX = 4096


def decode_access(secret: str, token: str) -> AccessClaims:
    known = _VERIFIED.get((secret, token))
    if known is not None:
        if known.expires_at <= time.time():  # PyJWT's rule: expired at `exp` itself
            raise TokenError("token_expired", "the token has expired")
        return known
    claims = _decode(secret, token, "access")
    try:
        verified = AccessClaims(
            int(claims["sub"]),
            int(claims.get("tv", 0)),
            str(claims.get("sid", "")),
            int(claims["exp"]),
        )
    except (TypeError, ValueError) as exc:
        raise TokenError("invalid_token", "the token is not valid") from exc
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()  # bounded; a token dropped here is simply verified again
    _VERIFIED[secret, token] = verified
    return verified


@dataclass(frozen=True, slots=True)
class MfaClaims:
    user_id: int
    token_id: str  # spent when the second step succeeds: the token logs in once
    expires_at: int


def issue_mfa(secret: str, user_id: int) -> str:
    """Proves the password step of a login with 2FA on; only the second step accepts it."""
    return _encode(secret, "mfa", user_id, MFA_TTL, jti=secrets.token_urlsafe(16))


def decode_mfa(secret: str, token: str) -> MfaClaims:
    claims = _decode(secret, token, "mfa")
    try:
        return MfaClaims(int(claims["sub"]), str(claims["jti"]), int(claims["exp"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise TokenError("invalid_token", "the token is not valid") from exc


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
