"""The realtime hub's registration point: modules register typed message handlers here.

Each handler is bound to a namespaced type (`<module>.<action>`) and a pydantic model
that validates the message's `data`. The socket endpoint that routes to these handlers
is the realtime hub (`transcendence.hub`, served at `/ws`); this file is what modules see
of it:

```python
@hookimpl
def register_realtime(hub):
    @hub.handler("chat.send", SendMessage, reply=MessageOut)
    async def send(conn, data: SendMessage):
        ...                       # conn.user_id, conn.send(...), conn.subscribe(topic)
        return MessageOut(...)    # the reply, sent with "re" = the request's id

    hub.event("chat.message", MessageOut)   # a type the server pushes (for the schema)
```

A handler raises `RealtimeError(code, message)` to answer with an error frame; the socket
stays open. Types of a disabled module are refused with `module_disabled`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

# A handler keeps its own signature through `@hub.handler(...)`.
H = TypeVar("H", bound=Callable[..., Awaitable[Any]])

# `<module>.<action>`: lowercase words separated by dots, as long as a frame allows.
TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


class RealtimeError(Exception):
    """Raise from a handler to answer `{"type": "error", "error": {code, message, details}}`."""

    def __init__(self, code: str, message: str, details: Any = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


@dataclass(frozen=True)
class Handler:
    name: str
    module: str
    model: type[BaseModel] | None
    func: Callable[..., Awaitable[Any]]
    reply: type[BaseModel] | None = None
    description: str = ""


@dataclass(frozen=True)
class Event:
    """A type the server pushes to clients (documented in the schema, not routed)."""

    name: str
    module: str
    model: type[BaseModel] | None
    description: str = ""


class HandlerRegistry:
    """What `register_realtime(hub)` receives, one view per module."""

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self.events: dict[str, Event] = {}

    def for_module(self, module: str) -> ModuleHub:
        return ModuleHub(self, module)

    def types_of(self, module: str) -> list[str]:
        """The types a module handles (client to server), as `/api/modules` lists them."""
        return sorted(name for name, h in self.handlers.items() if h.module == module)

    def events_of(self, module: str) -> list[str]:
        return sorted(name for name, e in self.events.items() if e.module == module)


class ModuleHub:
    def __init__(self, registry: HandlerRegistry, module: str):
        self._registry = registry
        self.module = module

    def _check(self, type_: str) -> None:
        if not type_.startswith(f"{self.module}."):
            raise ValueError(f"realtime type {type_!r} must start with {self.module!r}.")
        if not TYPE_PATTERN.match(type_) or len(type_) > 64:
            raise ValueError(
                f"realtime type {type_!r} must be lowercase words joined by dots (64 chars at most)"
            )
        if type_ in self._registry.handlers or type_ in self._registry.events:
            raise ValueError(f"realtime type {type_!r} is registered twice")

    def handler(
        self,
        type_: str,
        model: type[BaseModel] | None = None,
        *,
        reply: type[BaseModel] | None = None,
        description: str | None = None,
    ) -> Callable[[H], H]:
        """Decorator: `@hub.handler("chat.send", SendMessage)` over `async def f(conn, data)`.

        `data` is an instance of `model`; without a model it is the frame's `data` object as
        a dict (any JSON object). `reply` documents what the handler returns in the schema.
        """
        self._check(type_)

        def register(func: H) -> H:
            doc = description if description is not None else (func.__doc__ or "")
            self._registry.handlers[type_] = Handler(
                type_, self.module, model, func, reply, " ".join(doc.split())
            )
            return func

        return register

    def event(
        self, type_: str, model: type[BaseModel] | None = None, description: str = ""
    ) -> None:
        """Declare a type the server pushes (`deliver.to_user(..., type_, data)`)."""
        self._check(type_)
        self._registry.events[type_] = Event(type_, self.module, model, description)


__all__ = ["Event", "Handler", "HandlerRegistry", "ModuleHub", "RealtimeError"]
