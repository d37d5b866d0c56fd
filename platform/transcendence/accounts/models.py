"""Account tables (part of the core's Tortoise app, tables `core_*`).

Uniqueness of usernames, emails and display names is case-insensitive everywhere: each has
a `*_key` column holding its casefolded form under a unique index, which behaves the same
on SQLite and PostgreSQL.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class User(Model):
    """A player or an admin."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=32)
    username_key = fields.CharField(max_length=32, unique=True)
    email = fields.CharField(max_length=254)
    email_key = fields.CharField(max_length=254, unique=True)
    display_name = fields.CharField(max_length=32)
    display_name_key = fields.CharField(max_length=32, unique=True)
    # None for accounts created through an external login (42) that never set a password.
    password_hash = fields.CharField(max_length=255, null=True)
    role = fields.CharField(max_length=16, default="player")
    language = fields.CharField(max_length=8, default="en")
    # Appearance, remembered per user like the language: "standard" or "high-contrast", and
    # the text size ("normal", "large", "larger").
    theme = fields.CharField(max_length=16, default="standard")
    text_size = fields.CharField(max_length=8, default="normal")
    totp_secret = fields.CharField(max_length=64, null=True)
    totp_enabled = fields.BooleanField(default=False)
    # The TOTP time step of the last code accepted: a code works once (no replay).
    totp_last_step = fields.BigIntField(null=True)
    # Bumped to invalidate every access token at once (log out everywhere, password change).
    token_version = fields.IntField(default=0)
    anonymised = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField(null=True)

    class Meta:
        table = "core_user"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class Session(Model):
    """A logged-in browser: the refresh-token family it rotates through."""

    id = fields.UUIDField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="sessions", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    revoked_reason = fields.CharField(max_length=32, null=True)
    user_agent = fields.CharField(max_length=200, default="")
    ip = fields.CharField(max_length=64, default="")

    class Meta:
        table = "core_session"


class RefreshToken(Model):
    """One refresh token of a session, stored as a SHA-256 hash. A used one is spent."""

    id = fields.IntField(primary_key=True)
    session: fields.ForeignKeyRelation[Session] = fields.ForeignKeyField(
        "core.Session", related_name="tokens", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "core_refresh_token"


class RecoveryCode(Model):
    """A single-use 2FA recovery code, stored hashed."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="recovery_codes", on_delete=fields.CASCADE
    )
    code_hash = fields.CharField(max_length=64, db_index=True)
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "core_recovery_code"


class LoginAttempt(Model):
    """A failed password or code check of an account, kept briefly for the owner's export.

    Throttling does not read it: the counters of `accounts.throttle` do that.
    """

    id = fields.IntField(primary_key=True)
    account_key = fields.CharField(max_length=254, db_index=True)
    ip = fields.CharField(max_length=64, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "core_login_attempt"


class Avatar(Model):
    """An uploaded avatar, re-encoded as square WebP, kept in the database for every node."""

    # Its own id rather than the user as primary key: Tortoise 1.1's autodetector keeps
    # re-detecting a one-to-one primary key as changed.
    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "core.User", related_name="avatar", on_delete=fields.CASCADE
    )
    data = fields.BinaryField()
    etag = fields.CharField(max_length=64)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "core_avatar"


class Friendship(Model):
    """A friend request (pending) or a friendship (accepted), from requester to addressee."""

    id = fields.IntField(primary_key=True)
    requester: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="friend_requests_sent", on_delete=fields.CASCADE
    )
    addressee: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="friend_requests_received", on_delete=fields.CASCADE
    )
    status = fields.CharField(max_length=16, default="pending")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "core_friendship"
        unique_together = (("requester", "addressee"),)


class Block(Model):
    """`blocker` blocks `blocked`: no messages, invites or friend requests from them."""

    id = fields.IntField(primary_key=True)
    blocker: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="blocks", on_delete=fields.CASCADE
    )
    blocked: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="blocked_by", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "core_block"
        unique_together = (("blocker", "blocked"),)
