"""`Core`: what the core hands a module, and how code in a request finds it.

A leaf: it imports no other part of the core at run time (the types below are for the type
checker only), so anything (accounts, the hub, a module) may import it without a cycle. The
app factory (`transcendence.app.create_app`, the composition root) builds one `Core` per app,
keeps it on `app.extensions["transcendence"]` and passes it to the hooks that run with the
app (`startup(core)`, `shutdown(core)`, `module_status(core)`, `register_realtime(core)`,
`user_profile_extras(core)`). Code running in a request or a realtime handler without it at
hand calls `current_core()`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quart import current_app

from transcendence.plugins import call_async

if TYPE_CHECKING:
    from quart import Quart

    from transcendence.bus import Bus
    from transcendence.hub import Hub
    from transcendence.observability import Metrics
    from transcendence.plugins import HookCall, ModuleSet
    from transcendence.realtime import HandlerRegistry
    from transcendence.registry import Registry
    from transcendence.settings import Settings

EXTENSION = "transcendence"
log = logging.getLogger("transcendence.app")


class Core:
    """The app's settings, bus, module registry, hub and metrics, for the core and modules.

    `hook(name)` is pluggy's caller restricted to the modules enabled on this node, and
    `call(name, **kwargs)` runs it with `call_async` (every implementation, failures isolated,
    coroutines awaited).
    """

    def __init__(
        self,
        app: Quart,
        settings: Settings,
        modules: ModuleSet,
        bus: Bus,
        registry: Registry,
        realtime: HandlerRegistry,
        metrics: Metrics,
    ) -> None:
        self.app = app
        self.settings = settings
        self.modules = modules
        self.bus = bus
        self.registry = registry
        self.realtime = realtime
        self.metrics = metrics
        self._hub: Hub | None = None
        self.blueprint_owner: dict[str, str] = {}
        self.static_dirs: dict[str, Path] = {}
        self.db_config: dict[str, Any] = {}
        # Set when the node starts shutting down: /readyz answers 503 and new sockets are
        # refused, so a proxy sends new work elsewhere while this node finishes its own.
        self.draining = False
        self.drained = False
        # Why the app could not start, for whoever started it (`transcendence serve` says
        # it in one line); see TranscendenceApp.log_exception.
        self.startup_error: BaseException | None = None

    @property
    def hub(self) -> Hub:
        """The realtime hub (set by `transcendence.hub.install` while the app is built)."""
        if self._hub is None:
            raise RuntimeError("the realtime hub is not installed on this app")
        return self._hub

    @hub.setter
    def hub(self, hub: Hub) -> None:
        self._hub = hub

    def hook(self, name: str) -> HookCall:
        """The caller of hook `name` on the modules enabled on this node only."""
        return self.registry.hook(name)

    async def call(self, name: str, **kwargs: Any) -> list[Any]:
        """Run hook `name` on every enabled module (see `plugins.call_async`)."""
        return await call_async(self.hook(name), **kwargs)

    async def drain(self) -> None:
        """Begin a graceful shutdown; safe to call more than once. The order matters:

        1. not ready: `/readyz` answers 503 `draining`, new sockets are refused;
        2. modules' `shutdown` hooks run (pong hands over or pauses the games of this node)
           while sockets, the bus and the database all still work, so what they announce
           reaches the players;
        3. every socket gets a close frame, 1001 "server shutting down".

        Then the server stops listening and lets in-flight HTTP requests finish; the hub's
        presence, the bus and the database close last, in the app's `after_serving`.
        """
        if self.drained:
            return
        self.draining = True
        hub = self.hub
        hub.accepting = False
        log.info("draining: running module shutdown hooks, then closing sockets")
        async with self.app.app_context():
            await self.registry.stop()
            try:
                await self.registry.shutdown_all()
            finally:
                await hub.close_sockets()
        self.drained = True


def core_of(app: Quart) -> Core:
    """The core of `app`."""
    core: Core = app.extensions[EXTENSION]
    return core


def current_core() -> Core:
    """The core of the current app (in a request, a realtime handler or an app context)."""
    return core_of(current_app)  # type: ignore[arg-type]


def enabled_hook(name: str) -> HookCall:
    """From a request: the hook caller restricted to enabled modules."""
    return current_core().hook(name)


__all__ = ["EXTENSION", "Core", "core_of", "current_core", "enabled_hook"]
