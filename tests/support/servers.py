"""Real servers for system tests: `transcendence serve` on free ports, driven over sockets."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(
    *, database_url: str, redis_url: str | None, var_dir: Path, extra_modules: list[str]
) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TRANSCENDENCE_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        TRANSCENDENCE_ENV="test",
        DATABASE_URL=database_url,
        TRANSCENDENCE_VAR_DIR=str(var_dir),
        TRANSCENDENCE_SECRET_KEY="system-test-secret-" + "y" * 32,
        TRANSCENDENCE_EXTRA_MODULES=",".join(extra_modules),
        TRANSCENDENCE_MODULE_SYNC_INTERVAL="0.5",
        PYTHONPATH=os.pathsep.join([str(SUPPORT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def reset_postgres(url: str) -> None:
    """An empty schema, so server processes migrate a database of their own from scratch."""
    import asyncio

    import asyncpg

    async def reset() -> None:
        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        try:
            await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        finally:
            await conn.close()

    asyncio.run(reset())


def cluster_environment(tmp_path: Path, pg_url: str | None, redis_url: str | None) -> dict:
    if pg_url:
        reset_postgres(pg_url)
    database_url = pg_url or f"sqlite://{tmp_path / 'cluster.sqlite3'}"
    return server_env(
        database_url=database_url,
        redis_url=redis_url,
        var_dir=tmp_path / "var",
        extra_modules=["transcendence_sample", "transcendence_sample.child"],
    )


def cli(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "transcendence_cli.main", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"transcendence {' '.join(args)} failed:\n{result.stderr}")
    return result


@dataclass
class Node:
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_node(env: dict[str, str], log_dir: Path, *, name: str, timeout: float = 60) -> Node:
    port = free_port()
    log = log_dir / f"{name}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "transcendence_cli.main", "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    node = Node(port, process, log)
    deadline = time.monotonic() + timeout
    # Waiting for a process to bind has no event to await: ask until it answers.
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"node {name} exited early:\n{node.output()}")
        try:
            if httpx.get(f"{node.url}/healthz", timeout=1).status_code == 200:
                return node
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    node.stop()
    raise AssertionError(f"node {name} did not answer within {timeout}s:\n{node.output()}")
