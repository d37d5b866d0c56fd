"""Stats benchmark: the user dashboard of a player with 10,000 finished matches.

For each database (a fresh SQLite file; and PostgreSQL when `--database-url` is given, in a
database this script creates on that server and drops afterwards):

1. seed: one player, `--opponents` accounts and `--matches` finished matches of every mode
   with realistic records (rallies, hits, speeds), inserted in bulk into `pong_match`, then
   folded into the aggregates through `transcendence_stats.aggregation.record_matches` in
   batches, with Elo ratings computed as pong would;
2. measure `GET /api/stats/users/<id>` — the whole platform path: auth, module guard,
   validation, metrics, response model — through the Quart test client, `--requests`
   times after a warm-up, sequentially; p50 and p99;
3. measure the floor in the same run, interleaved request by request with (2): a bare
   Quart app whose one route returns a static JSON body of the same size, through its
   own test client.

It prints both figures and the ratio (platform / floor). The budget (docs/DESIGN):
dashboard p99 <= 50 ms for a user with 10,000 matches. The game-session dashboard and
the leaderboard are measured too, for information.

    /work/venv/bin/python bench/stats_bench.py
    /work/venv/bin/python bench/stats_bench.py \
        --database-url postgres://postgres@127.0.0.1:5432/postgres

Not run by the test suite: timing belongs here, not in assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-" + "s" * 40
MODES = ["remote"] * 12 + ["ai"] * 4 + ["local"] * 3 + ["tournament"]


# --- seeding ------------------------------------------------------------------------------


def fake_record(rng: random.Random, left: int, right: int, options: dict[str, Any]):
    """A record shaped like `Engine.record()`: rallies in order, hits per side."""
    winners = ["left"] * left + ["right"] * right
    rng.shuffle(winners)
    tick, rallies, hits = 60, [], {"left": 0, "right": 0}
    for winner in winners:
        count = rng.randint(0, 14)
        length = 90 + count * 70 + rng.randint(0, 60)
        rallies.append(
            {
                "start": tick,
                "end": tick + length,
                "hits": count,
                "max_speed": round(min(1100.0, 360 * 1.06**count), 1),
                "winner": winner,
            }
        )
        hits["left"] += (count + 1) // 2
        hits["right"] += count // 2
        tick += length + 60
    return {
        "options": options,
        "scores": {"left": left, "right": right},
        "winner": "left" if left > right else "right",
        "forfeited": None,
        "ticks": tick,
        "hits": hits,
        "rallies": rallies,
    }


async def seed(matches: int, opponents: int, batch: int) -> dict[str, Any]:
    from transcendence.accounts import service as accounts
    from transcendence_pong.models import Match, Rating
    from transcendence_pong.records import result_of
    from transcendence_stats import aggregation

    rng = random.Random(42)
    player = await accounts.create_user("bench_player", "bench_player@example.test", None)
    rivals = [
        await accounts.create_user(f"rival{i}", f"rival{i}@example.test", None)
        for i in range(opponents)
    ]
    ratings = {u.id: 1000 for u in [player, *rivals]}
    options = {"ball_speed": 360.0, "score_limit": 5, "powerups": False, "theme": "classic"}
    start = datetime.now(UTC) - timedelta(days=365)
    step = timedelta(days=365) / matches
    rows = []
    for i in range(matches):
        mode = rng.choice(MODES)
        rival = rng.choice(rivals) if mode in ("remote", "tournament") else None
        opp_name = rival.display_name if rival else ("AI (normal)" if mode == "ai" else "Friend")
        me_left = rng.random() < 0.5
        won = rng.random() < 0.55
        loser_score = rng.randint(0, 4)
        mine, theirs = (5, loser_score) if won else (loser_score, 5)
        left, right = (mine, theirs) if me_left else (theirs, mine)
        ended = start + step * i
        record = fake_record(rng, left, right, options)
        match = Match(
            id=uuid.uuid4(),
            mode=mode,
            status="finished",
            left_user_id=player.id if me_left else (rival.id if rival else None),
            right_user_id=(rival.id if rival else None) if me_left else player.id,
            left_name=player.display_name if me_left else opp_name,
            right_name=opp_name if me_left else player.display_name,
            options=options,
            left_score=left,
            right_score=right,
            winner=record["winner"],
            forfeit=False,
            record=record,
            started_at=ended - timedelta(seconds=record["ticks"] / 60 + 3),
            ended_at=ended,
        )
        if not me_left and rival is None:
            continue  # local and AI games: the account always holds the left seat
        if mode == "remote" and rival is not None:
            a, b = ratings[player.id], ratings[rival.id]
            expected = 1 / (1 + 10 ** ((b - a) / 400))
            delta = round(32 * ((1.0 if won else 0.0) - expected))
            ratings[player.id], ratings[rival.id] = a + delta, b - delta
            # Stored with the result, as pong does (`record["ratings"]`, by side).
            sides = (player, rival) if me_left else (rival, player)
            record["ratings"] = {"left": ratings[sides[0].id], "right": ratings[sides[1].id]}
        rows.append(match)
    while len(rows) < matches:  # top up with AI games until the count is exact
        ended = start + step * (len(rows) + 0.5)
        record = fake_record(rng, 5, rng.randint(0, 4), options)
        rows.append(
            Match(
                id=uuid.uuid4(), mode="ai", status="finished", left_user_id=player.id,
                left_name=player.display_name, right_name="AI (hard)", options=options,
                left_score=5, right_score=record["scores"]["right"], winner="left",
                record=record, started_at=ended - timedelta(seconds=60), ended_at=ended,
            )
        )  # fmt: skip
    rows.sort(key=lambda m: m.ended_at)

    t0 = time.perf_counter()
    await Match.bulk_create(rows, batch_size=1000)
    t1 = time.perf_counter()
    applied = 0
    for i in range(0, len(rows), batch):
        applied += await aggregation.record_matches(result_of(m) for m in rows[i : i + batch])
    t2 = time.perf_counter()
    await Rating.bulk_create(
        [Rating(user_id=uid, rating=r, games=1) for uid, r in ratings.items()], batch_size=500
    )
    session, _ = await accounts.start_session(player)
    return {
        "player": player,
        "token": accounts.access_token_for(SECRET, player, session),
        "match_id": str(rows[-1].id),
        "insert_s": t1 - t0,
        "aggregate_s": t2 - t1,
        "applied": applied,
    }


# --- measuring ----------------------------------------------------------------------------


def summary(samples: list[float], cpu_ms: float) -> dict[str, float]:
    samples = sorted(samples)
    return {
        "cpu": cpu_ms,
        "p50": statistics.median(samples),
        "p99": samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))],
        "mean": statistics.fmean(samples),
    }


async def one_request(client: Any, path: str, headers: dict[str, str]) -> float:
    t = time.perf_counter()
    response = await client.get(path, headers=headers)
    await response.get_data()
    elapsed = (time.perf_counter() - t) * 1000
    assert response.status_code == 200, (path, response.status_code)
    return elapsed


async def timed(client: Any, path: str, headers: dict[str, str], n: int, warmup: int):
    for _ in range(warmup):
        await one_request(client, path, headers)
    samples = []
    cpu = time.process_time()
    for _ in range(n):
        samples.append(await one_request(client, path, headers))
    return summary(samples, (time.process_time() - cpu) * 1000 / n)


async def against_floor(
    client: Any, path: str, headers: dict[str, str], body: bytes, n: int, warmup: int
) -> tuple[dict[str, float], dict[str, float]]:
    """The dashboard and the floor, interleaved request by request, so that both see the
    same machine (on a shared machine, load comes and goes within a run).

    The floor: a bare Quart app whose one route returns a static JSON body of the same size,
    called through its own test client the same way.
    """
    from quart import Quart

    bare = Quart("floor")
    payload = json.loads(body)

    @bare.get("/dashboard")
    async def dashboard():
        return payload

    async with bare.test_app() as floor_app:
        floor_client = floor_app.test_client()
        for _ in range(warmup):
            await one_request(client, path, headers)
            await one_request(floor_client, "/dashboard", {})
        mine: list[float] = []
        theirs: list[float] = []
        cpu_mine = cpu_theirs = 0.0
        for _ in range(n):
            t = time.process_time()
            mine.append(await one_request(client, path, headers))
            u = time.process_time()
            theirs.append(await one_request(floor_client, "/dashboard", {}))
            cpu_mine += u - t
            cpu_theirs += time.process_time() - u
    return summary(mine, cpu_mine * 1000 / n), summary(theirs, cpu_theirs * 1000 / n)


async def run_one(label: str, url: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    from transcendence.app import create_app
    from transcendence.settings import Settings
    from transcendence.testing import migrate_database

    fields = {
        "env": "development",
        "var_dir": str(tmp / "var"),
        "database_url": url,
        "modules": ["pong", "stats"],
        "extra_modules": [],
    }
    # Migrated first, in a process of its own: the test app's startup allows a few seconds.
    migrate_database(fields)
    settings = Settings(_env_file=None, secret_key=SECRET, auto_migrate=True, **fields)
    app = create_app(settings)
    async with app.test_app():
        task = app.extensions.get("stats")
        if task is not None:
            await task  # the startup catch-up, on the empty database
        seeded = await seed(args.matches, args.opponents, args.batch)
        headers = {"Authorization": f"Bearer {seeded['token']}"}
        client = app.test_client()
        path = f"/api/stats/users/{seeded['player'].id}"
        body = await (await client.get(path, headers=headers)).get_data()
        dash, base = await against_floor(client, path, headers, body, args.requests, args.warmup)
        match = await timed(
            client, f"/api/stats/matches/{seeded['match_id']}", headers, args.requests, 10
        )
        board = {
            period: await timed(
                client, f"/api/stats/leaderboard?period={period}", headers, args.requests // 3, 5
            )
            for period in ("all", "week")
        }
    return {
        "label": label,
        "games": json.loads(body)["games"],
        "body_bytes": len(body),
        "seed": seeded,
        "dashboard": dash,
        "floor": base,
        "match": match,
        "leaderboard": board,
    }


def report(result: dict[str, Any], budget: float) -> None:
    d, f, s = result["dashboard"], result["floor"], result["seed"]
    print(f"\n== {result['label']} ==")
    print(
        f"seed: {result['games']} matches for one player "
        f"(insert {s['insert_s']:.1f} s, aggregates {s['aggregate_s']:.1f} s, "
        f"{s['applied']} (match, player) pairs)"
    )
    print(f"GET /api/stats/users/<id> ({result['body_bytes']} bytes):")
    for name, x in (("platform", d), ("floor", f)):
        print(
            f"  {name:8}  p50 {x['p50']:6.2f} ms   p99 {x['p99']:6.2f} ms   "
            f"mean {x['mean']:6.2f} ms   CPU {x['cpu']:5.2f} ms/request"
        )
    print(
        f"  ratio     p50 {d['p50'] / f['p50']:6.1f}x     p99 {d['p99'] / f['p99']:6.1f}x"
        f"   budget p99 <= {budget:.0f} ms: {'met' if d['p99'] <= budget else 'MISSED'}"
    )
    m = result["match"]
    print(f"GET /api/stats/matches/<id>:        p50 {m['p50']:6.2f} ms   p99 {m['p99']:6.2f} ms")
    for period, b in result["leaderboard"].items():
        print(
            f"GET /api/stats/leaderboard?period={period}: "
            f"p50 {b['p50']:6.2f} ms   p99 {b['p99']:6.2f} ms"
        )


async def create_pg(url: str) -> tuple[str, str]:
    import asyncpg

    admin = url.replace("postgres://", "postgresql://", 1)
    name = f"stats_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return url.rpartition("/")[0] + "/" + name, name


async def drop_pg(url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def run_child(label: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    """One database per process: Tortoise caches SQL per model, per dialect, per process."""
    cmd = [sys.executable, __file__, "--one", url, "--label", label]
    for flag in ("matches", "opponents", "batch", "requests", "warmup"):
        cmd += [f"--{flag}", str(getattr(args, flag))]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"the {label} run failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


async def one(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="stats-bench-") as tmp:
        result = await run_one(args.label, args.one, args, Path(tmp))
    result["seed"] = {k: v for k, v in result["seed"].items() if k not in ("player", "token")}
    print(json.dumps(result))
    return 0


def main(args: argparse.Namespace) -> int:
    if args.one:
        return asyncio.run(one(args))
    load_before = os.getloadavg()
    results = []
    with tempfile.TemporaryDirectory(prefix="stats-bench-") as tmp:
        url = f"sqlite://{Path(tmp) / 'bench.sqlite3'}"
        results.append(run_child("SQLite (fresh file)", url, args))
    if args.database_url:
        pg_url, name = asyncio.run(create_pg(args.database_url))
        try:
            results.append(run_child(f"PostgreSQL (fresh database {name})", pg_url, args))
        finally:
            asyncio.run(drop_pg(args.database_url, name))
    print(
        f"stats bench: {args.matches} matches, {args.opponents} opponents, "
        f"{args.requests} sequential requests after {args.warmup} warm-up, Python "
        f"{sys.version.split()[0]}, {os.cpu_count()} CPUs, 1-min load average "
        f"{load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after"
    )
    for result in results:
        report(result, args.budget)
    return 0 if all(r["dashboard"]["p99"] <= args.budget for r in results) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server URL (postgres://user@host:port/db): a fresh database is "
        "created on it for the run and dropped afterwards",
    )
    parser.add_argument("--matches", type=int, default=10_000)
    parser.add_argument("--opponents", type=int, default=20)
    parser.add_argument("--batch", type=int, default=500, help="matches per aggregate update")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--budget", type=float, default=50.0, help="p99 budget in ms")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: one database, JSON out
    parser.add_argument("--label", default="", help=argparse.SUPPRESS)
    sys.exit(main(parser.parse_args()))
