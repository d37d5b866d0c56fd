"""Realtime benchmark: the platform's `/ws` against a bare ASGI WebSocket app (the floor).

Both run the same way, in the same run: one Hypercorn process with the uvloop worker
(`transcendence serve` for the platform, on its embedded defaults: SQLite, in-process bus;
`bench/ws_floor.py` for the floor). The clients live in this process (`websockets`, no
compression). Measured, for each server, and reported with the platform/floor ratio:

1. idle sockets: N sockets open and authenticated (the floor answers the same `auth`
   frame), server RSS growth per socket;
2. fan-out throughput: R rooms of S sockets; each room keeps W messages in flight, the
   room's sockets taking turns to send; every message reaches the S sockets of its room.
   Deliveries per second, with p50/p99 latency (send to receipt) at that saturation;
3. latency at a fixed rate: the same rooms at a fixed rate of deliveries per second.

    .venv/bin/python bench/realtime_bench.py                 # 500 idle, 50 x 10, 4 s each
    .venv/bin/python bench/realtime_bench.py --redis redis://127.0.0.1:6379/15
    .venv/bin/python bench/realtime_bench.py --redis redis://127.0.0.1:6379/15 --workers 2

Not run by the test suite: timing belongs here, not in assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
SECRET = "bench-secret-" + "z" * 40

MAKE_USERS = """
import asyncio, sys
from transcendence import db
from transcendence.accounts import service
from transcendence.plugins import load_modules
from transcendence.settings import Settings

async def main(count):
    settings = Settings()
    await db.init_db(settings, load_modules(settings.modules, settings.extra_modules))
    try:
        ids = []
        for i in range(count):
            user = await service.create_user(f"bench{i}", f"bench{i}@example.test", None)
            ids.append(user.id)
        print(",".join(map(str, ids)))
    finally:
        await db.close_db()

