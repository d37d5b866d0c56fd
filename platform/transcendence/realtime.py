"""The realtime hub's registration point: modules register typed message handlers here.

Each handler is bound to a namespaced type (`<module>.<action>`) and a pydantic model
that validates the message's `data`. The socket endpoint that routes to these handlers
is the realtime hub (`/ws`); this file is what modules see of it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True)
class Handler:
    name: str
    module: str
    model: type[BaseModel] | None
    func: Callable[..., Awaitable[Any]]


class HandlerRegistry:
    """What `register_realtime(hub)` receives, one view per module."""

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}

    def for_module(self, module: str) -> ModuleHub:
        return ModuleHub(self, module)

    def types_of(self, module: str) -> list[str]:
        return sorted(name for name, h in self.handlers.items() if h.module == module)


class ModuleHub:
    def __init__(self, registry: HandlerRegistry, module: str):
        self._registry = registry
        self.module = module

    def handler(self, type_: str, model: type[BaseModel] | None = None):
        """Decorator: `@hub.handler("chat.send", SendMessage)` over `async def f(conn, data)`."""
        if not type_.startswith(f"{self.module}."):
            raise ValueError(f"realtime type {type_!r} must start with {self.module!r}.")

        def register(func: Callable[..., Awaitable[Any]]):
            if type_ in self._registry.handlers:
                raise ValueError(f"realtime type {type_!r} is registered twice")
            self._registry.handlers[type_] = Handler(type_, self.module, model, func)
            return func

        return register
