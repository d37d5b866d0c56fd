"""`transcendence`: serve the app, toggle modules, migrate, check a deployment.

The CLI is built after modules are loaded, so enabled modules' commands are part of it
from the start (no import-time registration, no reloading in tests).
"""

from __future__ import annotations

import asyncio
import sys

import click
import typer

from transcendence.plugins import ModuleError
from transcendence.settings import SettingsError
from transcendence_cli import db_commands, modules_commands, ops_commands
from transcendence_cli.context import CLIContext, CLIError, err_console


def _enabled_modules(ctx: CLIContext) -> set[str]:
    from transcendence.registry import read_enabled

    async def read() -> set[str]:
        async with ctx.database():
            return await read_enabled(ctx.modules)

    return asyncio.run(read())


def build_cli(ctx: CLIContext | None = None) -> typer.Typer:
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
    try:
        enabled = _enabled_modules(ctx) if ctx.modules.modules else set()
    except Exception as exc:
        # The core commands (doctor, db, serve) must keep working when the database
        # does not; module commands come back once it answers.
        err_console.print(f"[yellow]warning:[/] module commands unavailable: {exc}")
        enabled = set()
    for module in ctx.modules:
        if module.name in enabled:
            ctx.modules.call_for(module, "register_commands", cli=cli)
    return cli


def main(argv: list[str] | None = None) -> int:
    try:
        cli = build_cli()
        command = typer.main.get_command(cli)
        command.main(args=argv, prog_name="transcendence", standalone_mode=False)
        return 0
    except (CLIError, ModuleError, SettingsError) as exc:
        err_console.print(f"[red]error:[/] {exc}")
        return 1
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        err_console.print("[red]aborted[/]")
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except OSError as exc:
        err_console.print(f"[red]error:[/] {exc}")
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # never a traceback to a user
        err_console.print(f"[red]error:[/] {type(exc).__name__}: {exc}")
        return 1


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
