from __future__ import annotations

import pytest

from servers import cluster_environment


@pytest.fixture
def cluster_env(tmp_path, pg_url, redis_url):
    """Environment for server processes: the run's PostgreSQL and Redis, or a shared SQLite file."""
    return cluster_environment(tmp_path, pg_url, redis_url)
