"""The Typer command: `register()` adds `transcendence play` to the CLI; it checks the
options, asks for what is missing, runs `play()` and turns its outcome into lines and an
exit code.
"""

from __future__ import annotations

import asyncio
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from transcendence.commands import CLIError, console
from transcendence_pong.terminal.keys import DEFAULT_HOLD_MS
from transcendence_pong.terminal.play import Cancelled, Outcome, play
from transcendence_pong.terminal.protocol import PlayError, PongClient, check_server, tls_context
from transcendence_pong.terminal.seat import Plan

DEFAULT_SERVER = "http://127.0.0.1:8000"
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class Level(StrEnum):
    easy = "easy"
    normal = "normal"
    hard = "hard"


def register(cli: typer.Typer) -> None:
    """Add `transcendence play` to the CLI."""

    @cli.command("play")
    def play_command(
        server: Annotated[
            str, typer.Option(help="The server, http(s)://host:port.")
        ] = DEFAULT_SERVER,
        username: Annotated[
            str | None, typer.Option(help="Your username or email (asked when absent).")
        ] = None,
        password: Annotated[
            str | None,
            typer.Option(
                help="Your password (asked without echo when absent).",
                envvar="TRANSCENDENCE_PLAY_PASSWORD",
                show_envvar=True,
            ),
        ] = None,
        queue: Annotated[
            bool, typer.Option("--queue", help="Join the queue for a remote opponent.")
        ] = False,
        invite: Annotated[
            str | None,
            typer.Option(metavar="USERNAME_OR_ID", help="Invite this player and play them."),
        ] = None,
        accept: Annotated[
            bool, typer.Option("--accept", help="Wait for the next invitation and accept it.")
        ] = False,
        ai: Annotated[
            Level | None, typer.Option(help="Play the AI at this level.", case_sensitive=False)
        ] = None,
        score_limit: Annotated[
            int | None, typer.Option(min=1, max=21, help="Points to win (queue/invite/ai).")
        ] = None,
        paddle_height: Annotated[
            float | None, typer.Option(min=20, max=600, help="Paddle height, field is 600.")
        ] = None,
        ball_speed: Annotated[
            float | None, typer.Option(min=100, max=1100, help="Serve speed, units/s.")
        ] = None,
        powerups: Annotated[
            bool | None, typer.Option("--powerups/--no-powerups", help="Power-ups on the field.")
        ] = None,
        insecure: Annotated[
            bool,
            typer.Option("--insecure", help="Accept any TLS certificate (self-signed servers)."),
        ] = False,
        cafile: Annotated[
            Path | None,
            typer.Option(
                exists=True, dir_okay=False, help="Trust the CA (or certificate) in this file."
            ),
        ] = None,
        hold: Annotated[
            int,
            typer.Option(
                min=30,
                max=2000,
                help="Milliseconds a key press lasts when the key does not repeat.",
            ),
        ] = DEFAULT_HOLD_MS,
        timeout: Annotated[
            float, typer.Option(min=1, max=120, help="Network timeout in seconds.")
        ] = 10.0,
    ):
        """Play Pong in this terminal against a web user (or the AI): W/S or arrows, q leaves."""
        chosen = [
            name
            for name, on in (
                ("--queue", queue),
                ("--invite", invite is not None),
                ("--accept", accept),
                ("--ai", ai is not None),
            )
            if on
        ]
        if len(chosen) != 1:
            raise typer.BadParameter(
                "choose exactly one of --queue, --invite USER, --accept, --ai LEVEL"
                + (f" (got {', '.join(chosen)})" if chosen else "")
            )
        try:
            base = check_server(server)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--server") from None
        if insecure and cafile is not None:
            raise typer.BadParameter("--insecure and --cafile exclude each other")
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise CLIError("play needs an interactive terminal (stdin and stdout must be a TTY)")

        options: dict[str, Any] = {}
        for key, value in (
            ("score_limit", score_limit),
            ("paddle_height", paddle_height),
            ("ball_speed", ball_speed),
            ("powerups", powerups),
        ):
            if value is not None:
                options[key] = value
        how = chosen[0].lstrip("-")
        plan = Plan(how, options, level=(ai or Level.normal).value)

        if not username:
            username = typer.prompt("Username").strip()
        if password is None:
            password = typer.prompt("Password", hide_input=True)

        def second_factor() -> str:
            return typer.prompt("Two-factor code").strip()

        async def main() -> Outcome:
            tls = tls_context(base, insecure=insecure, cafile=cafile)
            client = PongClient(base, tls=tls, timeout=timeout)
            return await play(
                client,
                plan,
                username=username,
                password=password,
                second_factor=second_factor,
                invitee=invite,
                hold=hold / 1000,
            )

        try:
            outcome = asyncio.run(main())
        except Cancelled:
            console.print("No game was played.", highlight=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except PlayError as exc:
            raise CLIError(exc.message) from None
        for line in outcome.summary():
            console.print(line, highlight=False, markup=False)
        raise typer.Exit(EXIT_INTERRUPTED if outcome.interrupted else EXIT_OK)
