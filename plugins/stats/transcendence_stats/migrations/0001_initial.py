from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial"), ("core", "0002_accounts"), ("pong", "0001_initial")]

    initial = True

    operations = [
        ops.CreateModel(
            name="Opponent",
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
                        related_name="stats_opponents",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("key", fields.CharField(max_length=48)),
                (
                    "opponent_user",
                    fields.ForeignKeyField(
                        "core.User",
                        source_field="opponent_user_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="stats_opponent_of",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("name", fields.CharField(max_length=32)),
                ("games", fields.IntField(default=0)),
                ("wins", fields.IntField(default=0)),
                (
                    "last_played_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "stats_opponent",
                "app": "stats",
                "unique_together": (("user", "key"),),
                "indexes": [Index(fields=["user_id", "games"])],
                "pk_attr": "id",
                "table_description": "A player's record against one opponent (an account, or a name such as an AI).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PlayerStats",
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
                        related_name="stats",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("games", fields.IntField(default=0)),
                ("wins", fields.IntField(default=0, db_index=True)),
                ("losses", fields.IntField(default=0)),
                ("points_for", fields.IntField(default=0)),
                ("points_against", fields.IntField(default=0)),
                ("current_streak", fields.IntField(default=0)),
                ("best_streak", fields.IntField(default=0)),
                ("worst_streak", fields.IntField(default=0)),
                ("rallies", fields.IntField(default=0)),
                ("rally_hits", fields.BigIntField(default=0)),
                ("rally_ticks", fields.BigIntField(default=0)),
                ("longest_rally", fields.IntField(default=0)),
                ("play_ticks", fields.BigIntField(default=0)),
                (
                    "by_mode",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("rating", fields.IntField(null=True, db_index=True)),
                ("best_rating", fields.IntField(null=True)),
                (
                    "last_played_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "stats_user",
                "app": "stats",
                "pk_attr": "id",
                "table_description": "A player's totals over every counted match, updated as each match finishes.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RatingPoint",
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
                        related_name="stats_rating_points",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "match",
                    fields.ForeignKeyField(
                        "pong.Match",
                        source_field="match_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="stats_rating_points",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("rating", fields.IntField()),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "stats_rating_point",
                "app": "stats",
                "indexes": [Index(fields=["user_id", "at"])],
                "pk_attr": "id",
                "table_description": "A player's remote rating right after one remote game.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="UserMatch",
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
                        related_name="stats_matches",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "match",
                    fields.ForeignKeyField(
                        "pong.Match",
                        source_field="match_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="stats_entries",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("mode", fields.CharField(max_length=16)),
                ("side", fields.CharField(max_length=8)),
                (
                    "opponent_user",
                    fields.ForeignKeyField(
                        "core.User",
                        source_field="opponent_user_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="stats_matches_against",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("opponent_name", fields.CharField(max_length=32)),
                ("points_for", fields.IntField()),
                ("points_against", fields.IntField()),
                ("won", fields.BooleanField()),
                ("forfeit", fields.BooleanField(default=False)),
                (
                    "ended_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "stats_user_match",
                "app": "stats",
                "unique_together": (("match", "user"),),
                "indexes": [Index(fields=["user_id", "ended_at"])],
                "pk_attr": "id",
                "table_description": "One counted match as one player saw it (unique per match and player).",
            },
            bases=["Model"],
        ),
    ]
