"""`transcendence users create|list|promote`: accounts from the command line."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table

from transcendence.errors import APIError
from transcendence_cli.context import CLIContext, CLIError, console, print_json

T = TypeVar("T")


def _in_database(ctx: CLIContext, work: Callable[[], Awaitable[T]]) -> T:
    """Run account logic against the database; its API errors become one CLI line."""

    async def run() -> T:
        async with ctx.database():
            try:
                return await work()
            except APIError as exc:
                raise CLIError(exc.message) from None

    return ctx.run(run)


def _checked(rule: Callable[[str], str], value: str, label: str) -> str:
    try:
        return rule(value)
    except ValueError as exc:
        raise CLIError(f"{label}: {exc}") from None


def register(cli: typer.Typer, ctx: CLIContext) -> None:
    app = typer.Typer(help="Create, list and promote user accounts.", no_args_is_help=True)
    cli.add_typer(app, name="users")

    @app.command()
    def create(
        username: str,
        email: Annotated[str, typer.Option(help="Email address.")],
        password: Annotated[
            str,
            typer.Option(
                prompt=True,
                hide_input=True,
                confirmation_prompt=True,
                help="Password (asked without echo when absent).",
            ),
        ],
        admin: Annotated[bool, typer.Option("--admin", help="Make the account an admin.")] = False,
    ):
        """Create an account (a player, or an admin with --admin)."""
        # The accounts (password hashing, 2FA, the ORM models: ~250 ms) load only for the
        # command that uses them: every `transcendence` run builds this CLI (start-up speed,
        # when TRANSCENDENCE_MODULES leaves out the modules that load them anyway).
        from transcendence.accounts import service
        from transcendence.accounts.schemas import email_rule, username_rule  # as above

        name = _checked(username_rule, username, "username")
        address = _checked(email_rule, email, "email")

        async def work() -> Any:
            return await service.create_user(
                name, address, password, role="admin" if admin else "player"
            )

        user = _in_database(ctx, work)
        console.print(f"created {user.role} {user.username} (id {user.id})", highlight=False)

    @app.command("list")
    def list_(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False):
        """Every account, oldest first (anonymised ones marked)."""
        # Loaded by the command that uses them (CLI start-up speed, as above).
        from transcendence.accounts.models import User
        from transcendence.accounts.roles import admin_entry  # start-up, as above

        async def work() -> list[dict[str, Any]]:
            return [admin_entry(u) for u in await User.all().order_by("id")]

        users = _in_database(ctx, work)
        if as_json:
            print_json(users)
            return
        table = Table("id", "username", "display name", "email", "role", "2FA", "created")
        for u in users:
            table.add_row(
                str(u["id"]),
                u["username"] + (" [dim](anonymised)[/]" if u["anonymised"] else ""),
                u["display_name"],
                u["email"],
                "[bold]admin[/]" if u["role"] == "admin" else u["role"],
                "on" if u["totp_enabled"] else "-",
                u["created_at"][:10],
            )
        console.print(table if users else "no users yet")

    @app.command()
    def promote(
        username: str,
        demote: Annotated[
            bool, typer.Option("--demote", help="Make an admin a player again.")
        ] = False,
    ):
        """Make a player an admin (or, with --demote, an admin a player)."""
        from transcendence.accounts import roles  # CLI start-up speed, as above

        role = "player" if demote else "admin"

        async def work() -> tuple[str, bool]:
            user = await roles.by_username(username)
            return user.username, await roles.set_role(user, role)

        name, changed = _in_database(ctx, work)
        article = "a player" if demote else "an admin"
        console.print(
            f"{name} is now {article}" if changed else f"{name} was already {article}",
            highlight=False,
        )
