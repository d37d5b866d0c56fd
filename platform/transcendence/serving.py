"""Hypercorn workers that shut down gracefully (`transcendence serve`).

Hypercorn alone, on SIGTERM, stops listening, waits up to its graceful timeout for every
open connection to end and only then runs the app's shutdown: a WebSocket never ends by
itself, so each one would be cut after the timeout without a close frame, and modules would
learn about the shutdown once nobody was connected any more. These workers give Hypercorn a
shutdown trigger that first drains the app (`Core.drain`: not ready, module
shutdown hooks, a 1001 close frame on every socket), and only then lets Hypercorn stop
listening and finish the in-flight HTTP requests; the bus and the database close last, in
the app's own shutdown. The order is documented in docs/operations.md.

A server that cannot start says why in one line (`ServeError`) and exits: a port in use,
a TLS file that is not a certificate, or the app's own start failing (an unreachable Redis,
an unmigrated database, a module's bad setting). "Running at" is said once it listens.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
import ssl
import sys
from collections.abc import Callable
from functools import partial
from multiprocessing import get_context
from multiprocessing.connection import wait as wait_for_any
from multiprocessing.synchronize import Event as EventType
from typing import Any

import hypercorn.run
from hypercorn.asyncio.run import _run, worker_serve
from hypercorn.config import Config, Sockets
from hypercorn.utils import check_multiprocess_shutdown_event, load_application

from transcendence.core import core_of

log = logging.getLogger("transcendence.serving")
SIGNALS = ("SIGINT", "SIGTERM")


class ServeError(Exception):
    """The server cannot start; the message is one line naming the cause and the fix."""


async def _signalled() -> None:
    """Return at the first SIGINT or SIGTERM (a single-process server)."""
    loop = asyncio.get_running_loop()
    event = asyncio.Event()
    for name in SIGNALS:
        loop.add_signal_handler(getattr(signal, name), event.set)
    await event.wait()


def _quart_app() -> Any:
    from transcendence.asgi import app  # importing it builds the app: load_application did

    return app


async def _drain_then_stop(wait: Callable[[], Any], ready_message: str | None) -> None:
    # Hypercorn awaits its shutdown trigger only once the app started and every socket
    # listens: the moment to say where the server is, and not before.
    if ready_message:
        print(ready_message, flush=True)
    await wait()
    try:
        await core_of(_quart_app()).drain()
    except Exception:  # a failing drain must not keep the process from stopping
        log.exception("draining the app failed; stopping anyway")


def _why_not_started(exc: BaseException) -> str:
    """One line for a failed start: the app's own reason when it gave one."""
    with contextlib.suppress(Exception):
        error = core_of(_quart_app()).startup_error
        if error is not None:
            exc = error
    if isinstance(exc, ServeError | ValueError) or type(exc).__module__.startswith("transcendence"):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def worker(
    config: Config,
    sockets: Sockets | None = None,
    shutdown_event: EventType | None = None,
    ready_message: str | None = None,
    errors: Any = None,
) -> None:
    """One Hypercorn worker (the process itself, or one of `--workers N`).

    A failure raises `ServeError`; a spawned worker (`errors` given) hands its line to the
    parent instead and exits 1, so that N failing workers still make one line.
    """
    try:
        _serve(config, sockets, shutdown_event, ready_message)
    except Exception as exc:
        message = _why_not_started(exc)
        if errors is None:
            raise ServeError(message) from None
        errors.put(message)
        sys.exit(1)


def _serve(
    config: Config,
    sockets: Sockets | None,
    shutdown_event: EventType | None,
    ready_message: str | None,
) -> None:
    app = load_application(config.application_path, config.wsgi_max_body_size)
    if shutdown_event is None:
        wait: Callable[[], Any] = _signalled
    else:
        # The parent process owns the signals and sets this event.
        wait = partial(check_multiprocess_shutdown_event, shutdown_event, asyncio.sleep)
    loop_factory = None
    if config.worker_class == "uvloop":
        import uvloop  # not on Windows (see the dependency's marker)

        loop_factory = uvloop.new_event_loop
    _run(
        partial(worker_serve, app, config, sockets=sockets),
        debug=config.debug,
        shutdown_trigger=partial(_drain_then_stop, wait, ready_message),
        loop_factory=loop_factory,
    )


def run(config: Config, ready_message: str | None = None) -> int:
    """`hypercorn.run.run`, with `worker` for its workers (the reloader keeps Hypercorn's).

    `ready_message` is printed once the server listens; `ServeError` says why it could not.
    """
    if config.use_reloader:
        if ready_message:
            print(ready_message, flush=True)
        return hypercorn.run.run(config)
    # Both checked before the app starts: Hypercorn loads the TLS files only after the
    # app's startup, and a failure there left the started app (and its database thread)
    # running, so the process never exited.
    _check_tls(config)
    sockets = _bind(config)
    if config.workers == 0:
        worker(config, sockets, ready_message=ready_message)
        return 0
    return _run_processes(config, sockets, ready_message)


def _check_tls(config: Config) -> None:
    if not config.ssl_enabled:
        return
    try:
        config.create_ssl_context()
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise ServeError(
            f"cannot use {config.certfile} and {config.keyfile} for TLS: "
            f"{getattr(exc, 'reason', None) or exc} (give a PEM certificate and its private "
            "key; `transcendence certs` writes a pair)"
        ) from None


def _bind(config: Config) -> Sockets:
    where = " and ".join(config.bind)
    try:
        return config.create_sockets()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(
                f"cannot listen on {where}: the port is already in use (stop the server "
                "using it, or choose another with --port)"
            ) from None
        raise ServeError(f"cannot listen on {where}: {exc.strerror or exc}") from None


def _run_processes(config: Config, sockets: Sockets, ready_message: str | None) -> int:
    """Hypercorn's multi-process supervisor, minus the reloader, spawning `worker`."""
    ctx = get_context("spawn")
    errors = ctx.SimpleQueue()
    shutdown_event = ctx.Event()
    # Children inherit "ignore SIGINT": Ctrl+C reaches the whole process group, and only
    # this parent decides (it sets the event every worker watches).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    processes = []
    for index in range(config.workers):
        process = ctx.Process(
            target=worker,
            kwargs={
                "config": config,
                "shutdown_event": shutdown_event,
                "sockets": sockets,
                # Said once, by the first worker, when it listens.
                "ready_message": ready_message if index == 0 else None,
                "errors": errors,
            },
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
        for sentinel in wait_for_any([p.sentinel for p in remaining]):
            for process in [p for p in remaining if p.sentinel == sentinel]:
                process.join()
                remaining.remove(process)
                if process.exitcode:
                    exitcode = exitcode or process.exitcode
                    shutdown_event.set()  # one worker failing stops the others, as Hypercorn
    for sock in [*sockets.secure_sockets, *sockets.insecure_sockets]:
        sock.close()
    if not errors.empty():
        raise ServeError(errors.get())  # the first worker's reason; the others say the same
    return exitcode
