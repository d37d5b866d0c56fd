"""Account rules of the 42 login: attempts (state), finding, creating and linking accounts.

No Quart request handling here: the routes turn `FlowError` codes into SPA redirects.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import unicodedata
from collections.abc import Callable
from datetime import timedelta

from tortoise.exceptions import IntegrityError

from transcendence.accounts import avatars, service, tokens
from transcendence.accounts.models import Avatar, User
from transcendence.accounts.schemas import email_rule, username_rule
from transcendence.accounts.user_schemas import display_name_rule
from transcendence.errors import APIError
from transcendence_oauth42 import provider
from transcendence_oauth42.config import OAuth42Settings
from transcendence_oauth42.models import Attempt, Link
from transcendence_oauth42.provider import FlowError, Identity

log = logging.getLogger("transcendence.oauth42")

ATTEMPT_TTL = timedelta(minutes=10)
PRUNE_AFTER = timedelta(hours=1)
_NOT_USERNAME = re.compile(r"[^A-Za-z0-9_-]+")
_NAME_TRIES = 50


# --- attempts: state, PKCE verifier, browser binding ---------------------------------------


def new_browser_token() -> str:
    return secrets.token_urlsafe(32)


async def begin(
    settings: OAuth42Settings,
    redirect_uri: str,
    browser: str,
    *,
    intent: str = "login",
    user: User | None = None,
) -> str:
    """Record a new attempt for this browser and return the intra's authorize URL."""
    if not settings.configured:
        raise FlowError("not_configured", "OAUTH42_CLIENT_ID / OAUTH42_CLIENT_SECRET unset")
    url, state, verifier = await provider.authorization_request(settings, redirect_uri)
    # Old attempts are useless: prune as we go instead of running a job (kept a while after
    # they expire, so a late callback hears "expired" rather than "unknown").
    await Attempt.filter(expires_at__lt=service.now() - PRUNE_AFTER).delete()
    await Attempt.create(
        state_hash=tokens.hash_token(state),
        browser_hash=tokens.hash_token(browser),
        code_verifier=verifier,
        redirect_uri=redirect_uri,
        intent=intent,
        user=user,
        expires_at=service.now() + ATTEMPT_TTL,
    )
    return url


async def spend(state: str | None, browser: str | None) -> Attempt:
    """The attempt this callback finishes, spent so it cannot be used again.

    The state must be known, started in this browser (cookie), unspent and fresh.
    """
    if not state or len(state) > 256:
        raise FlowError("invalid_state", "no state in the callback")
    attempt = await Attempt.get_or_none(state_hash=tokens.hash_token(state))
    if attempt is None:
        raise FlowError("invalid_state", "unknown or already used state")
    if not browser or not hmac.compare_digest(attempt.browser_hash, tokens.hash_token(browser)):
        # Not spent: whoever forged this must not cancel the real user's attempt.
        raise FlowError("invalid_state", "the state was started in another browser")
    if await Attempt.filter(id=attempt.id).delete() != 1:
        raise FlowError("invalid_state", "state used twice at once")
    if attempt.expires_at <= service.now():
        raise FlowError("state_expired", "the attempt is older than ten minutes")
    return attempt


# --- names ------------------------------------------------------------------------------------


def _valid(rule: Callable[[str], str], value: str) -> str | None:
    try:
        return rule(value)
    except ValueError:
        return None


def username_base(login: str) -> str:
    """The 42 login made into a valid username (letters, digits, '_' and '-', 3 to 32)."""
    ascii_login = unicodedata.normalize("NFKD", login).encode("ascii", "ignore").decode()
    base = _NOT_USERNAME.sub("_", ascii_login).strip("_-")[:32]
    if len(base) < 3:
        base = f"{base}_42" if base else "player42"
    if _valid(username_rule, base) is None:  # e.g. the reserved "deleted-" prefix
        base = f"42-{base}"[:32]
    return base


def _numbered(base: str, n: int, sep: str, limit: int) -> str:
    suffix = "" if n == 1 else f"{sep}{n}"
    return f"{base[: limit - len(suffix)].rstrip()}{suffix}"


async def free_username(login: str) -> str:
    base = username_base(login)
    for n in range(1, _NAME_TRIES + 1):
        candidate = _valid(username_rule, _numbered(base, n, "-", 32))
        if candidate and not await service.find_conflict(username=candidate):
            return candidate
    return _numbered(base, 1, "", 25) + "-" + secrets.token_hex(3)


