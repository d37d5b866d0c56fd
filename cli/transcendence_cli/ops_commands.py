"""`transcendence serve` and `transcendence doctor`."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Annotated

import typer

from transcendence import db
from transcendence.bus import make_bus
from transcendence.hub.protocol import TRANSPORT_MAX_MESSAGE
from transcendence_cli.context import CLIContext, CLIError, console, err_console, print_json


def _hypercorn_config(
    host: str, port: int, workers: int, certfile: Path | None, keyfile: Path | None, reload: bool
):
    from hypercorn.config import Config

    config = Config()
    config.application_path = "transcendence.asgi:app"
    config.bind = [f"{host}:{port}"]
    # One worker runs in this process; more are spawned processes sharing the socket.
    config.workers = 0 if workers <= 1 and not reload else max(workers, 1)
    config.use_reloader = reload
    # After the app drained (sockets closed with 1001, module shutdown hooks run), what is
    # left is in-flight HTTP requests: they get this long to finish.
    config.graceful_timeout = 10
    config.accesslog = None
    # Frames above the hub's 64 KiB get an error frame; above this, Hypercorn closes (1009)
    # without assembling them (its default would buffer up to 16 MiB per socket).
    config.websocket_max_message_size = TRANSPORT_MAX_MESSAGE
    try:
        import uvloop  # noqa: F401

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
        host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
        workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
        certfile: Annotated[Path | None, typer.Option(help="TLS certificate (PEM).")] = None,
        keyfile: Annotated[Path | None, typer.Option(help="TLS private key (PEM).")] = None,
        reload: Annotated[bool, typer.Option(help="Restart on code changes.")] = False,
    ):
        """Serve the app with Hypercorn; SIGTERM or Ctrl+C shuts down gracefully."""
        from transcendence.serving import run

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
            # Each worker process would have its own in-process bus: a message for a socket
            # held by another worker would never reach it.
            err_console.print(
                f"warning: --workers {workers} without REDIS_URL: sockets on different "
                "workers cannot reach each other (chat, games, presence); set "
                "REDIS_URL=redis://... or serve with one worker",
                highlight=False,
                markup=False,
            )
        config = _hypercorn_config(host, port, workers, certfile, keyfile, reload)

        async def prepare() -> None:
            async with ctx.database() as _config:
                await db.ping()

        # Migrate once here rather than in every worker, which would race.
        ctx.run(prepare)
        os.environ["TRANSCENDENCE_AUTO_MIGRATE"] = "false"
        scheme = "https" if certfile else "http"
        shown = "localhost" if host in {"127.0.0.1", "0.0.0.0", "::"} else host  # noqa: S104
        console.print(
            f"Transcendence is running at [bold]{scheme}://{shown}:{port}/[/] "
            f"(API docs: {scheme}://{shown}:{port}/docs) — Ctrl+C stops it",
            highlight=False,
        )
        raise typer.Exit(run(config))

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
            async with ctx.database(migrate=False) as config:
                await db.ping()
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
                console.print(f"{mark} {name}: {detail}", highlight=False)
        raise typer.Exit(0 if healthy else 1)
