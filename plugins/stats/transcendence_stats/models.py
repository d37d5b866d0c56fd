"""Aggregates kept from finished matches (Tortoise app `stats`, tables `stats_*`).

Dashboards read these rows and never scan `pong_match`: `PlayerStats` is one row per
player, `UserMatch` one row per (match, player) — the marker that makes the update
idempotent and the index behind "recent matches" and period leaderboards — `Opponent` one
row per (player, opponent) and `RatingPoint` one row per remote game of a player.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class PlayerStats(Model):
    """A player's totals over every counted match, updated as each match finishes."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[Any] = fields.OneToOneField(
        "core.User", related_name="stats", on_delete=fields.CASCADE
    )
    games = fields.IntField(default=0)
    wins = fields.IntField(default=0, db_index=True)
    losses = fields.IntField(default=0)
    points_for = fields.IntField(default=0)
    points_against = fields.IntField(default=0)
    # Positive: that many wins in a row up to the last game, negative: losses in a row.
    current_streak = fields.IntField(default=0)
    best_streak = fields.IntField(default=0)  # longest run of wins
    worst_streak = fields.IntField(default=0)  # longest run of losses
    rallies = fields.IntField(default=0)
    rally_hits = fields.BigIntField(default=0)
    rally_ticks = fields.BigIntField(default=0)
    longest_rally = fields.IntField(default=0)  # in paddle hits
    play_ticks = fields.BigIntField(default=0)  # game time at 60 ticks per second
    # {"remote": {"games", "wins", "losses", "points_for", "points_against"}, ...}
    by_mode: Any = fields.JSONField(default=dict)
    rating = fields.IntField(null=True, db_index=True)  # after the last remote game
    best_rating = fields.IntField(null=True)
    last_played_at = fields.DatetimeField(null=True)

    class Meta:
        table = "stats_user"


class UserMatch(Model):
    """One counted match as one player saw it (unique per match and player)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="stats_matches", on_delete=fields.CASCADE
    )
    match: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "pong.Match", related_name="stats_entries", on_delete=fields.CASCADE
    )
    mode = fields.CharField(max_length=16)
    side = fields.CharField(max_length=8)  # left, right
    opponent_user: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="stats_matches_against", null=True, on_delete=fields.SET_NULL
    )
    opponent_name = fields.CharField(max_length=32)
    points_for = fields.IntField()
    points_against = fields.IntField()
    won = fields.BooleanField()
    forfeit = fields.BooleanField(default=False)
    # False: in the player's history only (a one-keyboard game, or one abandoned before any
    # point): no win nor loss, on no leaderboard (pong's records.py).
    counted = fields.BooleanField(default=True)
    ended_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "stats_user_match"
        unique_together = (("match", "user"),)
        indexes = (("user_id", "ended_at"),)


class Opponent(Model):
    """A player's record against one opponent (an account, or a name such as an AI)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="stats_opponents", on_delete=fields.CASCADE
    )
    # "u:<user id>" for an account, "n:<casefolded name>" for anyone else.
    key = fields.CharField(max_length=48)
    opponent_user: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="stats_opponent_of", null=True, on_delete=fields.SET_NULL
    )
    name = fields.CharField(max_length=32)
    games = fields.IntField(default=0)
    wins = fields.IntField(default=0)
    last_played_at = fields.DatetimeField(null=True)

    class Meta:
        table = "stats_opponent"
        unique_together = (("user", "key"),)
        indexes = (("user_id", "games"),)


class RatingPoint(Model):
    """A player's remote rating right after one remote game."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="stats_rating_points", on_delete=fields.CASCADE
    )
    match: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "pong.Match", related_name="stats_rating_points", on_delete=fields.CASCADE
    )
    rating = fields.IntField()
    at = fields.DatetimeField()

    class Meta:
        table = "stats_rating_point"
        indexes = (("user_id", "at"),)
