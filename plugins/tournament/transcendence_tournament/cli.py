"""`transcendence tournaments seed|list`."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.table import Table

from transcendence.commands import CLIContext, CLIError, console, print_json
from transcendence.errors import APIError
from transcendence.games import game_of
from transcendence_tournament.models import Tournament
from transcendence_tournament.seeding import enabled_hooks, match_finished_hook, seed_tournament
from transcendence_tournament.service import FORMATS


def register(app: typer.Typer) -> None:
    @app.command()
    def seed(
        players: Annotated[int, typer.Option(min=3, max=16, help="How many demo players.")] = 8,
        bracket: Annotated[str, typer.Option("--format", help="single or round_robin.")] = "single",
        play: Annotated[bool, typer.Option(help="Play every match out (simulated).")] = False,
        game_name: Annotated[str, typer.Option("--game", help="The game played.")] = "pong",
    ):
        """Create demo players and a tournament; with --play, play it to its winner."""
        if bracket not in FORMATS:
            raise typer.BadParameter(f"{bracket!r}: single or round_robin", param_hint="--format")
        ctx = CLIContext()
        if ctx.settings.production:
            # Demo players share one published password: never on a real deployment.
            raise CLIError(
                "tournaments seed creates demo accounts with a known password; "
                "it is refused in production (TRANSCENDENCE_ENV=production)"
            )

        async def run():
            async with ctx.database():
                hooks = await enabled_hooks(ctx.modules)
                try:
                    game = game_of(hooks, game_name)
                except APIError as exc:
                    raise CLIError(f"{exc.message}: `transcendence modules` lists them") from None
                if not play:
                    return await seed_tournament(players, bracket, game)
                if not game.ai_available(hooks):
                    raise CLIError(
                        f"--play needs an AI for {game.title} (bots play the matches), and "
                        "none is enabled here; pong's is the ai module: "
                        "`transcendence modules enable ai` turns it on"
                    )
                # Each played match goes through the `match_finished` hook, as in a server:
                # the dashboards (stats module) count it at once.
                return await seed_tournament(
                    players, bracket, game, hooks, match_finished_hook(hooks)
                )

        result = asyncio.run(run())
        console.print(
            f"tournament #{result['id']} {result['name']!r}: {players} players, "
            f"{bracket}, {result['status']}"
            + (f", won by {result['winner']}" if result["winner"] else "")
        )
        console.print(f"demo players log in with password {result['password']!r}")

    @app.command("list")
    def list_(as_json: Annotated[bool, typer.Option("--json")] = False):
        """Every tournament, newest first."""
        ctx = CLIContext()

        async def run():
            async with ctx.database():
                return [
                    {
                        "id": t.id,
                        "name": t.name,
                        "kind": t.kind,
                        "format": t.format,
                        "status": t.status,
                        "winner": t.winner_alias,
                    }
                    for t in await Tournament.all().order_by("-id").limit(100)
                ]

        rows = asyncio.run(run())
        if as_json:
            print_json(rows)
            return
        table = Table("id", "name", "kind", "format", "status", "winner")
        for row in rows:
            table.add_row(
                str(row["id"]),
                row["name"],
                row["kind"],
                row["format"],
                row["status"],
                row["winner"] or "-",
            )
        console.print(table if rows else "no tournaments yet")
