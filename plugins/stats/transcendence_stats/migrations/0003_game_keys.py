"""Stats for every game: a match is named by (game, match_id) instead of a foreign key to
pong's matches, and a player's totals, opponents and rating chart are kept per game.

Existing rows are pong's: `game` is "pong" for all of them, and `match_id` is the id of
the pong match the old foreign key pointed at (copied as text before the key is dropped).
"""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import UniqueConstraint


class RebuiltOnSQLite(ops.TortoiseOperation):
    """On SQLite, the table is rebuilt as the new state describes it (SQLite's own way to
    alter a table) instead of the generic statements, which miss there: a `unique_together`
    of the first migration is part of the table (no index to drop), and a dropped foreign
    key would leave its column behind. PostgreSQL runs the generic statements."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor is not None and state_editor.DIALECT == "sqlite":
            model = new_state.apps.get_model(f"{app_label}.{self.model_name}")  # type: ignore[attr-defined]
            await state_editor._remake_table(model)
            return
        await super().database_forward(app_label, old_state, new_state, state_editor)


class RemoveUnique(RebuiltOnSQLite, ops.RemoveConstraint):
    pass


class RemoveForeignKey(RebuiltOnSQLite, ops.RemoveField):
    pass


def _game(model: str, table: str) -> list[ops.Operation]:
    """The column `game`, "pong" for every row already there."""
    return [
        ops.AddField(
            model_name=model, name="game", field=fields.CharField(max_length=32, null=True)
        ),
        ops.RunSQL(f"UPDATE {table} SET game = 'pong'", reverse_sql=ops.RunSQL.noop),
        ops.AlterField(model_name=model, name="game", field=fields.CharField(max_length=32)),
    ]


def _match_id(model: str, table: str) -> list[ops.Operation]:
    """The foreign key `match` (column match_id) becomes the text column match_id, its
    values kept: a new column, filled from the key, the key dropped, the column renamed."""
    return [
        ops.AddField(
            model_name=model,
            name="game_match_id",
            field=fields.CharField(max_length=64, null=True),
        ),
        ops.RunSQL(
            f"UPDATE {table} SET game_match_id = CAST(match_id AS VARCHAR(64))",
            reverse_sql=ops.RunSQL.noop,
        ),
        RemoveForeignKey(model_name=model, name="match"),
        ops.RenameField(model_name=model, old_name="game_match_id", new_name="match_id"),
        ops.AlterField(
            model_name=model, name="match_id", field=fields.CharField(max_length=64)
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [("core", "0004_module_failures"), ("stats", "0002_user_match_counted")]

    initial = False

    operations = [
        # Opponents: one row per (player, game, opponent).
        ops.RemoveIndex(model_name="Opponent", name=None, fields=["user_id", "games"]),
        RemoveUnique(model_name="Opponent", name=None, fields=["user", "key"]),
        *_game("Opponent", "stats_opponent"),
        ops.AddIndex(model_name="Opponent", index=Index(fields=["user_id", "game", "games"])),
        ops.AddConstraint(
            model_name="Opponent",
            constraint=UniqueConstraint(fields=("user", "game", "key"), name=None),
        ),
        # Totals: one row per (player, game) instead of one per player.
        ops.AlterModelOptions(
            name="PlayerStats",
            options={
                "table": "stats_user",
                "app": "stats",
                "unique_together": (("user", "game"),),
                "pk_attr": "id",
                "table_description": "A player's totals over every counted match of one "
                "game, updated as each match finishes.",
            },
        ),
        ops.AlterField(
            model_name="PlayerStats",
            name="user",
            field=fields.ForeignKeyField(
                "core.User",
                source_field="user_id",
                db_constraint=True,
                to_field="id",
                related_name="stats",
                on_delete=OnDelete.CASCADE,
            ),
        ),
        *_game("PlayerStats", "stats_user"),
        ops.AddConstraint(
            model_name="PlayerStats",
            constraint=UniqueConstraint(fields=("user", "game"), name=None),
        ),
        # The rating chart: per game, its matches named by (game, match_id).
        ops.RemoveIndex(model_name="RatingPoint", name=None, fields=["user_id", "at"]),
        ops.AlterModelOptions(
            name="RatingPoint",
            options={
                "table": "stats_rating_point",
                "app": "stats",
                "indexes": [Index(fields=["user_id", "game", "at"])],
                "pk_attr": "id",
                "table_description": "A player's rating in a game right after one rated "
                "match of it (pong: remote games).",
            },
        ),
        *_game("RatingPoint", "stats_rating_point"),
        *_match_id("RatingPoint", "stats_rating_point"),
        ops.AddIndex(model_name="RatingPoint", index=Index(fields=["user_id", "game", "at"])),
        # The markers and the history: unique per (game, match_id, player).
        RemoveUnique(model_name="UserMatch", name=None, fields=["match", "user"]),
        *_game("UserMatch", "stats_user_match"),
        *_match_id("UserMatch", "stats_user_match"),
        ops.AddConstraint(
            model_name="UserMatch",
            constraint=UniqueConstraint(fields=("game", "match_id", "user"), name=None),
        ),
    ]
