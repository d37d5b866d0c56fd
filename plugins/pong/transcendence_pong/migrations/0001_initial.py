from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("core", "0002_accounts")]

    initial = True

    operations = [
        ops.CreateModel(
            name="Invite",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "sender",
                    fields.ForeignKeyField(
                        "core.User",
                        source_field="sender_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="pong_invites_sent",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "recipient",
                    fields.ForeignKeyField(
                        "core.User",
                        source_field="recipient_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="pong_invites_received",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "options",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("status", fields.CharField(default="pending", max_length=16)),
                ("game_id", fields.CharField(null=True, max_length=36)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "pong_invite",
                "app": "pong",
                "pk_attr": "id",
                "table_description": "A direct challenge from one player to another, pending until answered.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Match",
            fields=[
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("mode", fields.CharField(db_index=True, max_length=16)),
                ("status", fields.CharField(default="running", db_index=True, max_length=16)),
                (
                    "left_user",
                    fields.ForeignKeyField(
                        "core.User",
                        source_field="left_user_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="pong_matches_left",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "right_user",
                    fields.ForeignKeyField(
                        "core.User",
                        source_field="right_user_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="pong_matches_right",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("left_name", fields.CharField(max_length=32)),
                ("right_name", fields.CharField(max_length=32)),
                (
                    "options",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("left_score", fields.IntField(default=0)),
                ("right_score", fields.IntField(default=0)),
                ("winner", fields.CharField(null=True, max_length=8)),
                ("forfeit", fields.BooleanField(default=False)),
                (
                    "record",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "started_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True),
                ),
                ("ended_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "pong_match",
                "app": "pong",
                "pk_attr": "id",
                "table_description": "A game from its start to its end, with what the stats module needs of it.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="QueueEntry",
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
                        unique=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="pong_queue",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("rating", fields.IntField()),
                (
                    "options",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("joined_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "pong_queue_entry",
                "app": "pong",
                "pk_attr": "id",
                "table_description": "A player waiting for a remote opponent (shared by every node through the database).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Rating",
            fields=[
                (
                    "user",
                    fields.OneToOneField(
                        "core.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="pong_rating",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("rating", fields.IntField(default=1000)),
                ("games", fields.IntField(default=0)),
            ],
            options={
                "table": "pong_rating",
                "app": "pong",
                "pk_attr": "id",
                "table_description": "A player's remote-play rating (Elo), used by matchmaking.",
            },
            bases=["Model"],
        ),
    ]
