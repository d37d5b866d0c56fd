"""What CLI commands share: settings, loaded modules, a database session, console output."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from rich.console import Console

from transcendence import db
from transcendence.plugins import ModuleSet, load_modules
from transcendence.settings import Settings

T = TypeVar("T")
console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # an error stays one line


class CLIError(Exception):
    """Ends the command with one readable line on stderr and exit code 1."""


@dataclass
class CLIContext:
    settings: Settings = field(default_factory=Settings)

    @cached_property
    def modules(self) -> ModuleSet:
        return load_modules(self.settings.modules, self.settings.extra_modules)

    @asynccontextmanager
    async def database(self, *, migrate: bool | None = None):
        """An open database; in development pending migrations are applied first."""
        config = await db.init_db(self.settings, self.modules)
        try:
            should = self.settings.should_auto_migrate if migrate is None else migrate
            if should:
                await db.migrate(config)
            yield config
        finally:
            await db.close_db()

    def run(self, func: Callable[[], Coroutine[Any, Any, T]]) -> T:
        return asyncio.run(func())


def print_json(data: Any) -> None:
    console.print_json(json.dumps(data, default=str))
