"""`transcendence`: serve the app, toggle modules, migrate, check a deployment.

The CLI is built after modules are loaded, with the commands of every installed module
(entry points, no database): building it opens nothing, so `--help` works whatever state
the database is in. Whether a module is enabled is checked when one of its commands runs.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import typer
from typer.core import TyperGroup

from transcendence.plugins import Module, ModuleError
from transcendence.settings import SettingsError
from transcendence_cli import (
    certs_commands,
    db_commands,
    modules_commands,
    ops_commands,
    users_commands,
)
from transcendence_cli.context import CLIContext, CLIError, err_console


def _guarded(callback: Callable[..., Any], ctx: CLIContext, module: Module) -> Callable[..., Any]:
    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        ctx.require_enabled(module.name)
        return callback(*args, **kwargs)

    return run


def _guard(command: Any, ctx: CLIContext, module: Module) -> None:
    """Check the module is enabled before any of its commands runs (after parsing, so
    `transcendence <module command> --help` still opens nothing). Click objects are typed
    `Any`: typer vendors its own click."""
    subcommands = getattr(command, "commands", None)
    if isinstance(subcommands, dict):
        for sub in subcommands.values():
            _guard(sub, ctx, module)
    elif command.callback is not None:
        command.callback = _guarded(command.callback, ctx, module)


def build_cli(ctx: CLIContext | None = None) -> TyperGroup:
    """The whole command tree: the core's commands, then every installed module's."""
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
    root = typer.main.get_group(cli)
    assert isinstance(root, TyperGroup)
    for module in ctx.modules:
        probe = typer.Typer()
        ctx.modules.call_for(module, "register_commands", cli=probe)
        if not (probe.registered_commands or probe.registered_groups):
            continue
        for name, command in typer.main.get_group(probe).commands.items():
            if name in root.commands:
                raise ModuleError(f"module {module.name} registers a command {name!r} that exists")
            _guard(command, ctx, module)
            root.add_command(command, name)
    return root


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code. Usage errors exit 2, failures 1, never a traceback."""
    try:
        command = build_cli()
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
