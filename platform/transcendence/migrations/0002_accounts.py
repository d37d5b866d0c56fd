from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    initial = False

    operations = [
        ops.CreateModel(
            name="LoginAttempt",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("account_key", fields.CharField(db_index=True, max_length=254)),
                ("ip", fields.CharField(db_index=True, max_length=64)),
                (
                    "created_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True),
                ),
            ],
            options={
                "table": "core_login_attempt",
                "app": "core",
                "pk_attr": "id",
                "table_description": "A failed login, kept briefly for throttling per account and per address.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="User",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("username", fields.CharField(max_length=32)),
                ("username_key", fields.CharField(unique=True, max_length=32)),
                ("email", fields.CharField(max_length=254)),
                ("email_key", fields.CharField(unique=True, max_length=254)),
                ("display_name", fields.CharField(max_length=32)),
                ("display_name_key", fields.CharField(unique=True, max_length=32)),
                ("password_hash", fields.CharField(null=True, max_length=255)),
                ("role", fields.CharField(default="player", max_length=16)),
                ("language", fields.CharField(default="en", max_length=8)),
                ("totp_secret", fields.CharField(null=True, max_length=64)),
                ("totp_enabled", fields.BooleanField(default=False)),
                ("token_version", fields.IntField(default=0)),
                ("anonymised", fields.BooleanField(default=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "last_seen_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "core_user",
                "app": "core",
                "pk_attr": "id",
                "table_description": "A player or an admin.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Avatar",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "user",
                    fields.OneToOneField(
                        "core.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="avatar",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("data", fields.BinaryField()),
                ("etag", fields.CharField(max_length=64)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "core_avatar",
                "app": "core",
                "pk_attr": "id",
                "table_description": "An uploaded avatar, re-encoded as square WebP, kept in the database for every node.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Block",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "blocker",
                    fields.ForeignKeyField(
                        "core.User",
                        source_field="blocker_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="blocks",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "blocked",
                    fields.ForeignKeyField(
                        "core.User",
                        source_field="blocked_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="blocked_by",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "core_block",
                "app": "core",
                "unique_together": (("blocker", "blocked"),),
                "pk_attr": "id",
                "table_description": "`blocker` blocks `blocked`: no messages, invites or friend requests from them.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Friendship",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "requester",
                    fields.ForeignKeyField(
                        "core.User",
                        source_field="requester_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="friend_requests_sent",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "addressee",
                    fields.ForeignKeyField(
                        "core.User",
                        source_field="addressee_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="friend_requests_received",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("status", fields.CharField(default="pending", max_length=16)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "core_friendship",
                "app": "core",
                "unique_together": (("requester", "addressee"),),
                "pk_attr": "id",
                "table_description": "A friend request (pending) or a friendship (accepted), from requester to addressee.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Notification",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "core.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="notifications",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("kind", fields.CharField(max_length=64)),
                (
                    "data",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "created_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True),
                ),
                ("read_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "core_notification",
                "app": "core",
                "pk_attr": "id",
                "table_description": "A notice for one user (invite, tournament call, friend request), kept until read.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RecoveryCode",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "core.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="recovery_codes",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("code_hash", fields.CharField(db_index=True, max_length=64)),
                ("used_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "core_recovery_code",
                "app": "core",
                "pk_attr": "id",
                "table_description": "A single-use 2FA recovery code, stored hashed.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Session",
            fields=[
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "core.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="sessions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("last_used_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("revoked_reason", fields.CharField(null=True, max_length=32)),
                ("user_agent", fields.CharField(default="", max_length=200)),
                ("ip", fields.CharField(default="", max_length=64)),
            ],
            options={
                "table": "core_session",
                "app": "core",
                "pk_attr": "id",
                "table_description": "A logged-in browser: the refresh-token family it rotates through.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RefreshToken",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "session",
                    fields.ForeignKeyField(
                        "core.Session",
                        source_field="session_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="tokens",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("token_hash", fields.CharField(unique=True, max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("used_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "core_refresh_token",
                "app": "core",
                "pk_attr": "id",
                "table_description": "One refresh token of a session, stored as a SHA-256 hash. A used one is spent.",
            },
            bases=["Model"],
        ),
    ]
