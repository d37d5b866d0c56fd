"""`transcendence serve` that cannot start: it exits, non-zero, saying why (never hangs)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from servers import ROOT, cluster_environment, free_port

pytestmark = pytest.mark.system


def test_a_bad_module_setting_stops_serve_with_its_message(tmp_path):
    env = cluster_environment(tmp_path, None, None)
    env["TRANSCENDENCE_PONG_LEASE_TTL"] = "ten"
    result = subprocess.run(
        [sys.executable, "-m", "transcendence_cli.main", "serve", "--port", str(free_port())],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=90,  # it used to hang here: the database's thread outlived the failed start
    )
    assert result.returncode == 1, result.stdout + result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "TRANSCENDENCE_PONG_LEASE_TTL" in last, last
