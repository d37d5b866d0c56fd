"""`transcendence modules list|info|enable|disable`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from transcendence import registry
from transcendence.bus import BusUnavailable, make_bus
from transcendence.core import core_of
from transcendence_cli.context import CLIContext, console, print_json


def _describe(ctx: CLIContext) -> list[dict[str, Any]]:
    """The same description as `GET /api/modules`, from an app that is built but not served."""
    # Building the app loads Quart, the hub and every route: only the commands that need it.
    from transcendence.app import create_app
    from transcendence.describe import describe_modules  # loads the module's routes, as above

    async def run() -> list[dict[str, Any]]:
        app = create_app(ctx.settings, ctx.modules)
        core = core_of(app)
        async with ctx.database():
            core.registry.enabled = frozenset(await registry.read_enabled(ctx.modules))
            failures = await registry.stored_failures()
        entries = describe_modules(app)
        for entry in entries:
            # What this process never started is what running nodes report: their failures.
            entry["startup_errors"] = failures.get(entry["name"], [])
        return entries

    return ctx.run(run)


async def _announce(ctx: CLIContext, changed: list[str]) -> str:
    """Push the toggle to running nodes; what to add to the command's line when it could not.

    Every node also re-reads the module table every `TRANSCENDENCE_MODULE_SYNC_INTERVAL`
    seconds, so an announcement that cannot be made only delays the change.
    """
    if not changed:
        return ""
    within = f"nodes pick it up within {ctx.settings.module_sync_interval:g} s"
    if not ctx.settings.redis_url:
        return f"; could not announce over the bus (no REDIS_URL): {within}"
    bus = make_bus(ctx.settings.redis_url)
    await bus.start()
    try:
        await registry.announce(bus, changed)
    except BusUnavailable as exc:
        return f"; could not announce over the bus ({exc}): {within}"
    finally:
        await bus.close()
    return ""


def register(cli: typer.Typer, ctx: CLIContext) -> None:
    app = typer.Typer(help="List, inspect, enable and disable modules.", no_args_is_help=True)
    cli.add_typer(app, name="modules")

    @app.command("list")
    def list_(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False):
        """Every installed module and whether it is enabled."""
        entries = _describe(ctx)
        if as_json:
            print_json(entries)
            return
        table = Table("name", "enabled", "version", "requires", "title")
        for e in entries:
            failed = len(e["startup_errors"])
            table.add_row(
                e["name"],
                (
                    f"[red]failed on {failed} node{'s' if failed > 1 else ''}[/]"
                    if failed
                    else "[green]yes[/]"
                    if e["configured"]
                    else "[yellow]yes, not configured[/]"
                )
                if e["enabled"]
                else "[red]no[/]",
                e["version"],
                ", ".join(e["requires"]) or "-",
                e["title"],
            )
        console.print(table if entries else "no modules installed")

    @app.command()
    def info(name: str, as_json: Annotated[bool, typer.Option("--json")] = False):
        """What one module is and everything it registers."""
        entries = {e["name"]: e for e in _describe(ctx)}
        entry = entries.get(name)
        if entry is None:
            ctx.modules.get(name)  # raises the readable "no module named" error
            return
        if as_json:
            print_json(entry)
            return
        console.print(
            f"[bold]{entry['title']}[/] ({entry['name']} {entry['version']}) — "
            f"{'[green]enabled[/]' if entry['enabled'] else '[red]disabled[/]'}"
        )
        if entry["description"]:
            console.print(entry["description"])
        console.print(f"requires: {', '.join(entry['requires']) or '-'}")
        if entry["configured"]:
            console.print("configured: yes")
        else:
            console.print(f"configured: [yellow]no[/] — {entry['status_message']}", highlight=False)
        for failure in entry["startup_errors"]:
            console.print(
                f"did not start on {failure['node']} (since {failure['at']}): {failure['error']}",
                highlight=False,
                soft_wrap=True,
            )
        for key, values in entry["provides"].items():
            if isinstance(values, list):
                console.print(f"{key}: {', '.join(values) or '-'}")
            elif values:
                console.print(f"{key}: {values}")

    @app.command()
    def enable(name: str):
        """Enable a module (its requirements must be enabled)."""

        async def run() -> tuple[list[str], str]:
            async with ctx.database():
                changed = await registry.enable(ctx.modules, name)
            return changed, await _announce(ctx, changed)

        changed, note = ctx.run(run)
        console.print(
            f"enabled {name}{note}" if changed else f"{name} was already enabled",
            highlight=False,
            soft_wrap=True,
        )

    @app.command()
    def disable(
        name: str,
        force: Annotated[
            bool, typer.Option("--force", help="Also disable modules that need it.")
        ] = False,
    ):
        """Disable a module (refused while an enabled module requires it, unless --force)."""

        async def run() -> tuple[list[str], str]:
            async with ctx.database():
                changed = await registry.disable(ctx.modules, name, force=force)
            return changed, await _announce(ctx, changed)

        changed, note = ctx.run(run)
        console.print(
            f"disabled {', '.join(changed)}{note}" if changed else f"{name} was already disabled",
            highlight=False,
            soft_wrap=True,
        )
