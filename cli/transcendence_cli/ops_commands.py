"""`transcendence serve` and `transcendence doctor`."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from pathlib import Path
from typing import Annotated

import typer
from hypercorn.config import Config

from transcendence import db
from transcendence.bus import BusUnavailable, make_bus
from transcendence_cli.context import CLIContext, CLIError, console, err_console, print_json

LOOPBACK_NAMES = {"localhost", "loopback"}


def _ipv6_loopback_available() -> bool:
    """Whether ::1 can be bound here (containers often run without IPv6)."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


def _binds(host: str, port: int) -> tuple[list[str], str]:
    """Hypercorn's binds for `--host`, and the host to print: what is printed is bound.

    "localhost" means both loopback addresses (a browser may try ::1 first); a wildcard
    address is printed as the loopback address of its family, which reaches it from here.
    """
    if host in LOOPBACK_NAMES:
        if _ipv6_loopback_available():
            return [f"127.0.0.1:{port}", f"[::1]:{port}"], "localhost"
        return [f"127.0.0.1:{port}"], "127.0.0.1"
    if ":" in host:  # an IPv6 address
        bare = host.strip("[]")
        return [f"[{bare}]:{port}"], "[::1]" if bare == "::" else f"[{bare}]"
    return [f"{host}:{port}"], "127.0.0.1" if host == "0.0.0.0" else host  # noqa: S104


def _hypercorn_config(
    binds: list[str],
    workers: int,
    certfile: Path | None,
    keyfile: Path | None,
    reload: bool,
):
    from transcendence.hub.protocol import TRANSPORT_MAX_MESSAGE  # the hub: for `serve` only

    config = Config()
    config.application_path = "transcendence.asgi:app"
    config.bind = binds
    # One worker runs in this process; more are spawned processes sharing the socket.
    config.workers = 0 if workers <= 1 and not reload else max(workers, 1)
    config.use_reloader = reload
    # After the app drained (sockets closed with 1001, module shutdown hooks run), what is
    # left is in-flight HTTP requests: they get this long to finish.
    config.graceful_timeout = 10
    config.accesslog = None
    # Hypercorn's own lines ("Running on …", lifespan failures) go through our root handler
    # only: by default it adds a stderr handler of its own and propagates too (each line twice).
    config.errorlog = logging.getLogger("hypercorn.error")
    # Frames above the hub's 64 KiB get an error frame; above this, Hypercorn closes (1009)
    # without assembling them (its default would buffer up to 16 MiB per socket).
    config.websocket_max_message_size = TRANSPORT_MAX_MESSAGE
    try:
        import uvloop  # noqa: F401  # not on Windows (see the dependency's marker)

        config.worker_class = "uvloop"
    except ImportError:
        config.worker_class = "asyncio"
    if certfile or keyfile:
        if not (certfile and keyfile):
            raise CLIError("--certfile and --keyfile go together")
        for path in (certfile, keyfile):
            if not path.is_file():
                raise CLIError(f"TLS file not found: {path}")
        config.certfile, config.keyfile = str(certfile), str(keyfile)
    return config