asyncio.run(main(int(sys.argv[1])))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tree(pid: int) -> list[int]:
    """A process and its descendants: a server started with `--workers N` is N + 1."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (and of its worker processes) so far."""
    total = 0
    for each in tree(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    total = 0
    for each in tree(pid):
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def sockets_per_process(port: int) -> list[int]:
    """Established connections to `port` per server process, largest first (from `ss`):
    how the kernel spread the sockets over the workers."""
    try:
        out = subprocess.run(
            ["ss", "-tnpH", "state", "established", f"( sport = :{port} )"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    counts: dict[str, int] = {}
    for pid in re.findall(r"pid=(\d+)", out):
        counts[pid] = counts.get(pid, 0) + 1
    return sorted(counts.values(), reverse=True)


@dataclass
class Target:
    name: str
    url: str
    pid: int
    process: subprocess.Popen
    tokens: list[str] = field(default_factory=list)
    workers: int = 1  # processes serving it (`--workers`), besides the parent

    @property
    def platform(self) -> bool:
        return bool(self.tokens)

    def token(self, i: int) -> str:
        return self.tokens[i] if self.tokens else "floor"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def wait_http(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early ({process.returncode})")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def start_floor(workdir: Path) -> Target:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(BENCH))
    log = (workdir / "floor.log").open("w")
    process = subprocess.Popen(
        [sys.executable, str(BENCH / "ws_floor.py"), "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    wait_http(f"http://127.0.0.1:{port}/", process)
    return Target("floor", f"ws://127.0.0.1:{port}/ws", process.pid, process)


def platform_env(
    var: Path, *, database_url: str | None = None, redis_url: str | None = None, **extra: str
) -> dict[str, str]:
    """The environment of a `transcendence` process of the benchmarks: this one's, minus
    its own settings, with `var` for its files and SQLite unless a database URL is given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRANSCENDENCE_", "REDIS"))}
    env.update(
        TRANSCENDENCE_ENV="test",
        DATABASE_URL=database_url or f"sqlite://{var / 'bench.sqlite3'}",
        TRANSCENDENCE_VAR_DIR=str(var),
        TRANSCENDENCE_SECRET_KEY=SECRET,
        **extra,
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def start_platform(
    workdir: Path,
    users: int,
    redis_url: str | None,
    name: str,
    workers: int = 1,
    settings: dict[str, str] | None = None,
) -> Target:
    from transcendence.accounts import tokens

    var = workdir / name
    var.mkdir()
    env = platform_env(
        var,
        redis_url=redis_url,
        TRANSCENDENCE_EXTRA_MODULES="transcendence_bench",
        PYTHONPATH=os.pathsep.join([str(BENCH), os.environ.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        ),
    )
    env.update(settings or {})  # e.g. TRANSCENDENCE_PONG_MAX_GAMES (bench/pong_bench.py)
    cli = [sys.executable, "-m", "transcendence_cli.main"]
    subprocess.run([*cli, "db", "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
    made = subprocess.run(
        [sys.executable, "-c", MAKE_USERS, str(users)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    ids = [int(x) for x in made.stdout.strip().splitlines()[-1].split(",")]
    port = free_port()
    log = (workdir / f"{name}.log").open("w")
    process = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    wait_http(f"http://127.0.0.1:{port}/healthz", process)
    target = Target(name, f"ws://127.0.0.1:{port}/ws", process.pid, process, workers=workers)
    target.tokens = [tokens.issue_access(SECRET, uid, 0, f"bench-{uid}", ttl=3600) for uid in ids]
    return target


# --- clients -------------------------------------------------------------------------------


async def open_socket(target: Target, i: int) -> ClientConnection:
    ws = await connect(
        target.url, compression=None, ping_interval=None, open_timeout=60, max_queue=None
    )
    await ws.send(json.dumps({"type": "auth", "id": "a", "data": {"token": target.token(i)}}))
    reply = json.loads(await ws.recv())
    if reply.get("re") != "a" or reply.get("type") == "error":
        raise RuntimeError(f"auth failed: {reply}")
    return ws


async def open_many(target: Target, count: int, batch: int = 50) -> list[ClientConnection]:
    sockets: list[ClientConnection] = []
    for start in range(0, count, batch):
        chunk = range(start, min(count, start + batch))
        sockets += await asyncio.gather(*(open_socket(target, i) for i in chunk))
    return sockets


async def close_all(sockets: list[ClientConnection]) -> None:
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


async def idle(target: Target, count: int) -> dict[str, float]:
    warm = await open_many(target, 20)  # first-use allocations are not per-socket costs
    await close_all(warm)
    await asyncio.sleep(1.0)
    before = rss_kib(target.pid)
    sockets = await open_many(target, count)
    await asyncio.sleep(2.0)  # let the server settle (auth replies, presence, buffers)
    after = rss_kib(target.pid)
    await close_all(sockets)
    return {"sockets": count, "rss_kib": after, "kib_per_socket": (after - before) / count}


class Rooms:
    """R rooms of S sockets; collects deliveries and their latency."""

    def __init__(self, sockets: list[ClientConnection], rooms: int, per_room: int) -> None:
        self.sockets = sockets
        self.rooms = rooms
        self.per_room = per_room
        self.turn = [0] * rooms
        self.latencies: list[int] = []
        self.delivered = 0
        self.recording = False
        self.closed_loop = False
        self.seq = 0
        self.readers: list[asyncio.Task[None]] = []

    def member(self, room: int, k: int) -> int:
        return room * self.per_room + k

    async def join(self) -> None:
        async def join_one(i: int) -> None:
            ws = self.sockets[i]
            await ws.send(
                json.dumps({"type": "bench.join", "id": "j", "data": {"room": i // self.per_room}})
            )
            while json.loads(await ws.recv()).get("re") != "j":
                pass

        await asyncio.gather(*(join_one(i) for i in range(len(self.sockets))))
        self.readers = [asyncio.create_task(self.read(i)) for i in range(len(self.sockets))]

    async def say(self, room: int) -> None:
        k = self.turn[room]
        self.turn[room] = (k + 1) % self.per_room
        sender = self.member(room, k)
        self.seq += 1
        frame = {
            "type": "bench.say",
            "data": {"room": room, "t": time.perf_counter_ns(), "sender": sender, "seq": self.seq},
        }
        await self.sockets[sender].send(json.dumps(frame))

    async def read(self, i: int) -> None:
        ws = self.sockets[i]
        try:
            async for raw in ws:
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind in ("bench.said", "bench.say"):
                    data = frame["data"]
                    if self.recording:
                        self.latencies.append(time.perf_counter_ns() - data["t"])
                        self.delivered += 1
                    if self.closed_loop and data["sender"] == i:
                        await self.say(data["room"])
                elif kind == "ping":
                    await ws.send('{"type":"pong"}')
        except Exception:  # the socket closed at the end of the run
            return

    def summary(self, seconds: float) -> dict[str, float]:
        lat = sorted(self.latencies)
        q = statistics.quantiles(lat, n=100) if len(lat) >= 100 else [float("nan")] * 99
        return {
            "deliveries_per_s": self.delivered / seconds,
            "p50_ms": q[49] / 1e6,
            "p99_ms": q[98] / 1e6,
            "samples": len(lat),
        }

    async def saturate(self, seconds: float, window: int, pid: int) -> dict[str, float]:
        """W messages in flight per room; each sender's own copy triggers the room's next."""
        self.latencies, self.delivered = [], 0
        self.closed_loop = True
        for room in range(self.rooms):
            for _ in range(window):
                await self.say(room)
        await asyncio.sleep(0.5)  # warm-up
        server_cpu, client_cpu = cpu_seconds(pid), time.process_time()
        self.recording = True
        await asyncio.sleep(seconds)
        self.recording = False
        server_cpu, client_cpu = cpu_seconds(pid) - server_cpu, time.process_time() - client_cpu
        self.closed_loop = False
        await asyncio.sleep(0.5)  # drain what is in flight
        result = self.summary(seconds)
        # When the clients saturate their core first, deliveries per server CPU-second
        # still compares the servers' efficiency.
        result["server_cpu_share"] = server_cpu / seconds
        result["client_cpu_share"] = client_cpu / seconds
        result["deliveries_per_server_cpu_s"] = self.delivered / server_cpu if server_cpu else 0
        return result

    async def fixed(self, seconds: float, rate: float) -> dict[str, float]:
        """`rate` deliveries a second, the rooms taking turns."""
        self.latencies, self.delivered = [], 0
        interval = self.per_room / rate
        self.recording = True
        started = next_at = time.perf_counter()
        sent = 0
        while time.perf_counter() - started < seconds:
            await self.say(sent % self.rooms)
            sent += 1
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        await asyncio.sleep(0.5)  # the last ones arrive
        self.recording = False
        return self.summary(seconds)


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


# --- report --------------------------------------------------------------------------------


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


async def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="rtbench-"))
    users = max(args.idle, args.rooms * args.per_room)
    targets = [start_floor(workdir)]
    try:
        targets.append(start_platform(workdir, users, None, "platform"))
        if args.redis:
            targets.append(start_platform(workdir, users, args.redis, "platform+redis"))
            if args.workers > 1:
                name = f"platform+redis x{args.workers}"
                targets.append(start_platform(workdir, users, args.redis, name, args.workers))
        report: dict[str, Any] = {
            "args": {k: str(v) for k, v in vars(args).items()},
            "cpus": os.cpu_count(),
            "load_before": os.getloadavg(),
        }
        entries: dict[str, dict[str, Any]] = {t.name: {} for t in targets}
        for target in targets:
            entries[target.name]["idle"] = await idle(target, args.idle)
            print(f"{target.name} idle: {entries[target.name]['idle']}", flush=True)
        rooms = {}
        for target in targets:
            sockets = await open_many(target, args.rooms * args.per_room)
            rooms[target.name] = Rooms(sockets, args.rooms, args.per_room)
            await rooms[target.name].join()
            spread = sockets_per_process(int(target.url.rsplit(":", 1)[1].split("/")[0]))
            entries[target.name]["sockets_per_process"] = spread
            print(f"{target.name} sockets per server process: {spread}", flush=True)
        # Rounds alternate between servers (in a rotating order), so that load from
        # elsewhere on the machine hits both alike; medians are reported.
        saturated: dict[str, list[dict[str, float]]] = {t.name: [] for t in targets}
        fixed: dict[str, list[dict[str, float]]] = {t.name: [] for t in targets}
        for round_ in range(args.rounds):
            order = targets[round_ % len(targets) :] + targets[: round_ % len(targets)]
            for target in order:
                result = await rooms[target.name].saturate(args.seconds, args.window, target.pid)
                saturated[target.name].append(result)
                print(f"{target.name} round {round_} saturated: {result}", flush=True)
            for target in order:
                result = await rooms[target.name].fixed(args.seconds, args.rate)
                fixed[target.name].append(result)
                print(f"{target.name} round {round_} fixed rate: {result}", flush=True)
        floor = targets[0].name
        for target in targets:
            entry = entries[target.name]
            # Ratios of measurements taken back to back (same round) see the same load.
            entry["paired"] = {
                key: statistics.median(
                    run[key] / base[key] if base[key] else float("nan")
                    for run, base in zip(saturated[target.name], saturated[floor], strict=True)
                )
                for key in ("deliveries_per_s", "deliveries_per_server_cpu_s")
            }
            entry["throughput"] = median_of(saturated[target.name])
            entry["fixed_rate"] = median_of(fixed[target.name])
            entry["fixed_rate"]["target_per_s"] = args.rate
            entry["rss_kib_end"] = rss_kib(target.pid)
        for room_set in rooms.values():
            for task in room_set.readers:
                task.cancel()
            await close_all(room_set.sockets)
        report["targets"] = entries
        if "platform+redis" in saturated:  # the Redis bus against the in-process one, paired
            report["redis_vs_memory"] = {
                key: statistics.median(
                    run[key] / base[key] if base[key] else float("nan")
                    for run, base in zip(
                        saturated["platform+redis"], saturated["platform"], strict=True
                    )
                )
                for key in ("deliveries_per_s", "deliveries_per_server_cpu_s")
            }
        report["load_after"] = os.getloadavg()
        return report
    finally:
        for target in targets:
            target.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def print_table(report: dict[str, Any]) -> None:
    floor = report["targets"]["floor"]
    print()
    print(
        f"{report['cpus']} CPUs; load average before {report['load_before'][0]:.2f}, "
        f"after {report['load_after'][0]:.2f}"
    )
    print("| figure | floor | " + " | ".join(n for n in report["targets"] if n != "floor") + " |")
    print("| --- | --- | " + " | ".join("---" for n in report["targets"] if n != "floor") + " |")
    rows = [
        ("idle KiB per socket", ("idle", "kib_per_socket"), "{:.1f}"),
        ("fan-out deliveries/s", ("throughput", "deliveries_per_s"), "{:,.0f}"),
        ("server CPU share while saturated", ("throughput", "server_cpu_share"), "{:.2f}"),
        ("deliveries per server CPU-s", ("throughput", "deliveries_per_server_cpu_s"), "{:,.0f}"),
        ("fan-out p50 ms (saturated)", ("throughput", "p50_ms"), "{:.2f}"),
        ("fan-out p99 ms (saturated)", ("throughput", "p99_ms"), "{:.2f}"),
        ("p50 ms at fixed rate", ("fixed_rate", "p50_ms"), "{:.2f}"),
        ("p99 ms at fixed rate", ("fixed_rate", "p99_ms"), "{:.2f}"),
    ]
    for label, (section, key), fmt in rows:
        base = floor[section][key]
        cells = [fmt.format(base)]
        for name, entry in report["targets"].items():
            if name == "floor":
                continue
            value = entry[section][key]
            paired = entry["paired"].get(key) if section == "throughput" else None
            extra = f"; paired {paired:.2f}x" if paired is not None else ""
            cells.append(f"{fmt.format(value)} ({ratio(value, base)}{extra})")
        print(f"| {label} | " + " | ".join(cells) + " |")
    if "redis_vs_memory" in report:
        paired = report["redis_vs_memory"]
        print(
            "platform+redis / platform, paired medians: "
            f"deliveries/s {paired['deliveries_per_s']:.2f}x, "
            f"per server CPU-s {paired['deliveries_per_server_cpu_s']:.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--idle", type=int, default=500, help="idle sockets")
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--per-room", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=3.0, help="per fan-out phase")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per phase")
    parser.add_argument("--window", type=int, default=2, help="messages in flight per room")
    parser.add_argument("--rate", type=float, default=500.0, help="fixed deliveries/s")
    parser.add_argument("--redis", help="also run the platform on this Redis (a spare db)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="with --redis and N > 1, also the platform on Redis served with --workers N",
    )
    parser.add_argument("--json", type=Path, help="write the full report here")
    args = parser.parse_args()
    try:
        import uvloop

        report = uvloop.run(run(args))
    except ImportError:
        report = asyncio.run(run(args))
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
