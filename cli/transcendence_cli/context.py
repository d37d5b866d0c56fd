"""The CLI's shared pieces live in the core (`transcendence.commands`), where modules'
commands reach them too; the CLI's own commands import them from here."""

from transcendence.commands import (
    CLIContext,
    CLIError,
    console,
    err_console,
    print_json,
    read_settings,
)

__all__ = ["CLIContext", "CLIError", "console", "err_console", "print_json", "read_settings"]
