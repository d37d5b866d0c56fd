"""Tournaments (Tortoise app `tournament`, tables `tournament_*`)."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class Tournament(Model):
    """A local (one keyboard, aliases) or online tournament and where it stands."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=16, default="local")  # local, online
    game = fields.CharField(max_length=32, default="pong")  # the game played (its name)
    format = fields.CharField(max_length=16, default="single")  # single, round_robin
    status = fields.CharField(max_length=16, default="running", db_index=True)
    owner: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="tournaments", null=True, on_delete=fields.SET_NULL
    )
    options: Any = fields.JSONField(default=dict)  # the game's, as its `parse_options` made them
    winner_alias = fields.CharField(max_length=32, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)
    # Online tournaments: open (joining), running, finished, cancelled.
    size = fields.IntField(null=True)  # seats, 3 to 16
    starts_at = fields.DatetimeField(null=True)  # None: starts when full
    started_at = fields.DatetimeField(null=True)
    seeding = fields.CharField(max_length=16, default="random")  # rating, random
    no_show_seconds = fields.IntField(default=60)

    class Meta:
        table = "tournament_tournament"


class Entry(Model):
    """A player in a tournament, known by an alias that lives only in this tournament."""

    id = fields.IntField(primary_key=True)
    tournament: fields.ForeignKeyRelation[Tournament] = fields.ForeignKeyField(
        "tournament.Tournament", related_name="entries", on_delete=fields.CASCADE
    )
    alias = fields.CharField(max_length=32)
    alias_key = fields.CharField(max_length=32)
    user: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="tournament_entries", null=True, on_delete=fields.SET_NULL
    )
    seed = fields.IntField()
    place = fields.IntField(null=True)
    ai_level = fields.CharField(max_length=16, null=True)  # an AI seat: easy, normal, hard
    joined_at = fields.DatetimeField(auto_now_add=True, null=True)

    class Meta:
        table = "tournament_entry"
        unique_together = (("tournament", "alias_key"),)


class Game(Model):
    """One bracket game and the match (of the tournament's game) that decided it."""

    id = fields.IntField(primary_key=True)
    tournament: fields.ForeignKeyRelation[Tournament] = fields.ForeignKeyField(
        "tournament.Tournament", related_name="games", on_delete=fields.CASCADE
    )
    key = fields.CharField(max_length=16)  # the bracket's id, e.g. "r1m2"
    match_id = fields.CharField(max_length=36, null=True, db_index=True)
    winner_seed = fields.IntField(null=True)
    score: Any = fields.JSONField(null=True)
    # local: playing, done. online: ready (players called), playing (all present),
    # noshow (the deadline passed and the forfeit was claimed), done.
    status = fields.CharField(max_length=16, default="playing")
    ready_deadline = fields.DatetimeField(null=True)
    left_joined = fields.BooleanField(default=False)
    right_joined = fields.BooleanField(default=False)
    forfeit = fields.BooleanField(default=False)
    swapped = fields.BooleanField(default=False)  # the bracket's left has the match's seat 1

    class Meta:
        table = "tournament_game"
        unique_together = (("tournament", "key"),)
