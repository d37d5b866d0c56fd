"""HTTP request-path benchmark: the platform's GETs against bare Quart's static JSON GET.

Two servers, each one Hypercorn process with the uvloop worker, measured in the same run:

- `floor`: `bench/http_floor.py`, a bare Quart app whose one route returns a static JSON
  object (no auth, headers, metrics or database);
- `platform`: `transcendence serve` with every installed module, on its embedded defaults
  (SQLite, in-process bus), or on PostgreSQL with `--database-url` (a fresh database made
  on that server for the run and dropped after).

A user signs up and logs in over HTTP (a real access token, re-issued each round by a new
login so that no token outlives its 15 minutes), opens direct chats with three others and
sends a message in each, so `/api/chats/` lists three chats with a last message. Then `wrk`
(`apt-get install wrk`) drives each endpoint in turn, `wrk -t1 -c50 -d5s`, with the
`Authorization` header where the route needs one:

    floor GET /   /healthz   /api/modules   /api/me/ (auth)   /api/chats/ (auth)

in rounds that rotate the order, so load from elsewhere on the machine hits all alike.
Reported per endpoint: the median over rounds of requests/s, the median of the per-round
ratio to the floor (measured minutes apart at most, under the same load), requests per
CPU-second of the server, and wrk's p50/p99 latency. Any non-2xx answer fails the run.

    .venv/bin/python bench/http_bench.py                          # 3 rounds of 5 s
    .venv/bin/python bench/http_bench.py --rounds 5 --json /tmp/http.json
    .venv/bin/python bench/http_bench.py --database-url postgres://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/http_bench.py --profile /tmp/prof   # + py-spy of /api/me/, /healthz

Not run by the test suite: timing belongs here, not in assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import chat_bench  # noqa: E402 - its PostgreSQL database per run
import pong_bench  # noqa: E402 - its py-spy summary
import realtime_bench as rt  # noqa: E402 - ports, process helpers

PASSWORD = "bench-password-1234"
FRIENDS = 3


@dataclass
class Endpoint:
    name: str
    url: str
    pid: int
    auth: bool = False


def start_floor(workdir: Path) -> subprocess.Popen:
    port = rt.free_port()
    log = (workdir / "floor.log").open("w")
    process = subprocess.Popen(
        [sys.executable, str(BENCH / "http_floor.py"), "--port", str(port)],
        env=dict(os.environ, PYTHONPATH=str(BENCH)),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    process.url = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    rt.wait_http(f"{process.url}/", process)  # type: ignore[attr-defined]
    return process


def start_platform(workdir: Path, database_url: str | None) -> subprocess.Popen:
    var = workdir / "platform"
    var.mkdir()
    env = rt.platform_env(var, database_url=database_url)
    cli = [sys.executable, "-m", "transcendence_cli.main"]
    subprocess.run([*cli, "db", "migrate"], env=env, cwd=rt.ROOT, check=True, capture_output=True)
    port = rt.free_port()
    log = (workdir / "platform.log").open("w")
    process = subprocess.Popen(
        [*cli, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=rt.ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    process.url = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    rt.wait_http(f"{process.url}/healthz", process)  # type: ignore[attr-defined]
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _ok(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 300:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text}")
    return response.json()


def login(base: str, username: str) -> str:
    body = {"username": username, "password": PASSWORD}
    return _ok(httpx.post(f"{base}/api/auth/login", json=body))["access"]


def seed(base: str) -> None:
    """The measured user, three others, a direct chat with each and a message in each."""
    names = ["bench"] + [f"friend{i}" for i in range(FRIENDS)]
    ids = {}
    for name in names:
        body = {"username": name, "email": f"{name}@example.test", "password": PASSWORD}
        ids[name] = _ok(httpx.post(f"{base}/api/auth/signup", json=body))["user"]["id"]
    headers = {"Authorization": f"Bearer {login(base, 'bench')}"}
    for name in names[1:]:
        chat = _ok(
            httpx.post(
                f"{base}/api/chats/create_private/", json={"user_id": ids[name]}, headers=headers
            )
        )
        _ok(
            httpx.post(
                f"{base}/api/messages/",
                json={"chat": chat["id"], "text": f"hello {name}"},
                headers=headers,
            )
        )


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def wrk(endpoint: Endpoint, args: argparse.Namespace, token: str, seconds: float) -> dict:
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{int(seconds)}s",
        "--latency",
        "--timeout",  # on a loaded machine slow answers are measured, not dropped (2 s)
        "30s",
    ]
    if endpoint.auth:
        command += ["-H", f"Authorization: Bearer {token}"]
    cpu = rt.cpu_seconds(endpoint.pid)
    out = subprocess.run(
        [*command, endpoint.url], check=True, capture_output=True, text=True
    ).stdout
    cpu = rt.cpu_seconds(endpoint.pid) - cpu
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    if bad or errors:
        raise RuntimeError(f"{endpoint.name}: failed requests\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    return {
        "rps": rps,
        "per_cpu_s": total / cpu if cpu else 0.0,
        "server_cpu_share": cpu / seconds,
        "p50_ms": _ms(latency["50"]),
        "p99_ms": _ms(latency["99"]),
    }


def profile(endpoint: Endpoint, args: argparse.Namespace, token: str, out_dir: Path) -> str:
    """py-spy the server while wrk drives one endpoint (an extra run, not a measured one)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{endpoint.name.strip('/').replace('/', '_')}.txt"
    seconds = max(args.seconds, 10)
    driver = threading.Thread(target=wrk, args=(endpoint, args, token, seconds + 2))
    driver.start()
    time.sleep(1)  # wrk's connections are open
    try:
        pong_bench.py_spy(endpoint.pid, seconds, out)
    finally:
        driver.join()
    return str(out)


