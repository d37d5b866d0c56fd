"""Match records (Tortoise app `pong`, tables `pong_*`)."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class Match(Model):
    """A game from its start to its end, with what the stats module needs of it."""

    id = fields.UUIDField(primary_key=True)
    mode = fields.CharField(max_length=16, db_index=True)  # local, remote, ai, tournament
    status = fields.CharField(max_length=16, default="running", db_index=True)
    left_user: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="pong_matches_left", null=True, on_delete=fields.SET_NULL
    )
    right_user: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="pong_matches_right", null=True, on_delete=fields.SET_NULL
    )
    left_name = fields.CharField(max_length=32)
    right_name = fields.CharField(max_length=32)
    options: Any = fields.JSONField(default=dict)
    left_score = fields.IntField(default=0)
    right_score = fields.IntField(default=0)
    winner = fields.CharField(max_length=8, null=True)  # "left" / "right"
    forfeit = fields.BooleanField(default=False)
    record: Any = fields.JSONField(default=dict)  # rallies, hits, ticks
    started_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    ended_at = fields.DatetimeField(null=True)

    class Meta:
        table = "pong_match"