async def free_display_name(wanted: str | None, fallback: str) -> str:
    base = (_valid(display_name_rule, wanted[:32]) if wanted else None) or fallback
    for n in range(1, _NAME_TRIES + 1):
        candidate = _valid(display_name_rule, _numbered(base, n, " ", 32))
        if candidate and not await service.find_conflict(display_name=candidate):
            return candidate
    return _numbered(base, 1, "", 25) + " " + secrets.token_hex(3)


# --- logging in, creating, linking ------------------------------------------------------------


async def linked_user(provider_id: str) -> User | None:
    """The account linked to this intra account. A link left on an anonymised account is
    dropped: that person deleted their data, the intra account is free again."""
    link = await Link.get_or_none(provider_id=provider_id).prefetch_related("user")
    if link is None:
        return None
    user: User = link.user
    if user.anonymised:
        await link.delete()
        return None
    return user


async def login_user(settings: OAuth42Settings, identity: Identity) -> tuple[User, bool]:
    """The account to log in: the linked one, or a new one. `(user, created)`."""
    user = await linked_user(identity.provider_id)
    if user is not None:
        return user, False
    return await create_account(settings, identity), True


async def create_account(settings: OAuth42Settings, identity: Identity) -> User:
    """A new password-less account for this intra account; never takes over an existing one."""
    email = _valid(email_rule, identity.email)
    if email is None:
        raise FlowError("bad_userinfo", "the intra gave no usable email address")
    user = None
    for _ in range(3):
        if await service.find_conflict(email=email):
            # Someone has an account with this address: they must log in to it and link
            # from their settings. Never log anyone into it from here.
            raise FlowError("email_in_use", "an account already uses this email")
        username = await free_username(identity.login)
        display_name = await free_display_name(identity.display_name, username)
        try:
            user = await service.create_user(username, email, None, display_name=display_name)
            break
        except APIError as exc:  # a signup raced us to a name; pick again
            if exc.code != "conflict":
                raise
    if user is None:
        raise FlowError("signup_failed", "no free username or display name found")
    try:
        await Link.create(user=user, provider_id=identity.provider_id, login=identity.login)
    except IntegrityError:
        # The same intra account logged in twice at once and the other request won.
        await user.delete()
        winner = await linked_user(identity.provider_id)
        if winner is None:
            raise FlowError("signup_failed", "the account could not be linked") from None
        return winner
    if identity.image_url:
        try:
            await import_avatar(user, identity.image_url, settings.timeout)
        except Exception:  # a picture is a nicety: the account stands without it
            log.warning("oauth42: importing the avatar of user %s failed", user.id, exc_info=True)
    return user


async def import_avatar(user: User, url: str, seconds: float) -> bool:
    """Fetch the intra picture and store it re-encoded like an upload; False if not usable."""
    data = await provider.fetch_image(url, seconds)
    if not data:
        return False
    try:
        encoded = await avatars.encode_in_pool(lambda: data)  # same bounded pool as uploads
    except avatars.AvatarError as exc:
        log.info("oauth42: avatar of user %s refused: %s", user.id, exc.message)
        return False
    await Avatar.filter(user_id=user.id).delete()
    await Avatar.create(user_id=user.id, data=encoded.data, etag=encoded.etag)
    return True


async def link(user_id: int | None, identity: Identity) -> User:
    """Link the intra account to the account that started the link."""
    user = await User.get_or_none(id=user_id, anonymised=False) if user_id else None
    if user is None:
        raise FlowError("account_unavailable", "the account that asked to link is gone")
    owner = await linked_user(identity.provider_id)
    if owner is not None:
        if owner.id == user.id:
            return user  # linked already: nothing to do
        raise FlowError("already_linked", "this 42 account is linked to another account")
    if await Link.exists(user_id=user.id):
        raise FlowError("account_linked", "this account is linked to another 42 account")
    try:
        await Link.create(user=user, provider_id=identity.provider_id, login=identity.login)
    except IntegrityError:
        raise FlowError("already_linked", "linked by someone else at the same time") from None
    return user


async def link_of(user: User) -> Link | None:
    return await Link.get_or_none(user_id=user.id)


async def unlink(user: User) -> None:
    """Remove the link; refused while it is the account's only way to log in."""
    link = await link_of(user)
    if link is None:
        raise APIError(404, "not_found", "this account is not linked to a 42 account")
    if user.password_hash is None:
        raise APIError(
            409,
            "last_login_method",
            "42 is the only way to log in to this account: set a password first",
        )
    await link.delete()