def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="httpbench-"))
    database_url = chat_bench.make_pg_database(args.database_url) if args.database_url else None
    processes: list[subprocess.Popen] = []
    try:
        floor = start_floor(workdir)
        processes.append(floor)
        platform = start_platform(workdir, database_url)
        processes.append(platform)
        base = platform.url  # type: ignore[attr-defined]
        seed(base)
        endpoints = [
            Endpoint("floor", f"{floor.url}/", floor.pid),  # type: ignore[attr-defined]
            Endpoint("/healthz", f"{base}/healthz", platform.pid),
            Endpoint("/api/modules", f"{base}/api/modules", platform.pid),
            Endpoint("/api/me/", f"{base}/api/me/", platform.pid, auth=True),
            Endpoint("/api/chats/", f"{base}/api/chats/", platform.pid, auth=True),
        ]
        report: dict[str, Any] = {
            "args": {k: str(v) for k, v in vars(args).items()},
            "cpus": os.cpu_count(),
            "load_before": os.getloadavg(),
            "database": "postgresql" if database_url else "sqlite",
        }
        token = login(base, "bench")
        for endpoint in endpoints:  # warm-up: first-use caches, the database's pages
            wrk(endpoint, args, token, 1)
        runs: dict[str, list[dict[str, float]]] = {e.name: [] for e in endpoints}
        for round_ in range(args.rounds):
            token = login(base, "bench")
            shift = round_ % len(endpoints)
            for endpoint in endpoints[shift:] + endpoints[:shift]:
                result = wrk(endpoint, args, token, args.seconds)
                runs[endpoint.name].append(result)
                print(f"round {round_} {endpoint.name}: {result}", flush=True)
        floor_runs = runs["floor"]
        entries = {}
        for name, results in runs.items():
            entry = {key: statistics.median(r[key] for r in results) for key in results[0]}
            # Ratios of runs taken in the same round see the same machine load.
            for key in ("rps", "per_cpu_s"):
                entry[f"ratio_{key}"] = statistics.median(
                    r[key] / f[key] for r, f in zip(results, floor_runs, strict=True)
                )
            entry["rounds"] = results
            entries[name] = entry
        report["endpoints"] = entries
        report["load_after"] = os.getloadavg()
        if args.profile:
            token = login(base, "bench")
            report["profiles"] = [
                profile(e, args, token, args.profile)
                for e in endpoints
                if e.name in args.profile_endpoints
            ]
        return report
    finally:
        for process in processes:
            stop(process)
        if database_url:
            chat_bench.drop_pg_database(args.database_url, database_url)
        shutil.rmtree(workdir, ignore_errors=True)


def print_table(report: dict[str, Any]) -> None:
    print()
    print(
        f"{report['cpus']} CPUs, {report['database']}; load average before "
        f"{report['load_before'][0]:.2f}, after {report['load_after'][0]:.2f}"
    )
    print("| endpoint | req/s | ratio | req per server CPU-s | ratio | p50 / p99 ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, e in report["endpoints"].items():
        print(
            f"| {name} | {e['rps']:,.0f} | {e['ratio_rps']:.2f}x | {e['per_cpu_s']:,.0f} | "
            f"{e['ratio_per_cpu_s']:.2f}x | {e['p50_ms']:.1f} / {e['p99_ms']:.1f} |"
        )
    for path in report.get("profiles", []):
        print(f"profile: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--database-url", help="PostgreSQL server for a fresh database")
    parser.add_argument("--profile", type=Path, help="py-spy /healthz and /api/me/ into here")
    parser.add_argument(
        "--profile-endpoints",
        type=lambda text: text.split(","),
        default=["/healthz", "/api/me/"],
        help="which endpoints --profile samples (comma-separated)",
    )
    parser.add_argument("--json", type=Path, help="write the full report here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    report = run(args)
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
