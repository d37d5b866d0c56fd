"""One node on the embedded defaults (SQLite, no Redis) killed with SIGKILL mid-game: nothing
could carry its game on, and its next start records the game "interrupted" instead of
leaving it "running" for ever (docs/pong.md, "A node killed with its games").

The scenario is the newcomer's single process, so it runs on SQLite in both CI passes.
"""

from __future__ import annotations

import httpx
import pytest

from servers import cluster_environment, start_node

pytestmark = pytest.mark.system
PASSWORD = "correct horse battery"


def test_a_game_its_killed_node_left_running_is_recorded_interrupted_at_the_next_start(
    tmp_path,
):
    env = cluster_environment(tmp_path, None, None)
    env["TRANSCENDENCE_MODULES"] = "pong"
    first = start_node(env, tmp_path, name="first", timeout=120)
    body = {"username": "alice", "email": "alice@example.test", "password": PASSWORD}
    try:
        with httpx.Client(base_url=first.url, timeout=30) as http:
            assert http.post("/api/auth/signup", json=body).status_code == 201
            access = http.post("/api/auth/login", json=body).json()["access"]
            auth = {"Authorization": f"Bearer {access}"}
            created = http.post("/api/pong/games", json={"mode": "local"}, headers=auth)
            assert created.status_code == 201, created.text
            game_id = created.json()["game_id"]
            live = http.get("/api/pong/games", headers=auth).json()["items"]
            assert game_id in [g["id"] for g in live]
    finally:
        first.process.kill()  # SIGKILL: no shutdown hook records anything
        first.process.wait()

    second = start_node(env, tmp_path, name="second", timeout=120)
    try:
        with httpx.Client(base_url=second.url, timeout=30, headers=auth) as http:
            game = http.get(f"/api/pong/games/{game_id}").json()
            assert (game["status"], game["winner"]) == ("interrupted", None), game
            live = http.get("/api/pong/games").json()["items"]
            assert game_id not in [g["id"] for g in live]
        assert f"game {game_id}: its node was killed; recorded interrupted" in second.output()
    finally:
        second.stop()
