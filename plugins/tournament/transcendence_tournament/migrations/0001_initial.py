from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial"), ("core", "0002_accounts")]

    initial = True

    operations = [
        ops.CreateModel(
            name="Tournament",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=64)),
                ("kind", fields.CharField(default="local", max_length=16)),
                ("format", fields.CharField(default="single", max_length=16)),
                ("status", fields.CharField(default="running", db_index=True, max_length=16)),
                (
                    "owner",
                    fields.ForeignKeyField(
                        "core.User",
                        source_field="owner_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="tournaments",
                        on_delete=OnDelete.SET_NULL,
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
                ("winner_alias", fields.CharField(null=True, max_length=32)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "finished_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "tournament_tournament",
                "app": "tournament",
                "pk_attr": "id",
                "table_description": "A local (one keyboard, aliases) or online tournament and where it stands.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Entry",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "tournament",
                    fields.ForeignKeyField(
                        "tournament.Tournament",
                        source_field="tournament_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="entries",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("alias", fields.CharField(max_length=32)),
                ("alias_key", fields.CharField(max_length=32)),
                (
                    "user",
                    fields.ForeignKeyField(
                        "core.User",
                        source_field="user_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="tournament_entries",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("seed", fields.IntField()),
                ("place", fields.IntField(null=True)),
            ],
            options={
                "table": "tournament_entry",
                "app": "tournament",
                "unique_together": (("tournament", "alias_key"),),
                "pk_attr": "id",
                "table_description": "A player in a tournament, known by an alias that lives only in this tournament.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Game",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "tournament",
                    fields.ForeignKeyField(
                        "tournament.Tournament",
                        source_field="tournament_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="games",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("key", fields.CharField(max_length=16)),
                ("match_id", fields.CharField(null=True, db_index=True, max_length=36)),
                ("winner_seed", fields.IntField(null=True)),
                (
                    "score",
                    fields.JSONField(
                        null=True,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("status", fields.CharField(default="playing", max_length=16)),
            ],
            options={
                "table": "tournament_game",
                "app": "tournament",
                "unique_together": (("tournament", "key"),),
                "pk_attr": "id",
                "table_description": "One bracket game and the pong match that decided it.",
            },
            bases=["Model"],
        ),
    ]
