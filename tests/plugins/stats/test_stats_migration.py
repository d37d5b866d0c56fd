"""The migration to (game, match_id) keys keeps every row written before it, as pong's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from tortoise import connections
from tortoise.context import TortoiseContext
from tortoise.exceptions import IntegrityError
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

from transcendence import db
from transcendence.plugins import load_modules

pytestmark = pytest.mark.modules("pong", "stats")


async def migrate_to_the_stats_before_game_keys(executor: MigrationExecutor) -> None:
    """Every migration of the core and pong (their models are used as they are now), the
    stats' up to 0002."""
    await executor.loader.build_graph()
    nodes = executor.loader.graph.nodes
    latest = [max(k.name for k in nodes if k.app_label == app) for app in ("core", "pong")]
    await executor.migrate(
        [
            MigrationTarget("core", latest[0]),
            MigrationTarget("pong", latest[1]),
            MigrationTarget("stats", "0002_user_match_counted"),
        ]
    )


async def test_rows_written_before_the_game_keys_are_kept_as_pong_ones(
    settings, fresh_database_url
):
    from transcendence.accounts import service
    from transcendence_pong.models import Match
    from transcendence_stats.models import Opponent, PlayerStats, RatingPoint, UserMatch

    settings = settings.model_copy(update={"database_url": fresh_database_url})
    config = db.tortoise_config(settings, load_modules(settings.modules, settings.extra_modules))
    ended = datetime(2026, 1, 2, 10, 30, tzinfo=UTC)
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        connection = connections.get("default")
        await migrate_to_the_stats_before_game_keys(MigrationExecutor(connection, config["apps"]))
        alice = await service.create_user("alice", "alice@example.test", None)
        bob = await service.create_user("bob", "bob@example.test", None)
        match_id = uuid.uuid4()
        await Match.create(
            id=match_id,
            mode="remote",
            status="finished",
            left_user_id=alice.id,
            right_user_id=bob.id,
            left_name="alice",
            right_name="bob",
            left_score=5,
            right_score=3,
            winner="left",
            started_at=ended,
            ended_at=ended,
        )
        # The rows as the stats module wrote them before: a foreign key to pong's match.
        mark = "?" if connection.capabilities.dialect == "sqlite" else "$"
        when = PlayerStats._meta.fields_map["last_played_at"].to_db_value(ended, PlayerStats)

        def values(count: int) -> str:
            if mark == "?":
                return ", ".join("?" * count)
            return ", ".join(f"${i}" for i in range(1, count + 1))

        rows = [
            (
                "stats_user (user_id, games, wins, losses, points_for, points_against, "
                "current_streak, best_streak, worst_streak, rallies, rally_hits, rally_ticks, "
                "longest_rally, play_ticks, by_mode, rating, best_rating, last_played_at)",
                [alice.id, 1, 1, 0, 5, 3, 1, 1, 0, 8, 24, 1440, 3, 1920, "{}", 1016, 1016, when],
            ),
            (
                "stats_user_match (user_id, match_id, mode, side, opponent_user_id, "
                "opponent_name, points_for, points_against, won, forfeit, counted, ended_at)",
                [
                    alice.id,
                    match_id,
                    "remote",
                    "left",
                    bob.id,
                    "bob",
                    5,
                    3,
                    True,
                    False,
                    True,
                    when,
                ],
            ),
            (
                "stats_opponent (user_id, key, opponent_user_id, name, games, wins, "
                "last_played_at)",
                [alice.id, f"u:{bob.id}", bob.id, "bob", 1, 1, when],
            ),
            (
                "stats_rating_point (user_id, match_id, rating, at)",
                [alice.id, match_id, 1016, when],
            ),
        ]
        for table, row in rows:
            await connection.execute_query(
                f"INSERT INTO {table} VALUES ({values(len(row))})",
                [str(v) if isinstance(v, uuid.UUID) and mark == "?" else v for v in row],
            )

        await db.migrate(config)

        assert await db.pending_migrations(config) == []
        marker = await UserMatch.get(user_id=alice.id)
        assert (marker.game, marker.match_id) == ("pong", str(match_id))
        assert (marker.points_for, marker.won, marker.ended_at) == (5, True, ended)
        point = await RatingPoint.get(user_id=alice.id)
        assert (point.game, point.match_id, point.rating) == ("pong", str(match_id), 1016)
        totals = await PlayerStats.get(user_id=alice.id)
        assert (totals.game, totals.games, totals.wins, totals.rating) == ("pong", 1, 1, 1016)
        opponent = await Opponent.get(user_id=alice.id)
        assert (opponent.game, opponent.key, opponent.games) == ("pong", f"u:{bob.id}", 1)
        # The new keys hold: a second game's totals beside pong's, the same match once.
        await PlayerStats.create(user_id=alice.id, game="nim")
        assert await PlayerStats.filter(user_id=alice.id).count() == 2
        with pytest.raises(IntegrityError):
            await UserMatch.create(
                user_id=alice.id,
                game="pong",
                match_id=str(match_id),
                mode="remote",
                side="left",
                opponent_name="bob",
                points_for=5,
                points_against=3,
                won=True,
                ended_at=ended,
            )
