"""Pong load benchmark: how many concurrent remote games one server process runs at 60 Hz.

For each number of games N (50, 200 and 400 by default), in the same run:

1. the **engine ceiling**: N engines stepped round-robin in this process, no I/O (and
   again with a snapshot encoded every other tick): how many games one core could tick;
2. the **floor** (`bench/pong_floor.py`): a bare ASGI app on the same server (Hypercorn,
   uvloop worker, one process) running the same engine for N games, sending each
   snapshot straight to the game's two sockets;
3. the **platform** (`transcendence serve` on its embedded defaults, SQLite and the
   in-process bus; `--redis` adds a run on Redis): N remote games made the way users make
   them (`pong.invite`, `pong.answer`, `pong.join`), two sockets per game.

Each game has two real WebSocket clients (so 2N sockets, spread over `--clients` client
processes) that follow its snapshots and play through key events, tracking the ball like
a simple bot (a press or release only when the wanted direction changes). For a fixed wall
time the clients count snapshots and their latency (the snapshot's `server_time` against
the receive time, same machine), and the server's own figures are read: ticks and tick
times (`transcendence_pong_tick_seconds` on /metrics; the floor's `/stats`), snapshot
publish times, and its CPU time from /proc. Also a single-game engine micro-benchmark,
and, with `--profile`, a py-spy sample of the platform at the main N (`pip install
py-spy` somewhere on PATH, or in /tmp/pyspy; it is not a project dependency).

    .venv/bin/python bench/pong_bench.py                      # N = 50, 200, 400; 15 s each
    .venv/bin/python bench/pong_bench.py --games 200 --seconds 20 --profile /tmp/pong.txt
    .venv/bin/python bench/pong_bench.py --games 200 --curve 200 --no-floor \
        --redis redis://127.0.0.1:6379/15 --postgres postgres://postgres@127.0.0.1:5432/postgres \
        --workers 2                              # one and two workers on PostgreSQL + Redis

Not run by the test suite: timing belongs here, not in assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import chat_bench  # noqa: E402  (bench/ is not a package; its PostgreSQL databases)
from realtime_bench import (  # noqa: E402
    SECRET,
    Target,
    cpu_seconds,
    free_port,
    rss_kib,
    start_platform,
    wait_http,
)

# Long games: 21 points, half-height paddles that a tracking bot mostly keeps in play (a
# rally ends within about 40 s anyway, by the engine's sudden death).
OPTIONS = {"paddle_height": 300, "score_limit": 21}
TICK_BUDGET = 1 / 60


# --- engine only ---------------------------------------------------------------------------


def new_engine(seed: int) -> Any:
    from transcendence_pong.engine import Engine, Options

    return Engine(Options(**OPTIONS), seed=seed)  # type: ignore[arg-type]


def bot_keys(engine: Any, tick: int) -> Any:
    """Both paddles track the ball, deciding every other tick (as the clients do at 30 Hz);
    a finished game is replaced by a new one, so every step is a real one."""
    from transcendence_pong.engine import Key, Side

    if engine.finished:
        return new_engine(tick)
    if tick % 2 == 0:
        for side in (Side.LEFT, Side.RIGHT):
            paddle = engine.paddles[side]
            engine.release(side, Key.UP)
            engine.release(side, Key.DOWN)
            if engine.ball.y > paddle.y + 30:
                engine.press(side, Key.DOWN)
            elif engine.ball.y < paddle.y - 30:
                engine.press(side, Key.UP)
    return engine


def engine_micro(seconds: float) -> dict[str, float]:
    """One game stepped as fast as possible (the bot's key handling included)."""
    engine = new_engine(1)
    steps = 0
    deadline = time.perf_counter() + seconds
    started, cpu = time.perf_counter(), time.thread_time()
    while time.perf_counter() < deadline:
        for _ in range(600):
            engine = bot_keys(engine, steps)
            engine.step()
            steps += 1
    elapsed, cpu = time.perf_counter() - started, time.thread_time() - cpu
    encode_started = time.thread_time()
    for _ in range(5000):
        state = engine.snapshot()
        state["server_time"] = time.time()
        json.dumps({"type": "pong.state", "data": state})
    encode = (time.thread_time() - encode_started) / 5000
    # Per CPU-second of this thread: on a shared machine, wall time includes waiting for a
    # core; both are given.
    return {
        "steps_per_s": steps / elapsed,
        "steps_per_cpu_s": steps / cpu,
        "step_cpu_us": cpu / steps * 1e6,
        "snapshot_encode_cpu_us": encode * 1e6,
    }


def engine_ceiling(games: int, seconds: float) -> dict[str, float]:
    """N engines stepped in turn, without and with a snapshot encoded every other tick."""
    result: dict[str, float] = {}
    for label, encode in (("bare", False), ("with_snapshots", True)):
        engines = [new_engine(i) for i in range(games)]
        steps = 0
        started, cpu = time.perf_counter(), time.thread_time()
        deadline = started + seconds
        while time.perf_counter() < deadline:
            for i, engine in enumerate(engines):
                engine = engines[i] = bot_keys(engine, steps)
                engine.step()
                if encode and engine.tick % 2 == 0:
                    state = engine.snapshot()
                    state["server_time"] = time.time()
                    json.dumps({"type": "pong.state", "data": state})
            steps += games
        cpu = time.thread_time() - cpu
        result[f"{label}_steps_per_s"] = steps / (time.perf_counter() - started)
        result[f"{label}_steps_per_cpu_s"] = steps / cpu
        result[f"{label}_games_at_60hz"] = steps / cpu / 60  # on one core of its own
    return result


# --- clients (in worker processes) ---------------------------------------------------------


@dataclass
class GameSpec:
    number: int
    left: tuple[int, str]  # user id, token (the floor ignores both)
    right: tuple[int, str]


class Refused(Exception):
    """The server is at its capacity (`server_busy`): it refuses new games."""


class Player:
    """One socket: follows a game's snapshots and plays it through key events."""

    def __init__(self, ws: Any, side: str, stats: WorkerStats, track: bool):
        self.ws = ws
        self.side = side
        self.game_id = ""  # known once the game is made
        self.replies: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.stats = stats
        self.track = track  # the left player of each game also follows its tick rate
        self.held: str | None = None
        self.opened = False  # its game was made and opened (refused ones never are)
        self.seq = 0
        self.received = 0
        self.first: tuple[float, int] | None = None
        self.last: tuple[float, int] | None = None

    async def request(self, type_: str, data: Any, id_: str) -> dict[str, Any]:
        """A request answered through `read` (which keeps answering the server's pings)."""
        reply = self.replies[id_] = asyncio.get_running_loop().create_future()
        await self.ws.send(json.dumps({"type": type_, "id": id_, "data": data}))
        frame = await reply
        if frame.get("type") == "error":
            if frame.get("error", {}).get("code") == "server_busy":
                raise Refused(frame["error"]["message"])
            raise RuntimeError(f"{type_} refused: {frame}")
        return frame

    async def key(self, key: str, pressed: bool) -> None:
        self.seq += 1
        self.stats.inputs += 1
        data = {"game_id": self.game_id, "key": key, "pressed": pressed, "seq": self.seq}
        await self.ws.send(json.dumps({"type": "pong.input", "data": data}))

    async def play(self, state: dict[str, Any]) -> None:
        paddle = state["paddles"][self.side]["y"]
        ball = state["ball"]["y"]
        want = "down" if ball > paddle + 30 else "up" if ball < paddle - 30 else None
        if want != self.held:
            if self.held is not None:
                await self.key(self.held, False)
            if want is not None:
                await self.key(want, True)
            self.held = want

    async def read(self) -> None:
        stats = self.stats
        try:
            async for raw in self.ws:
                now = time.time()
                frame = json.loads(raw)
                kind = frame.get("type")
                waiting = self.replies.pop(frame.get("re"), None)
                if waiting is not None:
                    waiting.set_result(frame)
                elif kind == "pong.state" and self.game_id:
                    data = frame["data"]
                    if stats.t0 <= now < stats.t1:
                        self.received += 1
                        stats.latencies.append(now - data["server_time"])
                        stats.bytes += len(raw)
                        if self.track:
                            self.first = self.first or (now, data["tick"])
                            self.last = (now, data["tick"])
                    if data["phase"] == "finished":
                        stats.finished.add(self.game_id)
                    elif data.get("paused"):
                        stats.paused.add(self.game_id)
                    else:
                        await self.play(data)
                elif kind == "ping":
                    await self.ws.send('{"type":"pong"}')
                elif kind == "error":
                    stats.errors[frame.get("error", {}).get("code", "?")] += 1
        except Exception as exc:  # closed: by us at the end, or by the server (counted)
            if not stats.closing:
                received = getattr(exc, "rcvd", None)
                code = received.code if received is not None else type(exc).__name__
                stats.closed[f"close {code}"] += 1
        else:
            if not stats.closing:
                stats.closed[f"close {self.ws.close_code}"] += 1
        finally:
            for waiting in self.replies.values():
                if not waiting.done():
                    waiting.set_exception(ConnectionError("the socket closed"))


class WorkerStats:
    def __init__(self) -> None:
        self.t0 = self.t1 = float("inf")
        self.latencies: list[float] = []
        self.bytes = 0
        self.inputs = 0
        self.errors: Counter[str] = Counter()
        self.closed: Counter[str] = Counter()
        self.finished: set[str] = set()
        self.paused: set[str] = set()
        self.closing = False
        self.readers: list[asyncio.Task[None]] = []


async def request(ws: Any, type_: str, data: Any, id_: str) -> dict[str, Any]:
    """Send a request and read up to its reply (frames before it are not needed yet)."""
    await ws.send(json.dumps({"type": type_, "id": id_, "data": data}))
    while True:
        frame = json.loads(await ws.recv())
        if frame.get("re") == id_:
            if frame.get("type") == "error":
                raise RuntimeError(f"{type_} refused: {frame}")
            return frame
        if frame.get("type") == "ping":
            await ws.send('{"type":"pong"}')


async def open_socket(url: str, token: str) -> Any:
    from websockets.asyncio.client import connect

    ws = await connect(url, compression=None, ping_interval=None, open_timeout=120, max_queue=None)
    await request(ws, "auth", {"token": token}, "a")
    return ws


async def open_player(url: str, token: str, side: str, stats: WorkerStats) -> Player:
    made = Player(await open_socket(url, token), side, stats, track=side == "left")
    stats.readers.append(asyncio.create_task(made.read()))  # answers pings from now on
    return made


async def make_game(kind: str, spec: GameSpec, left: Player, right: Player) -> None:
    """The game exists (on the platform: invited and accepted, as users do); its players
    have not opened it yet, so it sends no snapshots."""
    if kind == "floor":
        joined = await left.request("bench.game", {"game": spec.number}, "g")
        await right.request("bench.game", {"game": spec.number}, "g")
        left.game_id = right.game_id = joined["data"]["game_id"]
        return
    sent = await left.request("pong.invite", {"user_id": spec.right[0], "options": OPTIONS}, "i")
    answer = await right.request(
        "pong.answer", {"invite_id": sent["data"]["invite_id"], "accept": True}, "x"
    )
    left.game_id = right.game_id = answer["data"]["game_id"]


async def open_game(kind: str, left: Player, right: Player) -> None:
    if kind != "floor":
        for each in (left, right):
            await each.request("pong.join", {"game_id": left.game_id}, "j")
    left.opened = right.opened = True


async def worker_main(pipe: Connection, url: str, kind: str, specs: list[GameSpec]) -> None:
    stats = WorkerStats()
    loop = asyncio.get_running_loop()
    # Every socket is open, authenticated and read (so it answers pings) before any game
    # starts: a server busy ticking games answers slowly, and drops a silent socket (4408).
    players: list[Player] = []
    for start in range(0, len(specs), 25):
        chunk = specs[start : start + 25]
        players += await asyncio.gather(
            *(
                open_player(url, token, side, stats)
                for spec in chunk
                for (_, token), side in ((spec.left, "left"), (spec.right, "right"))
            )
        )
    pipe.send("open")
    await loop.run_in_executor(None, pipe.recv)  # every client process has its sockets
    failed: Counter[str] = Counter()  # games that could not be made (an overloaded server)
    refused = 0  # games the server refused to make: at its capacity (`server_busy`)
    # Every game is made first, then opened: making one is database work (invitation,
    # answer, match row) that would otherwise queue behind the frames of the games already
    # followed, in this client and on the server. Setup is not measured.
    pairs = [(spec, players[2 * k], players[2 * k + 1]) for k, spec in enumerate(specs)]
    for start in range(0, len(pairs), 10):
        made = await asyncio.gather(
            *(make_game(kind, *pair) for pair in pairs[start : start + 10]),
            return_exceptions=True,
        )
        for error in made:
            if isinstance(error, Refused):
                refused += 1
            elif isinstance(error, BaseException):
                failed[repr(error)[:120]] += 1
    ready = [(left, right) for _, left, right in pairs if left.game_id]
    for start in range(0, len(ready), 25):
        opened = await asyncio.gather(
            *(open_game(kind, *pair) for pair in ready[start : start + 25]),
            return_exceptions=True,
        )
        failed.update(repr(error)[:120] for error in opened if isinstance(error, BaseException))
    pipe.send("ready")
    stats.t0, stats.t1 = await loop.run_in_executor(None, pipe.recv)
    await asyncio.sleep(max(0.0, stats.t0 - time.time()))
    cpu = time.process_time()
    await asyncio.sleep(max(0.0, stats.t1 - time.time()))
    cpu = time.process_time() - cpu
    window = stats.t1 - stats.t0
    tick_rates = [
        (p.last[1] - p.first[1]) / (p.last[0] - p.first[0])
        for p in players
        if p.track and p.first and p.last and p.last[0] > p.first[0]
    ]
    pipe.send(
        {
            # The clients of the games running (not those refused or never opened).
            "per_client_hz": [p.received / window for p in players if p.opened],
            "latencies": stats.latencies,
            "bytes": stats.bytes,
            "inputs": stats.inputs,
            "tick_rates": tick_rates,
            "errors": dict(stats.errors),
            "closed": dict(stats.closed),
            "finished": len(stats.finished),
            "paused": len(stats.paused),
            "cpu_share": cpu / window,
            "games_not_started": dict(failed),
            "refused": refused,
        }
    )
    await loop.run_in_executor(None, pipe.recv)  # "close": the server is about to stop
    stats.closing = True
    for task in stats.readers:
        task.cancel()
    await asyncio.gather(*(p.ws.close() for p in players), return_exceptions=True)


def worker_entry(pipe: Connection, url: str, kind: str, specs: list[GameSpec]) -> None:
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    try:
        runner(worker_main(pipe, url, kind, specs))
    except BaseException as exc:
        pipe.send(f"failed: {exc!r}")  # the main process stops the run and says why
        raise


def receive_all(pipes: list[Connection], processes: list[Any], what: str) -> list[Any]:
    """The next message of every client process; fails as soon as one of them fails."""
    messages: dict[int, Any] = {}
    deadline = time.monotonic() + 900
    while len(messages) < len(pipes):
        for i, pipe in enumerate(pipes):
            if i in messages or not pipe.poll(0.2):
                continue
            message = pipe.recv()
            if isinstance(message, str) and message.startswith("failed"):
                raise RuntimeError(f"a client process {message} while {what}")
            messages[i] = message
        if time.monotonic() > deadline or not all(p.is_alive() for p in processes):
            raise RuntimeError(f"a client process stopped or hung while {what}")
    return [messages[i] for i in range(len(pipes))]


# --- server figures ------------------------------------------------------------------------


def histogram(text: str, name: str) -> dict[str, Any]:
    """Cumulative buckets, count and sum of a Prometheus histogram from /metrics text."""
    buckets: list[tuple[float, float]] = []
    out: dict[str, Any] = {"count": 0.0, "sum": 0.0}
    for line in text.splitlines():
        if line.startswith(name + "_bucket{"):
            le = line.split('le="', 1)[1].split('"', 1)[0]
            buckets.append((float(le), float(line.rsplit(" ", 1)[1])))
        elif line.startswith(name + "_count "):
            out["count"] = float(line.split()[1])
        elif line.startswith(name + "_sum "):
            out["sum"] = float(line.split()[1])
    out["buckets"] = buckets
    return out


def histogram_delta(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    old = dict(before["buckets"])
    return {
        "count": after["count"] - before["count"],
        "sum": after["sum"] - before["sum"],
        "buckets": [(le, n - old.get(le, 0.0)) for le, n in after["buckets"]],
    }


def quantile(hist: dict[str, Any], q: float) -> float:
    """Linear interpolation inside the bucket that holds the q-th observation."""
    total = hist["count"]
    if not total:
        return float("nan")
    rank = q * total
    lower, below = 0.0, 0.0
    for le, cumulative in hist["buckets"]:
        if cumulative >= rank:
            if le == float("inf"):
                return lower
            inside = cumulative - below
            return lower + (le - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = le, cumulative
    return lower


class ServerProbe:
    """Reads a server's own figures at the start and the end of the window."""

    def __init__(self, target: Target, http: str) -> None:
        self.target = target
        self.http = http

    def read(self) -> dict[str, Any]:
        cpu = cpu_seconds(self.target.pid)
        asked = time.monotonic()
        if self.target.name == "floor":
            stats = httpx.get(f"{self.http}/stats", timeout=30).json()
            return {"cpu": cpu, "at": (asked + time.monotonic()) / 2, "floor": stats}
        if self.target.workers > 1:
            return {"cpu": cpu, "at": (asked + time.monotonic()) / 2}
        text = httpx.get(f"{self.http}/metrics", timeout=30).text
        return {
            "cpu": cpu,
            "at": (asked + time.monotonic()) / 2,  # a loaded server answers late
            "tick": histogram(text, "transcendence_pong_tick_seconds"),
            "publish": histogram(text, "transcendence_pong_snapshot_publish_seconds"),
        }

    def summary(self, before: dict[str, Any], after: dict[str, Any]) -> dict:
        window = after["at"] - before["at"]
        out: dict[str, Any] = {"cpu_share": (after["cpu"] - before["cpu"]) / window}
        out["window_s"] = window
        if "floor" in after:
            floor = after["floor"]  # the floor's /stats resets at each read
            out.update(
                ticks=floor["ticks"],
                tick_p50_ms=floor["p50"] * 1e3,
                tick_p99_ms=floor["p99"] * 1e3,
                tick_busy_share=floor["sum"] / window,
            )
            return out
        if "tick" not in after:  # several workers: see measure()
            nan = float("nan")
            out.update(ticks=0, tick_p50_ms=nan, tick_p99_ms=nan, tick_busy_share=nan)
            return out
        tick = histogram_delta(after["tick"], before["tick"])
        publish = histogram_delta(after["publish"], before["publish"])
        out.update(
            ticks=tick["count"],
            tick_p50_ms=quantile(tick, 0.5) * 1e3,
            tick_p99_ms=quantile(tick, 0.99) * 1e3,
            tick_busy_share=tick["sum"] / window,
            publishes=publish["count"],
            publish_p50_ms=quantile(publish, 0.5) * 1e3,
            publish_p99_ms=quantile(publish, 0.99) * 1e3,
            publish_busy_share=publish["sum"] / window,
        )
        return out


# --- one measured run ----------------------------------------------------------------------


def start_floor(workdir: Path) -> tuple[Target, str]:
    port = free_port()
    pong = BENCH.parent / "plugins" / "pong"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(BENCH), str(pong)]))
    log = (workdir / "floor.log").open("w")
    process = subprocess.Popen(
        [sys.executable, str(BENCH / "pong_floor.py"), "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    http = f"http://127.0.0.1:{port}"
    wait_http(f"{http}/", process)
    return Target("floor", f"ws://127.0.0.1:{port}/ws", process.pid, process), http


def py_spy(pid: int, seconds: float, out: Path) -> str:
    """Sample the server with py-spy; the hottest functions, by self and total time."""
    exe = shutil.which("py-spy") or next(
        (p for p in ("/tmp/pyspy/bin/py-spy",) if Path(p).exists()), None
    )
    if exe is None:
        return "py-spy not found (pip install py-spy; or put it on PATH)"
    raw = out.with_suffix(".raw")
    command = [exe, "record", "-p", str(pid), "-d", str(int(seconds)), "-r", "200"]
    subprocess.run(
        [*command, "--nonblocking", "--function", "-f", "raw", "-o", str(raw)],
        check=True,
        capture_output=True,
    )
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        frames = stack.split(";")
        samples += n
        own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
    lines = [f"{samples} samples of pid {pid} over {seconds:.0f} s", "", "self time:"]
    lines += [f"{100 * n / samples:5.1f}%  {frame}" for frame, n in own.most_common(25)]
    lines += ["", "total time:"]
    lines += [f"{100 * n / samples:5.1f}%  {frame}" for frame, n in total.most_common(60)]
    text = "\n".join(lines)
    out.write_text(text + "\n")
    return text


def measure(
    kind: str,
    games: int,
    args: argparse.Namespace,
    workdir: Path,
    redis: str | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    name = kind if redis is None else f"{kind}+redis"
    if redis is not None and args.postgres:
        name = f"{kind}+pg+redis"
    if workers > 1:
        name += f" x{workers}"
    database = None
    if kind == "floor":
        target, http = start_floor(workdir)
        specs = [GameSpec(i, (0, "floor"), (0, "floor")) for i in range(games)]
    else:
        sub = workdir / f"{name}-{games}"
        sub.mkdir()
        # A remote game waits this long for its players before it is cancelled (a
        # no-show): making hundreds of games through the database can take minutes on a
        # busy machine, and every game is made before any is opened.
        settings = {"TRANSCENDENCE_PONG_GRACE": "600"}
        if args.max_games is not None:
            settings["TRANSCENDENCE_PONG_MAX_GAMES"] = str(args.max_games)
        if args.snapshot_rate is not None:  # the floor keeps its 30 a second
            settings["TRANSCENDENCE_PONG_SNAPSHOT_RATE"] = str(args.snapshot_rate)
        if redis is not None and args.postgres:
            # A database of this run's own (the platform's runs on Redis are its several-
            # process configuration: PostgreSQL and Redis).
            database = chat_bench.make_pg_database(args.postgres)
            settings["DATABASE_URL"] = database
        target = start_platform(sub, 2 * games, redis, name, workers, settings=settings)
        http = target.url.replace("ws://", "http://").removesuffix("/ws")
        players = [(user_id(token), token) for token in target.tokens]
        specs = [GameSpec(i, players[2 * i], players[2 * i + 1]) for i in range(games)]
    context = multiprocessing.get_context("spawn")
    pipes, processes = [], []
    try:
        clients = max(1, min(args.clients, games))
        for k in range(clients):
            mine, theirs = context.Pipe()
            process = context.Process(
                target=worker_entry, args=(theirs, target.url, kind, specs[k::clients])
            )
            process.start()
            pipes.append(mine)
            processes.append(process)
        setup = time.monotonic()
        receive_all(pipes, processes, f"opening {name}'s sockets")
        for pipe in pipes:
            pipe.send("go")
        receive_all(pipes, processes, f"starting {name}'s games")
        setup = time.monotonic() - setup
        probe = ServerProbe(target, http)
        load_before = os.getloadavg()
        t0 = time.time() + args.warmup
        t1 = t0 + args.seconds
        for pipe in pipes:
            pipe.send((t0, t1))
        time.sleep(max(0.0, t0 - time.time()))
        before = probe.read()
        time.sleep(max(0.0, t1 - time.time()))
        after = probe.read()
        server = probe.summary(before, after)
        server["rss_mib"] = rss_kib(target.pid) / 1024
        results = receive_all(pipes, processes, "measuring")
        profile = None
        if args.profile and kind == "platform" and redis is None and games == args.games:
            profile = py_spy(target.pid, args.seconds, args.profile)
        for pipe in pipes:
            pipe.send("close")
        for process in processes:
            process.join(timeout=60)
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
        target.stop()
        if database is not None:
            chat_bench.drop_pg_database(args.postgres, database)
    if workers > 1:
        # /metrics answers from whichever worker accepts the scrape: count the ticks the
        # clients saw instead (each game's rate from its snapshots' tick numbers).
        tick_rates = [x for r in results for x in r["tick_rates"]]
        server["ticks"] = sum(tick_rates) * server["window_s"]
        server["workers"] = workers
    return summarise(name, games, args.seconds, server, results, setup, load_before, profile)


def user_id(token: str) -> int:
    from transcendence.accounts import tokens

    return tokens.decode_access(SECRET, token).user_id


def summarise(
    name: str,
    games: int,
    window: float,
    server: dict[str, Any],
    results: list[dict[str, Any]],
    setup: float,
    load_before: tuple[float, float, float],
    profile: str | None,
) -> dict[str, Any]:
    per_client = [hz for r in results for hz in r["per_client_hz"]] or [float("nan")]
    latencies = sorted(x for r in results for x in r["latencies"])
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 100 else [float("nan")] * 99
    tick_rates = [x for r in results for x in r["tick_rates"]]
    snapshots = sum(len(r["latencies"]) for r in results)
    errors: Counter[str] = Counter()
    closed: Counter[str] = Counter()
    for r in results:
        errors.update(r["errors"])
        closed.update(r["closed"])
    cpu = server["cpu_share"] * window  # server CPU-seconds, scaled to the clients' window
    refused = sum(r.get("refused", 0) for r in results)
    not_started = sum(sum(r["games_not_started"].values()) for r in results)
    running = max(1, games - refused - not_started)  # the games the server did make
    return {
        "target": name,
        "games": games,
        "sockets": 2 * games,
        "setup_s": setup,
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "server": server,
        "running_games": running,
        "refused": refused,
        # Per game made (refused ones never tick).
        "ticks_per_game_per_s": server["ticks"] / server["window_s"] / running,
        "tick_rate_from_snapshots": {
            "median": statistics.median(tick_rates) if tick_rates else float("nan"),
            "min": min(tick_rates, default=float("nan")),
        },
        "snapshots_per_client_per_s": {
            "median": statistics.median(per_client),
            "min": min(per_client),
        },
        "deliveries_per_s": snapshots / window,
        "deliveries_per_server_cpu_s": snapshots / cpu if cpu else float("nan"),
        "server_cpu_ms_per_game_s": cpu / window / running * 1e3,
        # What a core of its own would hold at 60 Hz, at the CPU cost of the ticks run here
        # (a game that fell behind ran fewer ticks, and sent fewer snapshots).
        "games_per_core": (
            server["ticks"] / 60 / (server["cpu_share"] * server["window_s"])
            if server["cpu_share"]
            else float("nan")
        ),
        "latency_p50_ms": q[49] * 1e3,
        "latency_p99_ms": q[98] * 1e3,
        "snapshot_bytes": (sum(r["bytes"] for r in results) / snapshots) if snapshots else 0,
        "inputs_per_client_per_s": sum(r["inputs"] for r in results) / window / (2 * games),
        "client_cpu_share": sum(r["cpu_share"] for r in results),
        "finished_games": sum(r["finished"] for r in results),
        "paused_games": sum(r["paused"] for r in results),
        "errors": dict(errors),
        "closed": dict(closed),
        "games_not_started": not_started,
        "why_not_started": [r["games_not_started"] for r in results if r["games_not_started"]],
        "profile": profile,
    }


# --- report --------------------------------------------------------------------------------


def fmt(value: float, spec: str = ".1f") -> str:
    return "n/a" if value != value else format(value, spec)  # NaN


def print_report(report: dict[str, Any]) -> None:
    micro = report["micro"]
    print()
    print(
        f"{report['cpus']} CPUs; load average {report['load_before'][0]:.2f} at the start, "
        f"{report['load_after'][0]:.2f} at the end"
    )
    print(
        f"engine, one game: {micro['steps_per_cpu_s']:,.0f} steps per CPU-second "
        f"({micro['step_cpu_us']:.2f} us a step, {micro['steps_per_cpu_s'] / 60:,.0f} games' "
        f"worth at 60 Hz; {micro['steps_per_s']:,.0f} steps per wall second); snapshot built "
        f"and encoded: {micro['snapshot_encode_cpu_us']:.1f} us"
    )
    for games, entry in report["runs"].items():
        ceiling = entry["ceiling"]
        print()
        print(
            f"## N = {games} games ({2 * int(games)} sockets); engine ceiling: "
            f"{ceiling['bare_games_at_60hz']:,.0f} games at 60 Hz per CPU-second "
            f"({ceiling['with_snapshots_games_at_60hz']:,.0f} with snapshots encoded)"
        )
        runs = entry["targets"]
        names = list(runs)
        print("| figure | " + " | ".join(names) + " |")
        print("| --- |" + " --- |" * len(names))
        floor = runs.get("floor")
        rows = [
            ("games running / refused (server_busy)", None, None),
            ("ticks/s per game (target 60)", lambda r: r["ticks_per_game_per_s"], ".1f"),
            ("  from snapshots: median / min", None, None),
            ("tick p50 / p99, ms", None, None),
            ("tick work, share of a core", lambda r: r["server"]["tick_busy_share"], ".2f"),
            ("snapshots/s per client (target 30): median / min", None, None),
            ("snapshot latency p50 / p99, ms", None, None),
            ("server CPU share", lambda r: r["server"]["cpu_share"], ".2f"),
            ("server CPU ms per game-second", lambda r: r["server_cpu_ms_per_game_s"], ".2f"),
            ("games at 60 Hz per server CPU-second", lambda r: r["games_per_core"], ".0f"),
            (
                "deliveries per server CPU-second",
                lambda r: r["deliveries_per_server_cpu_s"],
                ",.0f",
            ),
            ("client CPU share (all clients)", lambda r: r["client_cpu_share"], ".2f"),
            ("server RSS MiB", lambda r: r["server"]["rss_mib"], ".0f"),
        ]
        for label, get, spec in rows:
            cells = []
            for name in names:
                r = runs[name]
                if label.startswith("games running"):
                    cells.append(f"{r['running_games']} / {r['refused']}")
                elif label.startswith("  from snapshots"):
                    t = r["tick_rate_from_snapshots"]
                    cells.append(f"{fmt(t['median'])} / {fmt(t['min'])}")
                elif label.startswith("tick p50"):
                    s = r["server"]
                    cells.append(f"{fmt(s['tick_p50_ms'], '.3f')} / {fmt(s['tick_p99_ms'], '.3f')}")
                elif label.startswith("snapshots/s"):
                    s = r["snapshots_per_client_per_s"]
                    cells.append(f"{s['median']:.1f} / {s['min']:.1f}")
                elif label.startswith("snapshot latency"):
                    cells.append(f"{fmt(r['latency_p50_ms'])} / {fmt(r['latency_p99_ms'])}")
                else:
                    assert get is not None and spec is not None
                    value = get(r)
                    text = fmt(value, spec)
                    if (
                        floor is not None
                        and r is not floor
                        and "CPU" in label
                        and "share" not in label
                    ):
                        base = get(floor)
                        text += f" ({value / base:.2f}x)" if base else ""
                    cells.append(text)
            print(f"| {label} | " + " | ".join(cells) + " |")
        for name in names:
            r = runs[name]
            s = r["server"]
            extra = (
                f"publish p50/p99 {fmt(s['publish_p50_ms'], '.3f')}/"
                f"{fmt(s['publish_p99_ms'], '.3f')} ms, "
                if "publish_p50_ms" in s
                else ""
            )
            print(
                f"{name}: {extra}{r['snapshot_bytes']:.0f} B/snapshot, "
                f"{r['inputs_per_client_per_s']:.1f} key events/s per client, "
                f"finished {r['finished_games']}, paused {r['paused_games']}, "
                f"not started {r['games_not_started']}, "
                f"errors {r['errors']}, closed {r['closed']}, setup {r['setup_s']:.0f} s, "
                f"load {r['load_before'][0]:.1f}->{r['load_after'][0]:.1f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--games", type=int, default=200, help="the main N (profiled)")
    parser.add_argument(
        "--curve", default="50,200,400", help="comma-separated N to run (the main N included)"
    )
    parser.add_argument("--seconds", type=float, default=15.0, help="measured wall time per run")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--redis", help="also run the platform on this Redis (a spare db)")
    parser.add_argument(
        "--postgres",
        help="with --redis: the runs on Redis use a fresh database on this PostgreSQL server",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="with --redis and N > 1: also the platform on Redis served with --workers N",
    )
    parser.add_argument("--no-floor", action="store_true", help="skip the floor runs")
    parser.add_argument("--profile", type=Path, help="py-spy the platform at N=--games here")
    parser.add_argument("--json", type=Path, help="write the full report here")
    parser.add_argument(
        "--max-games",
        type=int,
        help="the platform's capacity (TRANSCENDENCE_PONG_MAX_GAMES; default: its own)",
    )
    parser.add_argument(
        "--snapshot-rate",
        type=int,
        help="the platform's snapshots per second (TRANSCENDENCE_PONG_SNAPSHOT_RATE; 30)",
    )
    args = parser.parse_args()
    curve = sorted({int(n) for n in args.curve.split(",") if n} | {args.games})
    report: dict[str, Any] = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_before": os.getloadavg(),
        "micro": engine_micro(2.0),
        "runs": {},
    }
    print(f"engine micro-benchmark: {report['micro']}", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="pongbench-"))
    try:
        for games in curve:
            entry: dict[str, Any] = {"ceiling": engine_ceiling(games, 2.0), "targets": {}}
            print(f"N={games} engine ceiling: {entry['ceiling']}", flush=True)
            kinds: list[tuple[str, str | None]] = [] if args.no_floor else [("floor", None)]
            kinds.append(("platform", None))
            runs: list[tuple[str, str | None, int]] = [(k, r, 1) for k, r in kinds]
            if args.redis:
                runs.append(("platform", args.redis, 1))
                if args.workers > 1:
                    runs.append(("platform", args.redis, args.workers))
            for kind, redis, workers in runs:
                result = measure(kind, games, args, workdir, redis, workers)
                entry["targets"][result["target"]] = result
                shown = {k: v for k, v in result.items() if k != "profile"}
                print(f"N={games} {result['target']}: {json.dumps(shown)}", flush=True)
                if result["profile"]:
                    print(result["profile"], flush=True)
            report["runs"][str(games)] = entry
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report["load_after"] = os.getloadavg()
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
