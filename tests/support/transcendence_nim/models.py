"""Nim's tables (Tortoise app `nim`): its matches and its invitations."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class NimMatch(Model):
    """A match from its start to its end. Seat 0 moves first, and taken0 and taken1 are
    the stones each seat took (its score)."""

    id = fields.UUIDField(primary_key=True)
    mode = fields.CharField(max_length=16)  # local, remote, ai, tournament
    status = fields.CharField(max_length=16, default="running", db_index=True)
    seat0_user: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="nim_matches_seat0", null=True, on_delete=fields.SET_NULL
    )
    seat1_user: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="nim_matches_seat1", null=True, on_delete=fields.SET_NULL
    )
    seat0_name = fields.CharField(max_length=32)
    seat1_name = fields.CharField(max_length=32)
    seat1_ai = fields.CharField(max_length=8, null=True)  # an AI's level (AI seats come last)
    seat0_ai = fields.CharField(max_length=8, null=True)  # headless matches only
    options: Any = fields.JSONField(default=dict)
    keyboard = fields.BooleanField(default=False)
    waiting: Any = fields.JSONField(default=list)  # seats not joined yet (held matches)
    stones_left = fields.IntField()
    turn = fields.IntField(default=0)  # the seat to move
    taken0 = fields.IntField(default=0)
    taken1 = fields.IntField(default=0)
    winner = fields.IntField(null=True)  # a seat
    forfeit = fields.BooleanField(default=False)
    started_at = fields.DatetimeField(auto_now_add=True)
    ended_at = fields.DatetimeField(null=True, db_index=True)

    class Meta:
        table = "nim_match"


class NimInvite(Model):
    """A challenge to a remote match, pending until the recipient answers."""

    id = fields.IntField(primary_key=True)
    sender: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="nim_invites_sent", on_delete=fields.CASCADE
    )
    recipient: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="nim_invites_received", on_delete=fields.CASCADE
    )
    options: Any = fields.JSONField(default=dict)
    status = fields.CharField(max_length=16, default="pending")  # accepted, declined
    match_id = fields.CharField(max_length=36, null=True)

    class Meta:
        table = "nim_invite"
