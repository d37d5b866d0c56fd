"""Account logic: creating users, logging in, sessions and refresh rotation, throttling, 2FA.

No HTTP here: routes translate these functions' results and `APIError`s into responses.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from transcendence.accounts import passwords, revocation, throttle, tokens
from transcendence.accounts.models import LoginAttempt, RecoveryCode, RefreshToken, Session, User
from transcendence.bus import BusUnavailable
from transcendence.errors import APIError
from transcendence.hub.lookup import current_hub

log = logging.getLogger("transcendence.accounts")
SESSION_TTL = timedelta(days=30)
FAILURE_LOG_KEPT = timedelta(minutes=15)
RECOVERY_CODES = 10
TOTP_ISSUER = "Transcendence"


def now() -> datetime:
    return datetime.now(UTC)


def key(value: str) -> str:
    """The case-insensitive form stored under the unique indexes."""
    return value.strip().casefold()


async def find_conflict(
    username: str | None = None,
    email: str | None = None,
    display_name: str | None = None,
    exclude_id: int | None = None,
) -> str | None:
    """The first field whose value another account already uses, if any."""
    for field, value in (("username", username), ("email", email), ("display_name", display_name)):
        if value is None:
            continue
        query = User.filter(**{f"{field}_key": key(value)})
        if exclude_id is not None:
            query = query.exclude(id=exclude_id)
        if await query.exists():
            return field
    return None


def conflict(field: str) -> APIError:
    label = field.replace("_", " ")
    return APIError(409, "conflict", f"this {label} is already taken", {"field": field})


async def create_user(
    username: str,
    email: str,
    password: str | None,
    *,
    display_name: str | None = None,
    role: str = "player",
) -> User:
    """A new account; 409 naming the field when a username, email or display name is taken."""
    display_name = display_name or username
    if password is not None:
        problem = passwords.password_problem(password, username=username, email=email)
        if problem:
            raise APIError(400, "weak_password", problem.message, problem.details("password"))
    clash = await find_conflict(username, email, display_name)
    if clash:
        raise conflict(clash)
    try:
        return await User.create(
            username=username.strip(),
            username_key=key(username),
            email=email.strip(),
            email_key=key(email),
            display_name=display_name.strip(),
            display_name_key=key(display_name),
            password_hash=passwords.hash_password(password) if password is not None else None,
            role=role,
        )
    except IntegrityError:
        # Two signups raced past the check above; the unique index decided.
        clash = await find_conflict(username, email, display_name) or "username"
        raise conflict(clash) from None


# --- throttling -----------------------------------------------------------------------


def account_key(user: User | None, login: str = "") -> str:
    """The throttle's key: the account once resolved (its name and email share it); a login
    that names no account is keyed by what was typed."""
    return f"user:{user.id}" if user is not None else f"login:{key(login)}"


async def known_address(user: User, ip: str) -> bool:
    """The account has logged in from this address before (its sessions remember it)."""
    return bool(ip) and await Session.filter(user_id=user.id, ip=ip[:64]).exists()


async def guarded(
    user: User | None,
    login: str,
    ip: str,
    check: Callable[[], Awaitable[bool]],
    *,
    factor: str = "password",
) -> bool:
    """Run `check` (a password or code verification) under the throttle; its result.

    429 `too_many_attempts` before checking when a limit is reached (see `throttle`).
    Codes count apart from passwords: whoever knows the password must not reset the code
    counters by logging in again between guesses.
    """
    exempt = user is not None and await known_address(user, ip)
    limiter = throttle.current()
    name = account_key(user, login) + ("" if factor == "password" else f":{factor}")
    ticket = await limiter.begin(name, ip, exempt=exempt)
    ok = await check()
    if ok:
        await limiter.succeeded(ticket)
    elif user is not None:
        # Not for throttling (the counters do that): the owner sees these in their export.
        await LoginAttempt.create(account_key=user.username_key, ip=ip[:64])
        await LoginAttempt.filter(created_at__lt=now() - FAILURE_LOG_KEPT).delete()
    return ok


async def check_signup_rate(ip: str) -> None:
    await throttle.current().signup(ip)


# --- login ------------------------------------------------------------------------------

USERNAME_KEY_LENGTH = User._meta.fields_map["username_key"].max_length  # type: ignore[attr-defined]


async def find_login(login: str) -> User | None:
    """The account a login names, by username or email."""
    user = None
    # A login longer than any username can only be an email (and would not fit the column).
    if len(key(login)) <= USERNAME_KEY_LENGTH:
        user = await User.filter(anonymised=False).filter(username_key=key(login)).first()
    if user is None:
        user = await User.filter(anonymised=False, email_key=key(login)).first()
    return user


async def authenticate(login: str, password: str, ip: str) -> User:
    """The user for these credentials (username or email), or a 401; throttled."""
    user = await find_login(login)

    async def check() -> bool:
        if user is None:
            passwords.verify_password(passwords.DUMMY_HASH, password)
            return False
        return passwords.verify_password(user.password_hash, password)

    if not await guarded(user, login, ip, check) or user is None:
        raise APIError(401, "invalid_credentials", "wrong username or password")
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        await user.save(update_fields=["password_hash"])
    return user


# --- sessions and refresh tokens ---------------------------------------------------------


async def start_session(user: User, *, user_agent: str = "", ip: str = "") -> tuple[Session, str]:
    """A new session and its first refresh token (returned in clear once, stored hashed)."""
    session = await Session.create(
        id=uuid.uuid4(),
        user=user,
        expires_at=now() + SESSION_TTL,
        user_agent=user_agent[:200],
        ip=ip[:64],
    )
    token = tokens.new_refresh_token()
    await RefreshToken.create(session=session, token_hash=tokens.hash_token(token))
    return session, token


def access_token_for(secret: str, user: User, session: Session) -> str:
    return tokens.issue_access(secret, user.id, user.token_version, str(session.id))


async def rotate(refresh_token: str) -> tuple[User, Session, str]:
    """Spend a refresh token for a new one. Reusing a spent token revokes its whole session."""
    stale = APIError(401, "invalid_refresh", "the session has ended; log in again")
    async with in_transaction():
        row = (
            await RefreshToken.filter(token_hash=tokens.hash_token(refresh_token))
            .select_for_update()
            .prefetch_related("session__user")
            .first()
        )
        if row is None:
            raise stale
        session: Session = row.session
        reused = row.used_at is not None
        if not reused:
            if session.revoked_at is not None or session.expires_at <= now():
                raise stale
            user: User = session.user  # type: ignore[assignment]
            if user.anonymised:
                raise stale
            row.used_at = now()
            await row.save(update_fields=["used_at"])
            token = tokens.new_refresh_token()
            await RefreshToken.create(session=session, token_hash=tokens.hash_token(token))
            session.last_used_at = now()
            await session.save(update_fields=["last_used_at"])
    if reused:
        # A stolen token and its owner raced: nobody keeps this session. Committed outside
        # the transaction above, which an error would roll back.
        await revoke(session, "refresh_reused")
        raise APIError(
            401, "refresh_reused", "this refresh token was already used; the session was revoked"
        )
    return user, session, token


async def revoke(session: Session, reason: str) -> None:
    if session.revoked_at is None:
        session.revoked_at = now()
        session.revoked_reason = reason
        await session.save(update_fields=["revoked_at", "revoked_reason"])
        await sessions_ended([session.id])
        await end_live_sockets(session.user_id, reason, session_id=str(session.id))  # type: ignore[attr-defined]


async def sessions_ended(session_ids: list[Any]) -> None:
    """Their access tokens stop working at once, on every node (see `revocation`)."""
    revoked = revocation.current()
    if revoked is not None:
        await revoked.revoke(str(sid) for sid in session_ids)


async def end_live_sockets(user_id: int, reason: str, *, session_id: str | None = None) -> None:
    """Close the realtime sockets of a user (or of one session) on every node.

    Revoking tokens stops new sockets and refreshes; sockets already open would otherwise
    live on until their access token expires.
    """
    hub = current_hub()
    if hub is None:
        return
    try:
        await hub.deliver.disconnect_user(user_id, reason, session_id=session_id)
    except BusUnavailable as exc:
        log.warning("could not close the sockets of user %s: %s", user_id, exc)


async def session_for_token(refresh_token: str) -> Session | None:
    row = await RefreshToken.get_or_none(
        token_hash=tokens.hash_token(refresh_token)
    ).prefetch_related("session")
    return row.session if row else None


async def revoke_all(user: User, reason: str) -> int:
    """End every session and invalidate every access token of a user."""
    stamp = now()
    count = await Session.filter(user=user, revoked_at=None).update(
        revoked_at=stamp, revoked_reason=reason
    )
    user.token_version += 1
    await user.save(update_fields=["token_version"])
    await sessions_ended(
        await Session.filter(user=user, revoked_at=stamp).values_list("id", flat=True)
    )
    await end_live_sockets(user.id, reason)
    return count


async def active_sessions(user: User) -> list[Session]:
    return await Session.filter(user=user, revoked_at=None, expires_at__gt=now()).order_by(
        "-last_used_at"
    )


# --- two-factor authentication ------------------------------------------------------------


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)


def totp_clock() -> float:
    """The time TOTP codes are checked against (tests replace it to stay in one step)."""
    return time.time()


def totp_step(secret: str | None, code: str) -> int | None:
    """The time step (this one or a neighbour, for clock drift) whose code this is."""
    if not secret:
        return None
    cleaned = code.strip().replace(" ", "")
    totp = pyotp.TOTP(secret)
    current = totp.timecode(datetime.fromtimestamp(totp_clock(), UTC))
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), cleaned):
            return step
    return None


async def spend_totp(user: User, code: str) -> bool:
    """A valid TOTP code whose time step this account has not used yet (and now has).

    The conditional update is atomic on both databases: of two requests with the same
    code, one updates the row and the other finds nothing to update.
    """
    step = totp_step(user.totp_secret, code)
    if step is None:
        return False
    fresh = Q(totp_last_step__isnull=True) | Q(totp_last_step__lt=step)
    if not await User.filter(fresh, id=user.id).update(totp_last_step=step):
        return False
    user.totp_last_step = step
    return True


async def begin_totp_setup(user: User) -> str:
    """A fresh secret, stored but not active until one code confirms it."""
    if user.totp_enabled:
        raise APIError(409, "conflict", "two-factor authentication is already on")
    user.totp_secret = pyotp.random_base32()
    user.totp_last_step = None  # steps used with an earlier secret say nothing about this one
    await user.save(update_fields=["totp_secret", "totp_last_step"])
    return user.totp_secret


async def confirm_totp(user: User, code: str, ip: str) -> list[str]:
    """Turn 2FA on with one valid code; returns the recovery codes, shown this once."""
    if user.totp_enabled:
        raise APIError(409, "conflict", "two-factor authentication is already on")
    if not user.totp_secret:
        raise APIError(409, "conflict", "start the setup first")
    if not await guarded(user, "", ip, lambda: spend_totp(user, code), factor="code"):
        raise APIError(400, "invalid_code", "that code is not valid; check your device's clock")
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    async with in_transaction():
        user.totp_enabled = True
        await user.save(update_fields=["totp_enabled"])
        await RecoveryCode.filter(user=user).delete()
        await RecoveryCode.bulk_create(
            [RecoveryCode(user=user, code_hash=tokens.hash_token(c)) for c in codes]
        )
    return codes


async def check_second_factor(user: User, code: str) -> bool:
    """A TOTP code of a step not used yet, or an unused recovery code (then spent).

    Unthrottled: callers go through `guarded` (as `check_code` does).
    """
    if await spend_totp(user, code):
        return True
    cleaned = code.strip().replace(" ", "").replace("-", "").lower()
    row = await RecoveryCode.get_or_none(
        user=user, code_hash=tokens.hash_token(cleaned), used_at=None
    )
    if row is None:
        return False
    # Conditional, like the TOTP step: two requests with one code cannot both spend it.
    return bool(await RecoveryCode.filter(id=row.id, used_at=None).update(used_at=now()))


async def spend_mfa_token(mfa: tokens.MfaClaims) -> bool:
    """True the first time; an mfa_token logs in once (on every node)."""
    ttl = max(1.0, mfa.expires_at - time.time() + 1)
    return await throttle.current().claim_once(f"mfa:{mfa.token_id}", ttl)


async def check_code(user: User, code: str, ip: str) -> bool:
    """`check_second_factor` under the login throttle (a code is guessed like a password)."""
    return await guarded(user, "", ip, lambda: check_second_factor(user, code), factor="code")


async def disable_totp(user: User, code: str, ip: str) -> None:
    if not user.totp_enabled:
        raise APIError(409, "conflict", "two-factor authentication is not on")
    if not await check_code(user, code, ip):
        raise APIError(400, "invalid_code", "that code is not valid")
    async with in_transaction():
        user.totp_enabled = False
        user.totp_secret = None
        await user.save(update_fields=["totp_enabled", "totp_secret"])
        await RecoveryCode.filter(user=user).delete()
