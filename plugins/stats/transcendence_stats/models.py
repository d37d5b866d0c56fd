"""Aggregates kept from finished matches of every game (Tortoise app `stats`, tables `stats_*`).

Dashboards read these rows and never a game's own tables: `PlayerStats` is one row per
(player, game), `UserMatch` one row per (match, player) — the marker that makes the update
idempotent and the index behind the history, "recent matches" and period leaderboards —
`Opponent` one row per (player, game, opponent) and `RatingPoint` one row per rated match of
a player. A match is named by its game and the game's id for it (`game`, `match_id`): the
game's own records are read only through the game API (`transcendence.games`).
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

GAME_LENGTH = 32  # a game's name (its module's)
MATCH_ID_LENGTH = 64  # a game's id for a match (pong: a UUID)


class PlayerStats(Model):
    """A player's totals over every counted match of one game, updated as each match finishes."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="stats", on_delete=fields.CASCADE
    )
    game = fields.CharField(max_length=GAME_LENGTH)
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
    play_ticks = fields.BigIntField(default=0)  # time played, in 1/60 s
    # {"remote": {"games", "wins", "losses", "points_for", "points_against"}, ...}
    by_mode: Any = fields.JSONField(default=dict)
    rating = fields.IntField(null=True, db_index=True)  # after the last rated match
    best_rating = fields.IntField(null=True)
    last_played_at = fields.DatetimeField(null=True)

    class Meta:
        table = "stats_user"
        unique_together = (("user", "game"),)


class UserMatch(Model):
    """One counted match as one player saw it (unique per match and player)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="stats_matches", on_delete=fields.CASCADE
    )
    game = fields.CharField(max_length=GAME_LENGTH)
    match_id = fields.CharField(max_length=MATCH_ID_LENGTH)
    mode = fields.CharField(max_length=16)
    side = fields.CharField(max_length=8)  # the player's seat: left (the first), right
    opponent_user: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="stats_matches_against", null=True, on_delete=fields.SET_NULL
    )
    opponent_name = fields.CharField(max_length=32)
    points_for = fields.IntField()
    points_against = fields.IntField()
    won = fields.BooleanField()
    forfeit = fields.BooleanField(default=False)
    # False: in the player's history only (a one-keyboard game, or one abandoned before any
    # point): no win nor loss, on no leaderboard (`transcendence.games.records`).
    counted = fields.BooleanField(default=True)
    ended_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "stats_user_match"
        unique_together = (("game", "match_id", "user"),)
        indexes = (("user_id", "ended_at"),)


class Opponent(Model):
    """A player's record against one opponent (an account, or a name such as an AI)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="stats_opponents", on_delete=fields.CASCADE
    )
    game = fields.CharField(max_length=GAME_LENGTH)
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
        unique_together = (("user", "game", "key"),)
        indexes = (("user_id", "game", "games"),)


class RatingPoint(Model):
    """A player's rating in a game right after one rated match of it (pong: remote games)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "core.User", related_name="stats_rating_points", on_delete=fields.CASCADE
    )
    game = fields.CharField(max_length=GAME_LENGTH)
    match_id = fields.CharField(max_length=MATCH_ID_LENGTH)
    rating = fields.IntField()
    at = fields.DatetimeField()

    class Meta:
        table = "stats_rating_point"
        indexes = (("user_id", "game", "at"),)
