"""Chat benchmark: fan-out of `chat.send` in many group chats, against two bare floors.

Four servers, each one Hypercorn process with the uvloop worker, measured in the same run
(rounds alternate between them, so load from elsewhere on the machine hits all alike):

- `floor`: `bench/ws_floor.py`, a bare ASGI WebSocket app re-sending each frame to its room;
- `store`: `bench/store_floor.py`, the same app storing each frame first (one INSERT and its
  COMMIT: aiosqlite with WAL and synchronous=FULL, or asyncpg with --postgres), the least
  a chat that acknowledges only what it stored can do; the goal is chat >= 0.5x this;
- `hub`: the platform with `realtime_bench.py`'s "bench" module (`to_topic`, no database):
  what the hub alone costs;
- `chat`: the platform's chat module: R groups of S members (created over REST), one socket
  per member; each `chat.send` is validated, checked (membership, rate, blocks), stored
  (message, activity, unread counters in one transaction on SQLite) and pushed as
  `chat.message` to every member's socket (the sender's too, like the floor's echo).

Measured for each: deliveries per second with W messages in flight per room (closed loop:
a sender's own copy triggers the room's next message), p50/p99 latency from send to
receipt at that saturation, and p50/p99 at a fixed rate. Ratios are to both floors (the
"paired" ratio is the median of per-round ratios).

    .venv/bin/python bench/chat_bench.py                      # 50 x 10, 2 rounds of 2 s
    .venv/bin/python bench/chat_bench.py --postgres postgres://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/chat_bench.py --rooms 20 --per-room 5 --seconds 1 --no-hub
    .venv/bin/python bench/chat_bench.py --no-hub --profile /tmp/chatprof   # + py-spy of chat
    .venv/bin/python bench/chat_bench.py --no-hub --redis redis://127.0.0.1:6379/15  # + chat+redis
    .venv/bin/python bench/chat_bench.py --no-hub --redis redis://127.0.0.1:6379/15 \
        --postgres postgres://postgres@127.0.0.1:5432/postgres --workers 2  # + chat+redis x2

Not run by the test suite: timing belongs here, not in assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import pong_bench  # noqa: E402 - its py-spy summary
import realtime_bench as rt  # noqa: E402 - the realtime bench's floor, clients and report

RATE_LIMIT = "1000000/1"  # the per-user message limit would otherwise cap the closed loop


def make_pg_database(admin_url: str) -> str:
    """A fresh PostgreSQL database for this run (dropped by `drop_pg_database`)."""
    import asyncpg

    name = f"chatbench_{os.getpid()}_{time.time_ns()}"  # two per run with --redis

    async def create() -> None:
        conn = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return f"{admin_url.rpartition('/')[0]}/{name}"


def drop_pg_database(admin_url: str, url: str) -> None:
    import asyncpg

    async def drop() -> None:
        conn = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop())


def start_store_floor(workdir: Path, postgres_url: str | None) -> rt.Target:
    """`store_floor.py` on a file of its own, or on the run's PostgreSQL database (its own
    table, `message`, next to the chat's)."""
    port = rt.free_port()
    env = dict(os.environ, PYTHONPATH=str(BENCH), STORE_FLOOR_SQLITE=str(workdir / "store.db"))
    if postgres_url:
        env["STORE_FLOOR_POSTGRES"] = postgres_url
    log = (workdir / "store.log").open("w")
    process = subprocess.Popen(
        [sys.executable, str(BENCH / "store_floor.py"), "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    rt.wait_http(f"http://127.0.0.1:{port}/", process)
    return rt.Target("store", f"ws://127.0.0.1:{port}/ws", process.pid, process)


def start_chat(
    workdir: Path,
    users: int,
    database_url: str | None,
    redis_url: str | None = None,
    name: str = "chat",
    workers: int = 1,
) -> rt.Target:
    """`transcendence serve` with every installed module, on the embedded defaults (SQLite,
    in-process bus) unless a database or Redis URL is given."""
    from transcendence.accounts import tokens

    var = workdir / name
    var.mkdir()
    env = rt.platform_env(
        var,
        database_url=database_url,
        redis_url=redis_url,
        TRANSCENDENCE_CHAT_RATE_LIMIT=RATE_LIMIT,
    )
    cli = [sys.executable, "-m", "transcendence_cli.main"]
    subprocess.run([*cli, "db", "migrate"], env=env, cwd=rt.ROOT, check=True, capture_output=True)
    made = subprocess.run(
        [sys.executable, "-c", rt.MAKE_USERS, str(users)],
        env=env,
        cwd=rt.ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    ids = [int(x) for x in made.stdout.strip().splitlines()[-1].split(",")]
    port = rt.free_port()
    log = (workdir / f"{name}.log").open("w")
    process = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=rt.ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    rt.wait_http(f"http://127.0.0.1:{port}/healthz", process)
    target = rt.Target(name, f"ws://127.0.0.1:{port}/ws", process.pid, process)
    target.tokens = [
        tokens.issue_access(rt.SECRET, uid, 0, f"bench-{uid}", ttl=3600) for uid in ids
    ]
    target.http = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    return target


async def make_groups(target: rt.Target, rooms: int, per_room: int) -> list[int]:
    """One group per room, created by its first member with the others."""
    from transcendence.accounts.tokens import decode_access

    user_ids = [decode_access(rt.SECRET, t).user_id for t in target.tokens]
    chat_ids = []
    async with httpx.AsyncClient(base_url=target.http, timeout=30) as http:  # type: ignore[attr-defined]
        for room in range(rooms):
            members = user_ids[room * per_room : (room + 1) * per_room]
            response = await http.post(
                "/api/chats/create_group/",
                json={"title": f"room {room}", "user_ids": members[1:]},
                headers={"Authorization": f"Bearer {target.tokens[room * per_room]}"},
            )
            response.raise_for_status()
            chat_ids.append(response.json()["id"])
    return chat_ids


class ChatRooms(rt.Rooms):
    """The realtime bench's rooms, speaking `chat.send` / `chat.message` instead."""

    def __init__(self, sockets: list[Any], rooms: int, per_room: int, chat_ids: list[int]):
        super().__init__(sockets, rooms, per_room)
        self.chat_ids = chat_ids
        self.room_of = {chat_id: room for room, chat_id in enumerate(chat_ids)}

    async def join(self) -> None:  # members already: the groups were created over REST
        self.readers = [asyncio.create_task(self.read(i)) for i in range(len(self.sockets))]

    async def say(self, room: int) -> None:
        k = self.turn[room]
        self.turn[room] = (k + 1) % self.per_room
        sender = self.member(room, k)
        self.seq += 1
        text = f"{time.perf_counter_ns()} {sender} {self.seq}"
        frame = {"type": "chat.send", "data": {"chat_id": self.chat_ids[room], "text": text}}
        await self.sockets[sender].send(json.dumps(frame))

    async def read(self, i: int) -> None:
        ws = self.sockets[i]
        try:
            async for raw in ws:
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "chat.message":
                    data = frame["data"]
                    sent_at, sender, _seq = data["text"].split()
                    if self.recording:
                        self.latencies.append(time.perf_counter_ns() - int(sent_at))
                        self.delivered += 1
                    if self.closed_loop and int(sender) == i:
                        await self.say(self.room_of[data["chat_id"]])
                elif kind == "error":
                    print(f"socket {i}: {frame['error']}", flush=True)
                elif kind == "ping":
                    await ws.send('{"type":"pong"}')
        except Exception:  # the socket closed at the end of the run
            return


async def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="chatbench-"))
    users = args.rooms * args.per_room
    targets = [rt.start_floor(workdir)]
    try:
        targets.append(start_store_floor(workdir, args.database_url))
        if args.hub:
            targets.append(rt.start_platform(workdir, users, None, "hub"))
        chat = start_chat(workdir, users, args.database_url)
        targets.append(chat)
        if args.redis:
            # Its own database: two servers must not share the chats' tables.
            targets.append(
                start_chat(workdir, users, args.redis_database_url, args.redis, "chat+redis")
            )
            if args.workers > 1:
                name = f"chat+redis x{args.workers}"
                targets.append(
                    start_chat(
                        workdir, users, args.workers_database_url, args.redis, name, args.workers
                    )
                )
        report: dict[str, Any] = {
            "args": {k: str(v) for k, v in vars(args).items()},
            "cpus": os.cpu_count(),
            "load_before": os.getloadavg(),
        }
        rooms: dict[str, rt.Rooms] = {}
        for target in targets:
            sockets = await rt.open_many(target, users)
            if target.name.startswith("chat"):
                chat_ids = await make_groups(target, args.rooms, args.per_room)
                rooms[target.name] = ChatRooms(sockets, args.rooms, args.per_room, chat_ids)
            else:
                rooms[target.name] = rt.Rooms(sockets, args.rooms, args.per_room)
            await rooms[target.name].join()
            spread = rt.sockets_per_process(int(target.url.rsplit(":", 1)[1].split("/")[0]))
            print(f"{target.name} sockets per server process: {spread}", flush=True)
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
        entries: dict[str, dict[str, Any]] = {}
        for target in targets:
            entry = entries[target.name] = {}
            for label, floor in (("paired", "floor"), ("paired_store", "store")):
                entry[label] = {
                    key: statistics.median(
                        run[key] / base[key] if base[key] else float("nan")
                        for run, base in zip(saturated[target.name], saturated[floor], strict=True)
                    )
                    for key in ("deliveries_per_s", "deliveries_per_server_cpu_s")
                }
            entry["throughput"] = rt.median_of(saturated[target.name])
            entry["fixed_rate"] = rt.median_of(fixed[target.name])
            entry["fixed_rate"]["target_per_s"] = args.rate
            entry["rss_kib_end"] = rt.rss_kib(target.pid)
        report["targets"] = entries
        report["load_after"] = os.getloadavg()
        if args.profile:
            # An extra saturated run, sampled; not one of the measured ones.
            args.profile.mkdir(parents=True, exist_ok=True)
            out = args.profile / "chat.txt"
            sampler = asyncio.create_task(
                asyncio.to_thread(pong_bench.py_spy, chat.pid, args.profile_seconds, out)
            )
            await rooms[chat.name].saturate(args.profile_seconds + 1, args.window, chat.pid)
            await sampler
            report["profile"] = str(out)
        for room_set in rooms.values():
            for task in room_set.readers:
                task.cancel()
            await rt.close_all(room_set.sockets)
        if "chat+redis" in saturated:  # the Redis bus against the in-process one, paired
            report["redis_vs_memory"] = {
                key: statistics.median(
                    run[key] / base[key] if base[key] else float("nan")
                    for run, base in zip(saturated["chat+redis"], saturated["chat"], strict=True)
                )
                for key in ("deliveries_per_s", "deliveries_per_server_cpu_s")
            }
        return report
    finally:
        for target in targets:
            target.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def print_table(report: dict[str, Any]) -> None:
    """Each figure, with its ratio to the echo floor and (for the platform's servers) to the
    storing floor; the paired ratios are the medians of per-round ratios."""
    floor = report["targets"]["floor"]
    store = report["targets"]["store"]
    others = [n for n in report["targets"] if n != "floor"]
    print()
    print(
        f"chat on {report['database']}; "
        f"{report['cpus']} CPUs; load average before {report['load_before'][0]:.2f}, "
        f"after {report['load_after'][0]:.2f}"
    )
    print("ratios: (x echo floor; x storing floor)")
    print("| figure | floor | " + " | ".join(others) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in others) + " |")
    rows = [
        ("fan-out deliveries/s", ("throughput", "deliveries_per_s"), "{:,.0f}"),
        ("deliveries per server CPU-s", ("throughput", "deliveries_per_server_cpu_s"), "{:,.0f}"),
        ("server CPU share while saturated", ("throughput", "server_cpu_share"), "{:.2f}"),
        ("fan-out p50 ms (saturated)", ("throughput", "p50_ms"), "{:.2f}"),
        ("fan-out p99 ms (saturated)", ("throughput", "p99_ms"), "{:.2f}"),
        ("p50 ms at fixed rate", ("fixed_rate", "p50_ms"), "{:.2f}"),
        ("p99 ms at fixed rate", ("fixed_rate", "p99_ms"), "{:.2f}"),
    ]
    for label, (section, key), fmt in rows:
        base = floor[section][key]
        cells = [fmt.format(base)]
        for name in others:
            entry = report["targets"][name]
            value = entry[section][key]
            ratios = rt.ratio(value, base)
            if name != "store":
                ratios += f"; {rt.ratio(value, store[section][key])}"
            if section == "throughput" and key in entry["paired"]:
                ratios += f"; paired {entry['paired'][key]:.2f}x"
                if name != "store":
                    ratios += f"; {entry['paired_store'][key]:.2f}x"
            cells.append(f"{fmt.format(value)} ({ratios})")
        print(f"| {label} | " + " | ".join(cells) + " |")
    if "profile" in report:
        print(f"profile: {report['profile']}")
    if "redis_vs_memory" in report:
        paired = report["redis_vs_memory"]
        print(
            f"chat+redis / chat, paired medians: deliveries/s {paired['deliveries_per_s']:.2f}x, "
            f"per server CPU-s {paired['deliveries_per_server_cpu_s']:.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=50, help="group chats")
    parser.add_argument("--per-room", type=int, default=10, help="members (sockets) per group")
    parser.add_argument("--seconds", type=float, default=2.0, help="per measured phase")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per phase")
    parser.add_argument("--window", type=int, default=2, help="messages in flight per room")
    parser.add_argument("--rate", type=float, default=500.0, help="fixed deliveries/s")
    parser.add_argument(
        "--no-hub", dest="hub", action="store_false", help="skip the hub-only platform"
    )
    parser.add_argument(
        "--postgres",
        metavar="ADMIN_URL",
        help="run the chat on a fresh PostgreSQL database created through this URL "
        "(e.g. postgres://postgres@127.0.0.1:5432/postgres) instead of SQLite",
    )
    parser.add_argument(
        "--redis",
        metavar="URL",
        help="also run the chat on the Redis bus and presence (a spare db), as chat+redis",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="with --redis and N > 1, also the chat on Redis served with --workers N",
    )
    parser.add_argument("--json", type=Path, help="write the full report here")
    parser.add_argument(
        "--profile", type=Path, help="after the rounds, py-spy the chat server into here"
    )
    parser.add_argument("--profile-seconds", type=float, default=8.0)
    args = parser.parse_args()
    args.database_url = make_pg_database(args.postgres) if args.postgres else None
    args.redis_database_url = (
        make_pg_database(args.postgres) if args.postgres and args.redis else None
    )
    args.workers_database_url = (
        make_pg_database(args.postgres)
        if args.postgres and args.redis and args.workers > 1
        else None
    )
    try:
        try:
            import uvloop

            report = uvloop.run(run(args))
        except ImportError:
            report = asyncio.run(run(args))
    finally:
        for url in (args.database_url, args.redis_database_url, args.workers_database_url):
            if url:
                drop_pg_database(args.postgres, url)
    report["database"] = "postgresql" if args.postgres else "sqlite"
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
