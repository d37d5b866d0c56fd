"""Roles (player, admin) and the user listing admins see; shared by the API and the CLI."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from transcendence.accounts import service
from transcendence.accounts.models import User
from transcendence.errors import APIError
from transcendence.pagination import decode_cursor, page

ROLES = ("player", "admin")


async def set_role(user: User, role: str) -> bool:
    """Give a user a role; returns whether it changed. The last admin cannot be demoted."""
    if role not in ROLES:
        raise APIError(400, "invalid_role", f"the role must be one of {', '.join(ROLES)}")
    if user.anonymised:
        raise APIError(404, "not_found", "no such user")
    if user.role == role:
        return False
    async with in_transaction():
        if user.role == "admin":
            # Locked, so two admins demoting each other at once cannot both succeed.
            admins = await User.filter(role="admin", anonymised=False).select_for_update()
            if not [a for a in admins if a.id != user.id]:
                raise APIError(
                    409, "last_admin", "this is the last admin; promote someone else first"
                )
        user.role = role
        await user.save(update_fields=["role"])
    return True


async def by_username(username: str) -> User:
    user = await User.get_or_none(username_key=service.key(username), anonymised=False)
    if user is None:
        raise APIError(404, "not_found", f"no user named {username!r}")
    return user


def admin_entry(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "role": user.role,
        "totp_enabled": user.totp_enabled,
        "anonymised": user.anonymised,
        "created_at": user.created_at.isoformat(),
        "last_seen_at": user.last_seen_at.isoformat() if user.last_seen_at else None,
    }


async def list_users(q: str | None, cursor: str | None, limit: int) -> dict[str, Any]:
    """Every account (anonymised ones included, marked), oldest first, a page at a time."""
    query = User.all().order_by("id")
    if q:
        prefix = service.key(q)
        query = query.filter(
            Q(username_key__startswith=prefix)
            | Q(display_name_key__startswith=prefix)
            | Q(email_key__startswith=prefix)
        )
    after = decode_cursor(cursor, int)
    if after is not None:
        query = query.filter(id__gt=after)
    rows, next_cursor = page(await query.limit(limit + 1), limit, lambda u: u.id)
    return {"items": [admin_entry(u) for u in rows], "next": next_cursor}
