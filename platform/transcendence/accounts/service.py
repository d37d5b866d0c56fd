"""Account logic: creating users, logging in, sessions and refresh rotation, throttling, 2FA.

No HTTP here: routes translate these functions' results and `APIError`s into responses.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import pyotp
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from transcendence.accounts import passwords, tokens
from transcendence.accounts.models import LoginAttempt, RecoveryCode, RefreshToken, Session, User
from transcendence.errors import APIError

log = logging.getLogger("transcendence.accounts")
SESSION_TTL = timedelta(days=30)
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
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
            raise APIError(400, "weak_password", problem, {"field": "password"})
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


async def check_throttle(account: str, ip: str) -> None:
    since = now() - THROTTLE_WINDOW
    for column, value, limit in (
        ("account_key", key(account), MAX_FAILURES_PER_ACCOUNT),
        ("ip", ip, MAX_FAILURES_PER_ADDRESS),
    ):
        recent = LoginAttempt.filter(**{column: value}, created_at__gte=since)
        if await recent.count() >= limit:
            oldest = await recent.order_by("created_at").first()
            retry = THROTTLE_WINDOW - (now() - oldest.created_at) if oldest else THROTTLE_WINDOW
            seconds = max(1, int(retry.total_seconds()) + 1)
            scope = "account" if column == "account_key" else "address"
            raise APIError(
                429,
                "too_many_attempts",
                f"too many failed logins for this {scope}; try again in {seconds} s",
                {"retry_after": seconds, "scope": scope},
                headers={"Retry-After": str(seconds)},
            )


async def record_failure(account: str, ip: str) -> None:
    await LoginAttempt.create(account_key=key(account), ip=ip)
    # Old rows are useless for throttling: prune as we go instead of running a job.
    await LoginAttempt.filter(created_at__lt=now() - THROTTLE_WINDOW).delete()


async def clear_failures(account: str) -> None:
    await LoginAttempt.filter(account_key=key(account)).delete()


# --- login ------------------------------------------------------------------------------

USERNAME_KEY_LENGTH = User._meta.fields_map["username_key"].max_length  # type: ignore[attr-defined]


async def authenticate(login: str, password: str, ip: str) -> User:
    """The user for these credentials (username or email), or a 401; throttled."""
    await check_throttle(login, ip)
    user = None
    # A login longer than any username can only be an email (and would not fit the column).
    if len(key(login)) <= USERNAME_KEY_LENGTH:
        user = await User.filter(anonymised=False).filter(username_key=key(login)).first()
    if user is None:
        user = await User.filter(anonymised=False, email_key=key(login)).first()
    if user is None:
        passwords.verify_password(passwords.DUMMY_HASH, password)
        ok = False
    else:
        ok = passwords.verify_password(user.password_hash, password)
    if not ok or user is None:
        await record_failure(login, ip)
        raise APIError(401, "invalid_credentials", "wrong username or password")
    await clear_failures(login)
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
        await end_live_sockets(session.user_id, reason, session_id=str(session.id))  # type: ignore[attr-defined]


async def end_live_sockets(user_id: int, reason: str, *, session_id: str | None = None) -> None:
    """Close the realtime sockets of a user (or of one session) on every node.

    Revoking tokens stops new sockets and refreshes; sockets already open would otherwise
    live on until their access token expires.
    """
    from transcendence.bus import BusUnavailable
    from transcendence.hub import current_hub

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
    count = await Session.filter(user=user, revoked_at=None).update(
        revoked_at=now(), revoked_reason=reason
    )
    user.token_version += 1
    await user.save(update_fields=["token_version"])
    await end_live_sockets(user.id, reason)
    return count


async def active_sessions(user: User) -> list[Session]:
    return await Session.filter(user=user, revoked_at=None, expires_at__gt=now()).order_by(
        "-last_used_at"
    )


# --- two-factor authentication ------------------------------------------------------------


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)


def verify_totp(secret: str | None, code: str) -> bool:
    if not secret:
        return False
    return pyotp.TOTP(secret).verify(code.strip().replace(" ", ""), valid_window=1)


async def begin_totp_setup(user: User) -> str:
    """A fresh secret, stored but not active until one code confirms it."""
    if user.totp_enabled:
        raise APIError(409, "conflict", "two-factor authentication is already on")
    user.totp_secret = pyotp.random_base32()
    await user.save(update_fields=["totp_secret"])
    return user.totp_secret


async def confirm_totp(user: User, code: str) -> list[str]:
    """Turn 2FA on with one valid code; returns the recovery codes, shown this once."""
    if user.totp_enabled:
        raise APIError(409, "conflict", "two-factor authentication is already on")
    if not user.totp_secret:
        raise APIError(409, "conflict", "start the setup first")
    if not verify_totp(user.totp_secret, code):
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
    """A TOTP code, or an unused recovery code (which is then spent)."""
    if verify_totp(user.totp_secret, code):
        return True
    cleaned = code.strip().replace(" ", "").replace("-", "").lower()
    row = await RecoveryCode.get_or_none(
        user=user, code_hash=tokens.hash_token(cleaned), used_at=None
    )
    if row is None:
        return False
    row.used_at = now()
    await row.save(update_fields=["used_at"])
    return True


async def disable_totp(user: User, code: str) -> None:
    if not user.totp_enabled:
        raise APIError(409, "conflict", "two-factor authentication is not on")
    if not await check_second_factor(user, code):
        raise APIError(400, "invalid_code", "that code is not valid")
    async with in_transaction():
        user.totp_enabled = False
        user.totp_secret = None
        await user.save(update_fields=["totp_enabled", "totp_secret"])
        await RecoveryCode.filter(user=user).delete()
