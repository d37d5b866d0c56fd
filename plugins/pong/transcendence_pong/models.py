"""Match records (Tortoise app `pong`, tables `pong_*`)."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.expressions import Q
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


class Rating(Model):
    """A player's remote-play rating (Elo), used by matchmaking."""

    user: fields.OneToOneRelation[Any] = fields.OneToOneField(
        "core.User", related_name="pong_rating", on_delete=fields.CASCADE
    )
    id = fields.IntField(primary_key=True)
    rating = fields.IntField(default=1000)
    games = fields.IntField(default=0)

    class Meta:
        table = "pong_rating"


class QueueEntry(Model):
    """A player waiting for a remote opponent (shared by every node through the database)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="pong_queue", on_delete=fields.CASCADE, unique=True
    )
    rating = fields.IntField()
    options: Any = fields.JSONField(default=dict)  # normalised (every field, engine types)
    # The options' canonical key (`matchmaking.options_key`): only equal keys are paired.
    options_key = fields.CharField(max_length=32, default="", db_index=True)
    joined_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "pong_queue_entry"


class Invite(Model):
    """A direct challenge from one player to another, pending until answered."""

    id = fields.IntField(primary_key=True)
    sender: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="pong_invites_sent", on_delete=fields.CASCADE
    )
    recipient: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="pong_invites_received", on_delete=fields.CASCADE
    )
    options: Any = fields.JSONField(default=dict)
    status = fields.CharField(max_length=16, default="pending")  # accepted, declined
    game_id = fields.CharField(max_length=36, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "pong_invite"


def played_by(user_id: int) -> Any:
    """A user's finished matches, as their history shows them. A keyboard tournament's
    matches are no one's: one account drives both paddles under aliases (its organiser
    holds a seat), so they are left out, as the stats module leaves them out."""
    keyboard = Q(mode="tournament") & (Q(left_user_id__isnull=True) | Q(right_user_id__isnull=True))
    mine = Q(left_user_id=user_id) | Q(right_user_id=user_id)
    return Match.filter(mine, status="finished").exclude(keyboard)
