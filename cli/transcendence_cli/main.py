"""`transcendence`: serve the app, toggle modules, migrate, check a deployment.

The CLI is built after modules are loaded, so enabled modules' commands are part of it
from the start (no import-time registration, no reloading in tests).
"""

from __future__ import annotations

import asyncio
import sys

import typer

from transcendence.plugins import ModuleError
from transcendence.settings import SettingsError
from transcendence_cli import (
    certs_commands,
    db_commands,
    modules_commands,
    ops_commands,
    users_commands,
)
from transcendence_cli.context import CLIContext, CLIError, err_console


def _enabled_modules(ctx: CLIContext) -> set[str]:
    from transcendence.registry import read_enabled

    async def read() -> set[str]:
        async with ctx.database():
            return await read_enabled(ctx.modules)

    return asyncio.run(read())


CORE_COMMANDS = {"serve", "doctor", "modules", "db", "users", "certs"}


def build_cli(ctx: CLIContext | None = None, argv: list[str] | None = None) -> typer.Typer:
    ctx = ctx or CLIContext()
    cli = typer.Typer(
        name="transcendence",
        help="Transcendence: a Pong platform built from pluggable modules.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    ops_commands.register(cli, ctx)
    modules_commands.register(cli, ctx)
    db_commands.register(cli, ctx)
    users_commands.register(cli, ctx)
    certs_commands.register(cli, ctx)
    try:
        enabled = _enabled_modules(ctx) if ctx.modules.modules else set()
    except Exception as exc:
        # The core commands (doctor, db, serve) must keep working when the database
        # does not; module commands come back once it answers. Say so only when the
        # user asked for something that is not a core command.
        args = sys.argv[1:] if argv is None else argv
        if args and args[0] not in CORE_COMMANDS and not args[0].startswith("-"):
            err_console.print(f"[yellow]warning:[/] module commands unavailable: {exc}")
        enabled = set()
    for module in ctx.modules:
        if module.name in enabled:
            ctx.modules.call_for(module, "register_commands", cli=cli)
    return cli


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code. Usage errors exit 2, failures 1, never a traceback."""
    try:
        cli = build_cli(argv=argv)
        command = typer.main.get_command(cli)
        # Standalone mode: click prints usage errors itself and exits through SystemExit.
        command.main(args=argv, prog_name="transcendence", standalone_mode=True)
        return 0
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except (CLIError, ModuleError, SettingsError, OSError) as exc:
        err_console.print(f"[red]error:[/] {exc}", highlight=False)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # never a traceback to a user
        err_console.print(f"[red]error:[/] {type(exc).__name__}: {exc}", highlight=False)
        return 1


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
