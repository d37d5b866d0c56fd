"""Loading modules: pluggy plugins found through entry points.

`ModuleSet` holds every *installed* module (loaded and described by `module_info`);
which of them are *enabled* is the registry's business (`transcendence.registry`).
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import pluggy

from transcendence import hookspecs

ENTRY_POINT_GROUP = "transcendence.modules"
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class ModuleError(Exception):
    """A module that cannot load or cannot be toggled; the message is for a person."""


@dataclass
class Module:
    """One installed module and what it says about itself."""

    name: str
    title: str
    description: str
    version: str
    requires: list[str]
    plugin: object
    default_enabled: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def call_for(pm: pluggy.PluginManager, plugin: object, hook_name: str, **kwargs: Any) -> Any:
    """Call one hook on one plugin only; `None` when it does not implement it."""
    caller = getattr(pm.hook, hook_name, None)
    if caller is None:
        return None
    for impl in caller.get_hookimpls():
        if impl.plugin is plugin:
            args = {name: kwargs[name] for name in impl.argnames}
            return impl.function(**args)
    return None


async def call_async(caller: Any, **kwargs: Any) -> list[Any]:
    """Call a hook and await the results of any async implementations.

    The one place the core awaits hookimpls; results keep pluggy's order.
    """
    results = caller(**kwargs)
    return [await result if inspect.isawaitable(result) else result for result in results]


async def await_result(result: Any) -> Any:
    return await result if inspect.isawaitable(result) else result


def _describe(pm: pluggy.PluginManager, plugin: object, origin: str) -> Module:
    info = call_for(pm, plugin, "module_info")
    if not isinstance(info, dict) or "name" not in info:
        raise ModuleError(f"{origin} does not implement module_info() returning a name")
    name = info["name"]
    if not isinstance(name, str) or not _NAME.match(name):
        raise ModuleError(f"{origin}: module name {name!r} must match {_NAME.pattern}")
    return Module(
        name=name,
        title=str(info.get("title", name.title())),
        description=str(info.get("description", "")),
        version=str(info.get("version", "0")),
        requires=list(info.get("requires", [])),
        plugin=plugin,
        default_enabled=bool(info.get("default_enabled", True)),
        extra={
            k: v
            for k, v in info.items()
            if k not in {"name", "title", "description", "version", "requires", "default_enabled"}
        },
    )


class ModuleSet:
    """The plugin manager plus the installed modules it loaded, by name."""

    def __init__(self, pm: pluggy.PluginManager, modules: dict[str, Module]):
        self.pm = pm
        self.modules = modules

    def __iter__(self):
        return iter(self.modules.values())

    def __contains__(self, name: object) -> bool:
        return name in self.modules

    def get(self, name: str) -> Module:
        try:
            return self.modules[name]
        except KeyError:
            known = ", ".join(sorted(self.modules)) or "none"
            raise ModuleError(
                f"no module named {name!r} is installed (installed: {known})"
            ) from None

    def call_for(self, module: Module, hook_name: str, **kwargs: Any) -> Any:
        return call_for(self.pm, module.plugin, hook_name, **kwargs)

    def hook_excluding(self, hook_name: str, disabled: Iterable[str]) -> Any:
        """A caller for `hook_name` that skips the plugins of disabled modules."""
        remove = [self.modules[name].plugin for name in disabled if name in self.modules]
        return self.pm.subset_hook_caller(hook_name, remove_plugins=remove)


def new_plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("transcendence")
    pm.add_hookspecs(hookspecs)
    return pm


def load_modules(only: Iterable[str] | None = None, extra: Iterable[str] = ()) -> ModuleSet:
    """Load installed modules: entry points (all, or only those named), then extra import paths."""
    pm = new_plugin_manager()
    wanted = set(only) if only is not None else None
    origins: list[tuple[object, str]] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if wanted is not None and ep.name not in wanted:
            continue
        try:
            plugin = ep.load()
        except Exception as exc:
            raise ModuleError(f"module {ep.name!r} failed to import: {exc}") from exc
        pm.register(plugin, name=ep.name)
        origins.append((plugin, f"entry point {ep.name!r}"))
    for path in extra:
        try:
            plugin = importlib.import_module(path)
        except Exception as exc:
            raise ModuleError(f"extra module {path!r} failed to import: {exc}") from exc
        if pm.is_registered(plugin):
            continue
        pm.register(plugin, name=path)
        origins.append((plugin, f"extra module {path!r}"))

    pm.hook.add_hookspecs(pm=pm)
    pm.check_pending()

    modules: dict[str, Module] = {}
    for plugin, origin in origins:
        module = _describe(pm, plugin, origin)
        if module.name in modules:
            raise ModuleError(f"two plugins claim the module name {module.name!r}")
        modules[module.name] = module
    if wanted is not None:
        missing = wanted - set(modules)
        if missing:
            raise ModuleError(
                "TRANSCENDENCE_MODULES names modules that are not installed: "
                + ", ".join(sorted(missing))
            )
    return ModuleSet(pm, modules)
