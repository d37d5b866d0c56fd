"""How every floor is served: one Hypercorn process with the uvloop worker, as the benchmarks
run the platform (`transcendence serve` with one worker), on `--port`."""

from __future__ import annotations

import argparse


def serve(application_path: str) -> None:
    """Serve `application_path` ("module:app", importable from bench/) on `--port`."""
    from hypercorn.config import Config
    from hypercorn.run import run

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    config = Config()
    config.application_path = application_path
    config.bind = [f"127.0.0.1:{args.port}"]
    config.workers = 0  # in this process, like `transcendence serve` with one worker
    config.worker_class = "uvloop"
    config.accesslog = None
    config.graceful_timeout = 2
    raise SystemExit(run(config))