def register(cli: typer.Typer, ctx: CLIContext) -> None:
    @cli.command()
    def serve(
        host: Annotated[
            str,
            typer.Option(help="Address to bind (localhost: both 127.0.0.1 and ::1)."),
        ] = "localhost",
        port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
        workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
        certfile: Annotated[Path | None, typer.Option(help="TLS certificate (PEM).")] = None,
        keyfile: Annotated[Path | None, typer.Option(help="TLS private key (PEM).")] = None,
        reload: Annotated[bool, typer.Option(help="Restart on code changes.")] = False,
    ):
        """Serve the app with Hypercorn; SIGTERM or Ctrl+C shuts down gracefully."""
        from transcendence.serving import ServeError, run  # the server: for `serve` only

        settings = ctx.settings
        if certfile:
            os.environ["TRANSCENDENCE_TLS_CERTFILE"] = str(certfile)
            settings.tls_certfile = certfile
        if keyfile:
            os.environ["TRANSCENDENCE_TLS_KEYFILE"] = str(keyfile)
            settings.tls_keyfile = keyfile
        settings.check()
        settings.resolved_secret()  # generate it once here, not racily in each worker
        if workers > 1 and not settings.redis_url:
            err_console.print(
                f"[yellow]warning:[/] --workers {workers} without REDIS_URL: each worker has "
                "its own in-process bus, so sockets on different workers cannot reach each "
                "other (set REDIS_URL)",
                highlight=False,
            )
        binds, shown = _binds(host, port)
        config = _hypercorn_config(binds, workers, certfile, keyfile, reload)

        async def prepare() -> None:
            async with ctx.database(migrated=False) as config:
                if settings.should_auto_migrate:
                    await db.migrate(config)
                else:
                    try:
                        await db.require_migrated(config)
                    except db.NotMigrated as exc:
                        raise CLIError(str(exc)) from None
            if settings.redis_url:
                bus = make_bus(settings.redis_url)
                try:
                    await bus.ping()
                except BusUnavailable as exc:
                    raise CLIError(f"{exc} (check REDIS_URL and that Redis is running)") from None
                finally:
                    await bus.close()

        # Checked (and migrated) once here rather than in every worker, which would race.
        ctx.run(prepare)
        os.environ["TRANSCENDENCE_AUTO_MIGRATE"] = "false"
        scheme = "https" if certfile else "http"
        base = f"{scheme}://{shown}:{port}/"
        ready = f"Transcendence is running at {base} (API docs: {base}docs) — Ctrl+C stops it"
        try:
            raise typer.Exit(run(config, ready))
        except ServeError as exc:
            raise CLIError(str(exc)) from None

    @cli.command()
    def doctor(as_json: Annotated[bool, typer.Option("--json")] = False):
        """Check settings, database, bus and TLS files; exit 0 only when all are healthy."""
        results: list[tuple[str, bool, str]] = []
        settings = ctx.settings
        try:
            settings.check()
            results.append(("settings", True, f"{settings.env} mode"))
        except Exception as exc:
            results.append(("settings", False, str(exc)))
        results.append(("secret", *settings.secret_status()))

        async def check_database() -> str:
            async with ctx.database(migrated=False) as config:
                pending = await db.pending_migrations(config)
            if pending:
                raise CLIError(
                    f"{len(pending)} pending migration(s): run `transcendence db migrate`"
                )
            return settings.effective_database_url.split("://", 1)[0]

        async def check_bus() -> str:
            bus = make_bus(settings.redis_url)
            await bus.start()
            try:
                async with asyncio.timeout(3):
                    await bus.ping()
            finally:
                await bus.close()
            return bus.name

        for name, check in (("database", check_database), ("bus", check_bus)):
            try:
                results.append((name, True, ctx.run(check)))
            except Exception as exc:
                results.append((name, False, str(exc) or type(exc).__name__))
        for label, path in (
            ("tls certfile", settings.tls_certfile),
            ("tls keyfile", settings.tls_keyfile),
        ):
            if path is not None:
                ok = Path(path).is_file()
                results.append((label, ok, str(path) if ok else f"{path} not found"))
        try:
            ctx.modules  # noqa: B018 - loading them is the check
            results.append(("modules", True, ", ".join(sorted(ctx.modules.modules)) or "none"))
        except Exception as exc:
            results.append(("modules", False, str(exc)))

        healthy = all(ok for _, ok, _ in results)
        if as_json:
            print_json(
                {
                    "healthy": healthy,
                    "checks": [{"name": n, "ok": ok, "detail": d} for n, ok, d in results],
                }
            )
        else:
            for name, ok, detail in results:
                mark = "[green]ok[/]  " if ok else "[red]FAIL[/]"
                console.print(f"{mark} {name}: {detail}", highlight=False, soft_wrap=True)
        raise typer.Exit(0 if healthy else 1)
