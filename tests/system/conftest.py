from __future__ import annotations

import pytest
from servers import server_env


@pytest.fixture
def cluster_env(tmp_path, pg_url, redis_url):
    """Environment for server processes: the run's PostgreSQL and Redis, or a shared SQLite file."""
    database_url = pg_url or f"sqlite://{tmp_path / 'cluster.sqlite3'}"
    if pg_url:
        import asyncio

        import asyncpg

        async def reset():
            conn = await asyncpg.connect(pg_url.replace("postgres://", "postgresql://", 1))
            try:
                await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
            finally:
                await conn.close()

        asyncio.run(reset())
    return server_env(
        database_url=database_url,
        redis_url=redis_url,
        var_dir=tmp_path / "var",
        extra_modules=["transcendence_sample", "transcendence_sample.child"],
    )
