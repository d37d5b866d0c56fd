"""Real servers for system tests: `transcendence serve` on free ports, driven over sockets."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
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
        # A browser or system run signs up many players from 127.0.0.1.
        TRANSCENDENCE_SIGNUPS_PER_HOUR="1000",
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


# --- private backing services, for fault tests (never stop the machine's shared ones) -----


@contextlib.contextmanager
def running_nodes(env: dict[str, str], log_dir: Path, names=("a", "b")) -> Iterator[list[Node]]:
    """Nodes started one after the other on the same environment, all stopped on the way
    out (those that started, when a later one fails to)."""
    started: list[Node] = []
    try:
        for name in names:
            started.append(start_node(env, log_dir, name=name))
        yield started
    finally:
        for node in started:
            node.stop()


def wait_for(check, *, timeout: float, what: str, interval: float = 0.1):
    """Poll `check()` until it returns something truthy (returned), or fail after `timeout`.

    For states outside the test's process (a server binding, a dependency coming back),
    which have no event to await.
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            result = check()
            if result:
                return result
            last = result
        except Exception as exc:  # the state may answer with errors until it settles
            last = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s (last: {last!r})")
        time.sleep(interval)


class PrivateRedis:
    """A redis-server of the test's own on a free port: killed and restarted at will."""

    def __init__(self, log_dir: Path) -> None:
        import shutil

        binary = shutil.which("redis-server")
        if binary is None:
            raise AssertionError("redis-server is not installed (apt-get install redis-server)")
        self.binary = binary
        self.port = free_port()
        self.log = log_dir / f"redis-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 20) -> None:
        import redis

        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                [
                    *(self.binary, "--port", str(self.port), "--bind", "127.0.0.1"),
                    *("--save", "", "--appendonly", "no", "--daemonize", "no"),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        try:
            wait_for(client.ping, timeout=timeout, what=f"redis on port {self.port}")
        finally:
            client.close()

    def kill(self) -> None:
        """Gone at once, as in a crash: no shutdown, no goodbye to its clients."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own (initdb in a temporary directory, trust auth,
    127.0.0.1 on a free port), stopped and started with pg_ctl.

    PostgreSQL refuses to run as root: as root, every command runs as the `postgres` OS
    user (runuser), in a directory that user owns.
    """

    def __init__(self) -> None:
        import glob
        import tempfile

        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            raise AssertionError("PostgreSQL server binaries are not installed")
        self.bin = Path(found[-1]).parent
        self.as_root = os.geteuid() == 0
        self.dir = Path(tempfile.mkdtemp(prefix="transcendence-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.port = free_port()
        if self.as_root:
            import pwd

            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 120) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise AssertionError(f"{' '.join(args)} failed:\n{result.stderr}\n{log}")

    def init(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.dir}"
            " -c fsync=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        """A fast shutdown: open sessions are terminated, as when the server goes away."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        import contextlib
        import shutil

        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(AssertionError):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)
