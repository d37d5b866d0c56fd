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
import graphlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from transcendence.bus import RESYNC, Bus, SubscriptionOverflow
from transcendence.models import ModuleFailure, ModuleState
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


def startup_order(modules: ModuleSet) -> list[str]:
    """Installed modules, each after what it `requires` (shutdown runs it in reverse);
    alphabetical among modules that do not depend on each other, so the order is stable."""
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for module in sorted(modules, key=lambda m: m.name):
        sorter.add(module.name, *sorted(r for r in module.requires if r in modules))
    try:
        return list(sorter.static_order())
    except graphlib.CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise ModuleError(f"modules require each other in a circle: {cycle}") from None


def _reason(exc: BaseException) -> str:
    # One line for a person: a ValueError is a module's message ("TRANSCENDENCE_PONG_LEASE_TTL
    # is a number of seconds, e.g. 10"); anything else is named by its type.
    return str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"


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


Lifecycle = Callable[[Module], Awaitable[None]]


class Registry:
    """A node's view of which modules are enabled, refreshed on every toggle.

    `wanted` is what the table says; `enabled` is what runs on this node: a module is
    enabled here only once its `startup` succeeded (modules start in `requires` order and
    stop in reverse). A startup that fails while the node serves is logged, kept in
    `startup_errors` (shown by `/api/modules`, and stored for `transcendence modules
    list|info` under this node's name) and retried at the next toggle; at the node's own
    start it stops the start.
    """

    def __init__(self, modules: ModuleSet, bus: Bus, *, sync_interval: float = 1.0):
        # How the CLI names this node beside a failure: its host (a container's id) and pid.
        self.node = f"{socket.gethostname()}:{os.getpid()}"
        self.modules = modules
        self.bus = bus
        self.sync_interval = sync_interval
        self.wanted: frozenset[str] = frozenset()
        self.enabled: frozenset[str] = frozenset()
        self.startup_errors: dict[str, str] = {}
        self._stored_errors: dict[str, str] = {}
        self._startup: Lifecycle | None = None
        self._shutdown: Lifecycle | None = None
        self._order = startup_order(modules)
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

    def set_lifecycle(self, startup: Lifecycle, shutdown: Lifecycle) -> None:
        """How a module starts and stops on this node (the app runs its hooks)."""
        self._startup, self._shutdown = startup, shutdown

    def on_change(self, listener: Callable[[frozenset[str]], Any]) -> None:
        self._listeners.append(listener)

    async def refresh(self) -> None:
        async with self._refreshing:
            await self._refresh()

    async def _refresh(self, *, strict: bool = False) -> None:
        wanted = frozenset(await read_enabled(self.modules))
        if wanted == self.wanted:
            return  # a failed startup is retried at the next toggle, not on every re-read
        log.info("enabled modules: %s", ", ".join(sorted(wanted)) or "none")
        self.wanted = wanted
        before = self.enabled
        try:
            await self._apply(wanted, strict=strict)
        finally:
            if self.enabled != before:
                for listener in self._listeners:
                    await await_result(listener(self.enabled))
        await self._store_failures()

    async def _store_failures(self) -> None:
        """This node's startup errors, where the CLI can read them (`stored_failures`);
        the database is touched only when they changed (never on a healthy node)."""
        if self.startup_errors == self._stored_errors:
            return
        try:
            await (
                ModuleFailure.filter(node=self.node)
                .exclude(module__in=list(self.startup_errors))
                .delete()
            )
            for name, error in self.startup_errors.items():
                await ModuleFailure.update_or_create({"error": error}, node=self.node, module=name)
        except Exception as exc:  # the database is away: /api/modules still says it
            log.warning("could not store this node's module failures (%s)", exc)
        else:
            self._stored_errors = dict(self.startup_errors)

    def _set_enabled(self, enabled: frozenset[str]) -> None:
        self.enabled = enabled
        self._callers.clear()

    async def _apply(self, wanted: frozenset[str], *, strict: bool) -> None:
        # Stop first, dependants before what they require; off the routes and hooks before
        # the module's shutdown runs.
        for name in reversed(self._order):
            if name in self.enabled and name not in wanted:
                self._set_enabled(self.enabled - {name})
                await self._stop(name)
        for name in list(self.startup_errors):
            if name not in wanted:
                del self.startup_errors[name]
        for name in self._order:
            if name not in wanted or name in self.enabled:
                continue
            module = self.modules.get(name)
            down = [req for req in module.requires if req not in self.enabled]
            if down:
                self.startup_errors[name] = f"requires {', '.join(down)}, which did not start"
                continue
            try:
                if self._startup is not None:
                    await self._startup(module)
            except Exception as exc:
                if strict:
                    raise ModuleError(f"module {name} did not start: {_reason(exc)}") from exc
                log.exception("module %s did not start; it stays off on this node", name)
                self.startup_errors[name] = _reason(exc)
                continue
            self.startup_errors.pop(name, None)
            self._set_enabled(self.enabled | {name})

    async def _stop(self, name: str) -> None:
        # One module's failed shutdown neither keeps it enabled nor skips the others'.
        if self._shutdown is None:
            return
        try:
            await self._shutdown(self.modules.get(name))
        except Exception:
            log.exception("module %s: shutdown failed", name)

    async def shutdown_all(self) -> None:
        """Run every started module's `shutdown`, in reverse `requires` order (draining).

        The node keeps them enabled meanwhile: what a shutdown announces (pong handing its
        games over) still reaches the other modules' hooks and the players."""
        for name in reversed(self._order):
            if name in self.enabled:
                await self._stop(name)

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
        async with self._refreshing:
            await self._refresh(strict=True)
        self._task = asyncio.create_task(self._follow(), name="module-registry")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.startup_errors.clear()
        await self._store_failures()  # a stopped node's failures are no longer true

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


async def stored_failures() -> dict[str, list[dict[str, Any]]]:
    """Every node's startup failures, by module: `[{"node", "error", "at"}]` (for the CLI;
    a node that died without stopping leaves its lines until it runs again under that name
    or they are deleted)."""
    failures: dict[str, list[dict[str, Any]]] = {}
    for row in await ModuleFailure.all().order_by("module", "node"):
        failures.setdefault(row.module, []).append(
            {"node": row.node, "error": row.error, "at": row.at.isoformat()}
        )
    return failures


async def announce(bus: Bus, changed: list[str]) -> None:
    """Tell every node that module states changed (a no-op across processes in memory)."""
    await bus.publish_json(TOPIC, {"changed": changed})


__all__ = [
    "RESYNC",
    "TOPIC",
    "Registry",
    "announce",
    "disable",
    "enable",
    "read_enabled",
    "startup_order",
    "stored_failures",
]
