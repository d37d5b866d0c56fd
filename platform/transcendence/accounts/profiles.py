"""How users are shown: my own profile, someone's public profile, short entries for lists.

Every function that shows several users fetches what it needs for all of them at once
(avatar versions, presence), so a list costs the same few queries whatever its length.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from transcendence.accounts import avatars
from transcendence.accounts.models import Avatar, Block, Friendship, User
from transcendence.accounts.presence import offline, presence_seen_by
from transcendence.accounts.schemas import user_out
from transcendence.core import current_core

# Enough of the sha256 to change whenever the picture does.
VERSION_CHARS = 16


def avatar_url(user_id: int, version: str) -> str:
    """Versioned, so browsers may cache it forever and still see a new upload at once."""
    return f"/api/users/{user_id}/avatar?v={version[:VERSION_CHARS]}"


async def avatar_versions(users: Iterable[User]) -> dict[int, str]:
    """The ETag of each user's current avatar (uploaded or default), in one query."""
    users = list(users)
    uploaded = dict(
        await Avatar.filter(user_id__in=[u.id for u in users]).values_list("user_id", "etag")
    )
    return {u.id: uploaded.get(u.id) or avatars.default_avatar(u.username).etag for u in users}


def presence_fields(presence: dict[str, Any] | None) -> dict[str, Any]:
    presence = presence or offline()
    status = presence.get("status", "offline")
    return {"online": status != "offline", "status": status, "last_seen": presence.get("last_seen")}


async def summaries(users: list[User], *, seen_by: User | None = None) -> list[dict[str, Any]]:
    """Short entries for lists: id, names, avatar (and presence as `seen_by` may see it)."""
    with_presence = seen_by is not None
    versions = await avatar_versions(users)
    presence = await presence_seen_by(seen_by.id, [u.id for u in users]) if seen_by else {}
    entries = []
    for user in users:
        entry = {
            "id": user.id,
            "username": user.username,
            "display_name": user.display_name,
            "avatar_url": avatar_url(user.id, versions[user.id]),
        }
        if with_presence:
            entry.update(presence_fields(presence.get(user.id)))
        entries.append(entry)
    return entries


# Written out: chat shows its senders with every batch of messages, and the two ORM queries
# of `summaries` cost several times what one join does (docs/performance.md, "Chat fan-out").
_SUMMARY = (
    "SELECT u.id, u.username, u.display_name, a.etag FROM core_user u"
    " LEFT JOIN core_avatar a ON a.user_id = u.id WHERE u.id {p}"
)
_SUMMARIES_SQL = {
    "postgres": _SUMMARY.format(p="= ANY($1::int[])"),
    "sqlite": _SUMMARY.format(p="IN (SELECT value FROM json_each(?))"),
}


def _entry(uid: int, username: str, display_name: str, etag: str | None) -> dict[str, Any]:
    version = etag or avatars.default_avatar(username).etag
    return {
        "id": int(uid),
        "username": username,
        "display_name": display_name,
        "avatar_url": avatar_url(int(uid), version),
    }


async def summaries_of(user_ids: list[int]) -> dict[int, dict[str, Any]]:
    """`summaries`' entries (no presence) of users by id, in one query; the gone are left out."""
    if not user_ids:
        return {}
    connection = User._meta.db
    dialect = connection.capabilities.dialect
    sql = _SUMMARIES_SQL.get(dialect)
    if sql is None:  # another backend: the ORM's queries
        users = await User.filter(id__in=sorted(set(user_ids)))
        return {e["id"]: e for e in await summaries(users)}
    ids = [int(u) for u in user_ids]
    _, rows = await connection.execute_query(
        sql, [ids] if dialect == "postgres" else [json.dumps(ids)]
    )
    return {int(row[0]): _entry(*row) for row in rows}


async def summary(user: User, *, seen_by: User | None = None) -> dict[str, Any]:
    return (await summaries([user], seen_by=seen_by))[0]


async def extras_of(user: User) -> dict[str, Any]:
    """Every enabled module's `user_profile_extras(user)`, merged (needs an app context)."""
    core = current_core()
    merged: dict[str, Any] = {}
    for part in await core.call("user_profile_extras", user=user, core=core):
        if isinstance(part, dict):
            merged.update(part)
    return merged


async def private_profile(user: User, *, extras: bool = False) -> dict[str, Any]:
    """My account as I see it: everything of the public profile plus email, role, settings.

    Module extras only when asked (`extras=True`): the browser reads this on every page
    load for the session, and the extras (the stats module's three queries) are what the
    profile page shows, which reads them from `public_profile`."""
    versions = await avatar_versions([user])
    presence = await presence_seen_by(user.id, [user.id])
    profile = {
        **user_out(user),
        "avatar_url": avatar_url(user.id, versions[user.id]),
        "has_password": user.password_hash is not None,
        **presence_fields(presence.get(user.id)),
    }
    if extras:
        profile["extras"] = await extras_of(user)
    return profile


async def relationship(viewer: User, other: User) -> dict[str, Any]:
    """Where the viewer stands with someone: friendship state and who blocks whom."""
    blocks = await Block.filter(
        blocker_id__in=[viewer.id, other.id], blocked_id__in=[viewer.id, other.id]
    ).values_list("blocker_id", flat=True)
    row = await Friendship.filter(
        requester_id__in=[viewer.id, other.id], addressee_id__in=[viewer.id, other.id]
    ).first()
    friend = "none"
    if row is not None:
        if row.status == "accepted":
            friend = "friends"
        else:
            friend = "outgoing" if row.requester_id == viewer.id else "incoming"  # type: ignore[attr-defined]
    return {
        "friend": friend,
        "friend_request_id": row.id if row is not None and row.status == "pending" else None,
        "blocked": viewer.id in blocks,
        "blocked_by": other.id in blocks,
    }


async def public_profile(user: User, viewer: User) -> dict[str, Any]:
    """Someone's profile as another player sees it: no email, no settings."""
    entry = await summary(user)
    related = await relationship(viewer, user) if viewer.id != user.id else None
    # The same rule as friend lists and the socket (accounts.presence.presence_seen_by).
    presence = (await presence_seen_by(viewer.id, [user.id])).get(user.id)
    profile = {
        **entry,
        **presence_fields(presence),
        "created_at": user.created_at.isoformat(),
        "extras": await extras_of(user),
    }
    if related is not None:
        profile["relationship"] = related
    return profile
