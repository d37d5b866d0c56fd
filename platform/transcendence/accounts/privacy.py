"""Re-authentication, data export, anonymisation and deletion of one's own account. No HTTP.

Anonymising keeps the user row (so matches, messages and tournament results other people
took part in keep a participant) but removes everything that identifies the person.
Deleting removes the row and, by the database's cascades, everything that points to it.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from transcendence.accounts import passwords, service
from transcendence.accounts.models import (
    Avatar,
    Block,
    Friendship,
    LoginAttempt,
    RecoveryCode,
    Session,
    User,
)
from transcendence.accounts.profiles import extras_of, private_profile, summaries
from transcendence.errors import APIError
from transcendence.models import Notification

# An account without password or 2FA can only prove itself by having just logged in.
FRESH_LOGIN = timedelta(minutes=10)


async def reauthenticate(
    user: User, *, password: str | None, code: str | None, session_id: str, ip: str
) -> None:
    """Prove it is really the owner before a destructive change.

    The password when the account has one; otherwise a 2FA code (TOTP or recovery); an
    account with neither must have logged in within the last ten minutes. Failures count
    towards the login throttle, so a stolen access token cannot guess the password.
    """
    if user.password_hash is not None:
        await _check_secret(user, password, ip, "password", _password_ok)
    elif user.totp_enabled:
        await _check_secret(user, code, ip, "code", service.check_second_factor)
    elif not await _fresh_session(user, session_id):
        raise APIError(
            403,
            "reauth_required",
            "log in again, then retry within ten minutes",
            {"needs": "fresh_login"},
        )


async def _password_ok(user: User, password: str) -> bool:
    return passwords.verify_password(user.password_hash, password)


async def _check_secret(user: User, value: str | None, ip: str, field: str, check: Any) -> None:
    if not value:
        label = "your password" if field == "password" else "a 2FA or recovery code"
        raise APIError(400, "reauth_required", f"confirm with {label}", {"field": field})
    factor = "password" if field == "password" else "code"
    if not await service.guarded(user, "", ip, lambda: check(user, value), factor=factor):
        wrong = "wrong password" if field == "password" else "that code is not valid"
        raise APIError(403, f"invalid_{field}", wrong, {"field": field})


async def _fresh_session(user: User, session_id: str) -> bool:
    try:
        sid = uuid.UUID(session_id)
    except ValueError:
        return False
    session = await Session.get_or_none(id=sid, user_id=user.id, revoked_at=None)
    return session is not None and service.now() - session.created_at <= FRESH_LOGIN


# --- export -------------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def _sessions(user: User) -> list[dict[str, Any]]:
    rows = await Session.filter(user_id=user.id).order_by("-created_at")
    return [
        {
            "id": str(s.id),
            "created_at": _iso(s.created_at),
            "last_used_at": _iso(s.last_used_at),
            "expires_at": _iso(s.expires_at),
            "revoked_at": _iso(s.revoked_at),
            "revoked_reason": s.revoked_reason,
            "user_agent": s.user_agent,
            "ip": s.ip,
        }
        for s in rows
    ]


async def _friendships(user: User) -> list[dict[str, Any]]:
    rows = (
        await Friendship.filter(Q(requester_id=user.id) | Q(addressee_id=user.id))
        .select_related("requester", "addressee")
        .order_by("id")
    )
    others = [r.addressee if r.requester.id == user.id else r.requester for r in rows]  # type: ignore[attr-defined]
    people = await summaries(others)  # type: ignore[arg-type]
    return [
        {
            "status": r.status,
            "direction": "sent" if r.requester.id == user.id else "received",  # type: ignore[attr-defined]
            "user": person,
            "created_at": _iso(r.created_at),
        }
        for r, person in zip(rows, people, strict=True)
    ]


async def _blocks(user: User) -> list[dict[str, Any]]:
    rows = await Block.filter(blocker_id=user.id).select_related("blocked").order_by("id")
    people = await summaries([r.blocked for r in rows])  # type: ignore[misc]
    return [
        {"user": person, "created_at": _iso(r.created_at)}
        for r, person in zip(rows, people, strict=True)
    ]


async def _notifications(user: User) -> list[dict[str, Any]]:
    rows = await Notification.filter(user_id=user.id).order_by("id")
    return [
        {
            "id": n.id,
            "kind": n.kind,
            "data": n.data,
            "created_at": _iso(n.created_at),
            "read_at": _iso(n.read_at),
        }
        for n in rows
    ]


async def _avatar(user: User) -> dict[str, Any] | None:
    row = await Avatar.get_or_none(user_id=user.id)
    if row is None:
        return None
    return {
        "content_type": "image/webp",
        "etag": row.etag,
        "updated_at": _iso(row.updated_at),
        "data_base64": base64.b64encode(row.data).decode(),
    }


async def _failed_logins(user: User) -> list[dict[str, Any]]:
    keys = [user.username_key, user.email_key]
    rows = await LoginAttempt.filter(account_key__in=keys).order_by("id")
    return [{"ip": r.ip, "at": _iso(r.created_at)} for r in rows]


async def export(user: User) -> dict[str, Any]:
    """Everything stored about me, as JSON (secrets such as hashes are not data about me)."""
    profile = await private_profile(user)
    profile.update(last_seen_at=_iso(user.last_seen_at), anonymised=user.anonymised)
    recovery = await RecoveryCode.filter(user_id=user.id).values_list("used_at", flat=True)
    return {
        "format": "transcendence-export/1",
        "exported_at": _iso(service.now()),
        "profile": profile,
        "avatar": await _avatar(user),
        "two_factor": {
            "enabled": user.totp_enabled,
            "recovery_codes_left": sum(1 for used in recovery if used is None),
        },
        "sessions": await _sessions(user),
        "friendships": await _friendships(user),
        "blocks": await _blocks(user),
        "notifications": await _notifications(user),
        "failed_logins": await _failed_logins(user),
        "extras": await extras_of(user),
    }


# --- anonymise and delete -----------------------------------------------------------------


def _placeholder(user_id: int, suffix: str = "") -> dict[str, str]:
    name = f"deleted-{user_id}{suffix}"
    email = f"{name}@deleted.invalid"
    return {
        "username": name,
        "username_key": service.key(name),
        "display_name": name,
        "display_name_key": service.key(name),
        "email": email,
        "email_key": service.key(email),
    }


async def _erase_links(user: User) -> None:
    """Everything that ties other people or devices to this account."""
    await Avatar.filter(user_id=user.id).delete()
    await RecoveryCode.filter(user_id=user.id).delete()
    # Their access tokens die now, not when they expire (REST and sockets, every node).
    await service.sessions_ended(
        await Session.filter(user_id=user.id, revoked_at=None).values_list("id", flat=True)
    )
    await Session.filter(user_id=user.id).delete()
    await Friendship.filter(Q(requester_id=user.id) | Q(addressee_id=user.id)).delete()
    await Block.filter(Q(blocker_id=user.id) | Q(blocked_id=user.id)).delete()
    await Notification.filter(user_id=user.id).delete()
    await LoginAttempt.filter(account_key__in=[user.username_key, user.email_key]).delete()


async def anonymise(user: User) -> User:
    """Replace every identifying field with `deleted-<id>` forms and erase personal links."""
    suffix = ""
    for _ in range(3):
        try:
            async with in_transaction():
                await _erase_links(user)
                for field, value in _placeholder(user.id, suffix).items():
                    setattr(user, field, value)
                user.password_hash = None
                user.totp_secret = None
                user.totp_enabled = False
                user.role = "player"
                user.language = "en"
                user.theme = "standard"
                user.text_size = "normal"
                user.last_seen_at = None
                user.anonymised = True
                user.token_version += 1  # every access token dies with the account
                await user.save()
            await service.end_live_sockets(user.id, "account anonymised")
            return user
        except IntegrityError:
            # Someone registered "deleted-<id>" themselves: pick a name nobody can guess.
            await user.refresh_from_db()
            suffix = f"-{secrets.token_hex(3)}"
    raise APIError(409, "conflict", "could not anonymise the account; try again")


async def delete(user: User) -> None:
    """Delete the account and, through the cascades, everything that belongs to it."""
    try:
        async with in_transaction():
            await _erase_links(user)
            user_id = user.id
            await user.delete()
        await service.end_live_sockets(user_id, "account deleted")
    except IntegrityError as exc:
        # A module keeps records that must not vanish with the account (ON DELETE RESTRICT).
        raise APIError(
            409,
            "cannot_delete",
            "some records must keep this account; anonymise it instead",
        ) from exc
