"""What CLI commands share: settings, loaded modules, a database session, console output.

Public for modules: a module's `register_commands` builds its commands on these (the
`transcendence` CLI package uses them too, and no module imports that package).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from pydantic import ValidationError
from rich.console import Console

from transcendence import db
from transcendence.plugins import ModuleSet, load_modules
from transcendence.registry import read_enabled
from transcendence.settings import Settings, SettingsError

T = TypeVar("T")
console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # an error stays one line


class CLIError(Exception):
    """Ends the command with one readable line on stderr and exit code 1."""


def read_settings() -> Settings:
    """The settings from the environment; a bad value is one line naming the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "?"
            problems.append(f"{_variable(name)}={error.get('input')!r}: {error['msg']}")
        raise SettingsError("; ".join(problems)) from None


def _variable(field_name: str) -> str:
    """The environment variable behind a settings field (its first alias)."""
    info = Settings.model_fields.get(field_name)
    alias = getattr(info, "validation_alias", None) if info else None
    choices = getattr(alias, "choices", None)
    return str(choices[0]) if choices else field_name.upper()


@dataclass
class CLIContext:
    settings: Settings = field(default_factory=read_settings)

    @cached_property
    def modules(self) -> ModuleSet:
        return load_modules(self.settings.modules, self.settings.extra_modules)

    @asynccontextmanager
    async def database(self, *, migrated: bool = True) -> AsyncIterator[dict[str, Any]]:
        """An open database. It is never migrated here: only `db migrate` (and `serve` with
        auto-migrate on) migrates. With `migrated`, a schema behind the code is refused with
        one line saying to run `transcendence db migrate`."""
        try:
            config = await db.connect(self.settings, self.modules)
        except db.DatabaseUnavailable as exc:
            raise CLIError(str(exc)) from None
        try:
            if migrated:
                try:
                    await db.require_migrated(config)
                except db.NotMigrated as exc:
                    raise CLIError(str(exc)) from None
            yield config
        finally:
            await db.close_db()

    def run(self, func: Callable[[], Coroutine[Any, Any, T]]) -> T:
        return asyncio.run(func())

    def require_enabled(self, name: str) -> None:
        """Refuse to run a module's command while the module is disabled (one line)."""

        async def read() -> set[str]:
            async with self.database():
                return await read_enabled(self.modules)

        enabled = self.run(read)
        if name not in enabled:
            off = [r for r in self.modules.get(name).requires if r not in enabled]
            because = f" (it requires {', '.join(off)}, which is disabled)" if off else ""
            raise CLIError(
                f"the {name} module is disabled{because}: "
                f"`transcendence modules enable {off[0] if off else name}` turns it on"
            )


def print_json(data: Any) -> None:
    console.print_json(json.dumps(data, default=str))
