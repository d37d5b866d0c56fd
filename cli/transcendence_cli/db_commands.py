"""`transcendence db migrate|status|makemigrations` (Tortoise 1.x's own migration system)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from transcendence import db
from transcendence_cli.context import CLIContext, console, print_json


def register(cli: typer.Typer, ctx: CLIContext) -> None:
    app = typer.Typer(help="Database migrations.", no_args_is_help=True)
    cli.add_typer(app, name="db")

    @app.command()
    def migrate():
        """Apply every pending migration of the core and of every installed module."""

        def progress(event: str, app_label: str, name: str) -> None:
            if event == "apply_done":
                console.print(f"  applied {app_label}.{name}")

        async def run() -> None:
            async with ctx.database(migrated=False) as config:
                pending = await db.pending_migrations(config)
                await db.migrate(config, progress=progress)
                console.print(f"database up to date ({len(pending)} migration(s) applied)")

        ctx.run(run)

    @app.command()
    def status(as_json: Annotated[bool, typer.Option("--json")] = False):
        """Applied and pending migrations (exit 2 while some are pending); changes nothing."""

        async def run():
            # Opening checks the database answers: an unreachable one is an error, not a
            # list of "pending" (Tortoise reads a missing migrations table as none applied).
            async with ctx.database(migrated=False) as config:
                return await db.applied_migrations(), await db.pending_migrations(config)

        applied, pending = ctx.run(run)
        if as_json:
            print_json(
                {
                    "applied": [".".join(m) for m in applied],
                    "pending": [".".join(m) for m in pending],
                }
            )
            raise typer.Exit(2 if pending else 0)
        table = Table("app", "migration", "state")
        for app_label, name in applied:
            table.add_row(app_label, name, "[green]applied[/]")
        for app_label, name in pending:
            table.add_row(app_label, name, "[yellow]pending[/]")
        console.print(table)
        if pending:
            raise typer.Exit(2)

    @app.command()
    def makemigrations(
        apps: Annotated[list[str] | None, typer.Argument(help="App labels (modules).")] = None,
    ):
        """Write migration files for model changes (for module authors)."""

        async def run() -> list[str]:
            return await db.make_migrations(db.tortoise_config(ctx.settings, ctx.modules), apps)

        written = ctx.run(run)
        for line in written:
            console.print(f"created {line}")
        if not written:
            console.print("no changes detected")
