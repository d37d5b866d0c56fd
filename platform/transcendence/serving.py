"""Hypercorn workers that shut down gracefully (`transcendence serve`).

Hypercorn alone, on SIGTERM, stops listening, waits up to its graceful timeout for every
open connection to end and only then runs the app's shutdown: a WebSocket never ends by
itself, so each one would be cut after the timeout without a close frame, and modules would
learn about the shutdown once nobody was connected any more. These workers give Hypercorn a
shutdown trigger that first drains the app (`transcendence.app.drain`: not ready, module
shutdown hooks, a 1001 close frame on every socket), and only then lets Hypercorn stop
listening and finish the in-flight HTTP requests; the bus and the database close last, in
the app's own shutdown. The order is documented in docs/operations.md.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from functools import partial
from multiprocessing.synchronize import Event as EventType
from typing import Any

from hypercorn.asyncio.run import _run, worker_serve
from hypercorn.config import Config, Sockets
from hypercorn.utils import check_multiprocess_shutdown_event, load_application

log = logging.getLogger("transcendence.serving")
SIGNALS = ("SIGINT", "SIGTERM")


async def _signalled() -> None:
    """Return at the first SIGINT or SIGTERM (a single-process server)."""
    loop = asyncio.get_running_loop()
    event = asyncio.Event()
    for name in SIGNALS:
        loop.add_signal_handler(getattr(signal, name), event.set)
    await event.wait()


def _quart_app() -> Any:
    from transcendence.asgi import app  # already imported by load_application

    return app


async def _drain_then_stop(wait: Callable[[], Any]) -> None:
    from transcendence.app import drain

    await wait()
    try:
        await drain(_quart_app())
    except Exception:  # a failing drain must not keep the process from stopping
        log.exception("draining the app failed; stopping anyway")


def worker(
    config: Config,
    sockets: Sockets | None = None,
    shutdown_event: EventType | None = None,
) -> None:
    """One Hypercorn worker (the process itself, or one of `--workers N`)."""
    app = load_application(config.application_path, config.wsgi_max_body_size)
    if shutdown_event is None:
        wait: Callable[[], Any] = _signalled
    else:
        # The parent process owns the signals and sets this event.
        wait = partial(check_multiprocess_shutdown_event, shutdown_event, asyncio.sleep)
    loop_factory = None
    if config.worker_class == "uvloop":
        import uvloop

        loop_factory = uvloop.new_event_loop
    _run(
        partial(worker_serve, app, config, sockets=sockets),
        debug=config.debug,
        shutdown_trigger=partial(_drain_then_stop, wait),
        loop_factory=loop_factory,
    )


def run(config: Config) -> int:
    """`hypercorn.run.run`, with `worker` for its workers (the reloader keeps Hypercorn's)."""
    import hypercorn.run

    if config.use_reloader:
        return hypercorn.run.run(config)
    if config.workers == 0:
        worker(config, config.create_sockets())
        return 0
    return _run_processes(config)


def _run_processes(config: Config) -> int:
    """Hypercorn's multi-process supervisor, minus the reloader, spawning `worker`."""
    from multiprocessing import get_context
    from multiprocessing.connection import wait

    sockets = config.create_sockets()
    ctx = get_context("spawn")
    shutdown_event = ctx.Event()
    # Children inherit "ignore SIGINT": Ctrl+C reaches the whole process group, and only
    # this parent decides (it sets the event every worker watches).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    processes = []
    for _ in range(config.workers):
        process = ctx.Process(
            target=worker,
            kwargs={"config": config, "shutdown_event": shutdown_event, "sockets": sockets},
        )
        process.daemon = config.daemon
        process.start()
        processes.append(process)

    def shutdown(*_: Any) -> None:
        shutdown_event.set()

    for name in SIGNALS:
        signal.signal(getattr(signal, name), shutdown)
    exitcode = 0
    remaining = list(processes)
    while remaining:
        for sentinel in wait([p.sentinel for p in remaining]):
            for process in [p for p in remaining if p.sentinel == sentinel]:
                process.join()
                remaining.remove(process)
                if process.exitcode:
                    exitcode = exitcode or process.exitcode
                    shutdown_event.set()  # one worker failing stops the others, as Hypercorn
    for sock in [*sockets.secure_sockets, *sockets.insecure_sockets]:
        sock.close()
    return exitcode
