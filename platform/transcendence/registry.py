"""Which installed modules are enabled: stored in the database, kept in sync on every node.

Enabling checks `requires`; disabling refuses while an enabled module requires the one
being disabled, unless forced, in which case the dependants are disabled too. A toggle is
announced on the bus (`modules.changed`); every node re-reads the table when it hears it.
A push can be missed (the in-process bus cannot cross processes, a CLI may run without
`REDIS_URL`, Redis may be down when the toggle is made), so every node, whatever its bus,
also re-reads the table every `module_sync_interval` seconds: one tiny query, and the bound
on how long a toggle takes to reach a node that heard nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from typing import Any

from transcendence.bus import RESYNC, Bus, SubscriptionOverflow
from transcendence.models import ModuleState
from transcendence.plugins import Module, ModuleError, ModuleSet, await_result

TOPIC = "modules.changed"
log = logging.getLogger("transcendence.registry")


def _dependants(modules: ModuleSet, name: str, enabled: set[str]) -> list[str]:
    """Enabled modules that need `name`, directly or through another module."""
    found: list[str] = []
    frontier = [name]
    while frontier:
        current = frontier.pop()
        for module in modules:
            if module.name in enabled and current in module.requires and module.name not in found:
                found.append(module.name)
                frontier.append(module.name)
    return found


async def read_enabled(modules: ModuleSet) -> set[str]:
    """Enabled installed modules, recording any module seen for the first time."""
    rows = {row.name: row.enabled for row in await ModuleState.all()}
    new = [m for m in modules if m.name not in rows]
    for module in new:
        await ModuleState.get_or_create(
            name=module.name, defaults={"enabled": module.default_enabled}
        )
        rows[module.name] = module.default_enabled
    enabled = {m.name for m in modules if rows.get(m.name)}
    # A module whose requirement is missing or off cannot run, whatever its row says.
    changed = True
    while changed:
        changed = False
        for module in modules:
            if module.name in enabled and any(req not in enabled for req in module.requires):
                enabled.discard(module.name)
                changed = True
    return enabled


async def enable(modules: ModuleSet, name: str) -> list[str]:
    """Enable a module; returns the modules whose state changed."""
    module = modules.get(name)
    enabled = await read_enabled(modules)
    if name in enabled:
        return []
    missing = [req for req in module.requires if req not in enabled]
    if missing:
        not_installed = [req for req in missing if req not in modules]
        if not_installed:
            raise ModuleError(
                f"cannot enable {name}: it requires {', '.join(not_installed)}, "
                "which is not installed"
            )
        raise ModuleError(
            f"cannot enable {name}: it requires {', '.join(missing)}, which is disabled "
            f"(enable {' and '.join(missing)} first)"
        )
    await ModuleState.update_or_create(name=name, defaults={"enabled": True})
    return [name]


async def disable(modules: ModuleSet, name: str, *, force: bool = False) -> list[str]:
    """Disable a module (and, with force, everything that requires it)."""
    modules.get(name)
    enabled = await read_enabled(modules)
    if name not in enabled:
        await ModuleState.update_or_create(name=name, defaults={"enabled": False})
        return []
    dependants = _dependants(modules, name, enabled)
    if dependants and not force:
        raise ModuleError(
            f"cannot disable {name}: {', '.join(dependants)} require(s) it "
            "(disable those first, or use --force to disable them too)"
        )
    changed = [*dependants, name]
    for module_name in changed:
        await ModuleState.update_or_create(name=module_name, defaults={"enabled": False})
    return changed


class Registry:
    """A node's view of which modules are enabled, refreshed on every toggle."""

    def __init__(self, modules: ModuleSet, bus: Bus, *, sync_interval: float = 1.0):
        self.modules = modules
        self.bus = bus
        self.sync_interval = sync_interval
        self.enabled: frozenset[str] = frozenset()
        self._callers: dict[str, Any] = {}
        self._task: asyncio.Task[None] | None = None
        self._listeners: list[Callable[[frozenset[str]], Any]] = []
        # A refresh reads the table then applies what it read: two of them overlapping could
        # apply a stale read last and undo a toggle on this node. One at a time.
        self._refreshing = asyncio.Lock()
        self._failing = False

    def is_enabled(self, name: str) -> bool:
        return name in self.enabled

    def enabled_modules(self) -> list[Module]:
        return [m for m in self.modules if m.name in self.enabled]

    def hook(self, name: str) -> Any:
        """The hook caller for enabled modules only (disabled modules' hookimpls are skipped)."""
        caller = self._callers.get(name)
        if caller is None:
            disabled = [m.name for m in self.modules if m.name not in self.enabled]
            caller = self.modules.hook_excluding(name, disabled)
            self._callers[name] = caller
        return caller

    def on_change(self, listener: Callable[[frozenset[str]], Any]) -> None:
        self._listeners.append(listener)

    async def refresh(self) -> None:
        async with self._refreshing:
            await self._refresh()

    async def _refresh(self) -> None:
        enabled = frozenset(await read_enabled(self.modules))
        if enabled != self.enabled:
            log.info("enabled modules: %s", ", ".join(sorted(enabled)) or "none")
            self.enabled = enabled
            self._callers.clear()
            for listener in self._listeners:
                await await_result(listener(enabled))

    async def enable(self, name: str) -> list[str]:
        changed = await enable(self.modules, name)
        await self._announce(changed)
        return changed

    async def disable(self, name: str, *, force: bool = False) -> list[str]:
        changed = await disable(self.modules, name, force=force)
        await self._announce(changed)
        return changed

    async def _announce(self, changed: Iterable[str]) -> None:
        await self.refresh()
        if changed:
            await announce(self.bus, list(changed))

    async def start(self) -> None:
        await self.refresh()
        self._task = asyncio.create_task(self._follow(), name="module-registry")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _follow(self) -> None:
        if self.bus.name == "memory":
            await self._poll()  # another process's toggle is never pushed to this one
            return
        # Pushes make a toggle immediate; the poll is the backstop for a missed one.
        async with asyncio.TaskGroup() as group:
            group.create_task(self._listen(), name="module-registry-listen")
            group.create_task(self._poll(), name="module-registry-poll")

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.sync_interval)
            await self._safe_refresh()

    async def _listen(self) -> None:
        while True:
            try:
                async with self.bus.subscribe(TOPIC, maxsize=64) as sub:
                    await sub.ready()
                    # Anything toggled between our first read and the subscription.
                    await self._safe_refresh()
                    async for message in sub:
                        del message  # TOPIC or RESYNC: either way, re-read the table
                        await self._safe_refresh()
            except SubscriptionOverflow:
                continue

    async def _safe_refresh(self) -> None:
        try:
            await self.refresh()
        except Exception as exc:
            # Polled every second: say it once when it starts failing (the database is
            # down, say), and once when it works again, not on every attempt.
            if not self._failing:
                self._failing = True
                log.warning(
                    "could not re-read the enabled modules (%s); keeping the previous set",
                    str(exc) or type(exc).__name__,
                )
        else:
            if self._failing:
                self._failing = False
                log.info("re-reading the enabled modules works again")


async def announce(bus: Bus, changed: list[str]) -> None:
    """Tell every node that module states changed (a no-op across processes in memory)."""
    await bus.publish_json(TOPIC, {"changed": changed})


__all__ = ["RESYNC", "TOPIC", "Registry", "announce", "disable", "enable", "read_enabled"]
