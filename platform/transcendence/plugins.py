"""Loading modules: pluggy plugins found through entry points.

`ModuleSet` holds every *installed* module (loaded and described by `module_info`);
which of them are *enabled* is the registry's business (`transcendence.registry`).
"""

from __future__ import annotations

import importlib
import inspect
import logging
import re
import time
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import Distribution, entry_points
from typing import Any

import pluggy

from transcendence import hookspecs

ENTRY_POINT_GROUP = "transcendence.modules"
log = logging.getLogger("transcendence.plugins")
trace_log = logging.getLogger("transcendence.hooks")


@dataclass
class _Extras:
    """What the core keeps beside a plugin manager (pluggy has no place for it)."""

    single: dict[tuple[str, int], Any] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    tracing: bool = False


_EXTRAS: weakref.WeakKeyDictionary[pluggy.PluginManager, _Extras] = weakref.WeakKeyDictionary()


def _extras(pm: pluggy.PluginManager) -> _Extras:
    extras = _EXTRAS.get(pm)
    if extras is None:
        extras = _EXTRAS[pm] = _Extras()
    return extras


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
    # Language code → {"title", "description"} in that language (English is title/description).
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


def _translations(value: Any) -> dict[str, dict[str, str]]:
    """module_info's `translations`, keeping only strings: `{"fr": {"title": ..., ...}}`."""
    if not isinstance(value, dict):
        return {}
    return {
        lang: {
            k: v for k, v in texts.items() if k in {"title", "description"} and isinstance(v, str)
        }
        for lang, texts in value.items()
        if isinstance(lang, str) and isinstance(texts, dict)
    }


def _single_caller(pm: pluggy.PluginManager, plugin: object, hook_name: str) -> Any:
    """Pluggy's caller for `hook_name` restricted to one plugin (cached: it is on hot paths).

    Every call goes through pluggy, so its hook-call monitoring (TRANSCENDENCE_TRACE_HOOKS)
    and its argument checking see it.
    """
    cache = _extras(pm).single
    key = (hook_name, id(plugin))
    caller = cache.get(key)
    if caller is None:
        others = [p for p in pm.get_plugins() if p is not plugin]
        caller = pm.subset_hook_caller(hook_name, remove_plugins=others)
        cache[key] = caller
    return caller


def call_for(pm: pluggy.PluginManager, plugin: object, hook_name: str, **kwargs: Any) -> Any:
    """Call one hook on one plugin only; `None` when it does not implement it."""
    if getattr(pm.hook, hook_name, None) is None:
        return None
    caller = _single_caller(pm, plugin, hook_name)
    if not caller.get_hookimpls():
        return None
    result = caller(**kwargs)
    if caller.spec is not None and caller.spec.opts.get("firstresult"):
        return result
    # Pluggy leaves `None` out of a hook's results: one plugin gives [] or [its result].
    return result[0] if result else None


def _module_name(pm: pluggy.PluginManager, plugin: object) -> str:
    """The name a person knows a plugin by: its module's, once `_describe` has run."""
    return _extras(pm).names.get(id(plugin)) or pm.get_name(plugin) or repr(plugin)


async def call_async(caller: Any, **kwargs: Any) -> list[Any]:
    """Call a hook on every implementation and await the async ones: the one place the core
    awaits hookimpls. Each implementation runs on its own: one that raises (or whose
    coroutine raises) is logged with its module's name and left out of the results, and
    the others still run. Results keep pluggy's order (the last registered first).
    """
    pm = getattr(caller, "pm", None)
    if pm is None:  # a bare pluggy caller: no plugin manager to call each module through
        raise TypeError("call_async needs a caller from Registry.hook or enabled_hook")
    results: list[Any] = []
    for impl in reversed(caller.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            continue  # not an implementation of its own (no module uses wrappers)
        module = _module_name(pm, impl.plugin)
        try:
            result = call_for(pm, impl.plugin, caller.name, **kwargs)
            if inspect.isawaitable(result):
                started = time.perf_counter()
                try:
                    result = await result
                finally:
                    if _extras(pm).tracing:
                        elapsed = (time.perf_counter() - started) * 1000
                        trace_log.info(
                            "hook %s: module %s, %.2f ms (awaited)", caller.name, module, elapsed
                        )
        except Exception:
            log.exception("module %s: hook %s failed", module, caller.name)
            continue
        if result is not None:
            results.append(result)
    return results


def trace_hooks(pm: pluggy.PluginManager) -> None:
    """Log each hook call with its module(s) and duration (TRANSCENDENCE_TRACE_HOOKS), as
    Datasette's plugin tracing does. The duration is pluggy's call: for an async
    implementation, making its coroutine; `call_async` logs the awaited time too."""
    extras = _extras(pm)
    if extras.tracing:
        return  # one app per ModuleSet in production; tests may build several
    extras.tracing = True
    starts: list[float] = []

    def before(hook_name: str, hook_impls: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
        starts.append(time.perf_counter())

    def after(
        outcome: Any, hook_name: str, hook_impls: Sequence[Any], kwargs: Mapping[str, Any]
    ) -> None:
        elapsed = (time.perf_counter() - starts.pop()) * 1000 if starts else 0.0
        modules = ", ".join(_module_name(pm, impl.plugin) for impl in reversed(hook_impls))
        trace_log.info("hook %s: module %s, %.2f ms", hook_name, modules or "none", elapsed)

    pm.add_hookcall_monitoring(before, after)


class HookCall:
    """Pluggy's caller for a hook (restricted to some modules), called as pluggy calls it
    (`firstresult` and all); `call_async` uses `pm` to run each implementation on its own."""

    def __init__(self, pm: pluggy.PluginManager, name: str, caller: Any):
        self.pm = pm
        self.name = name
        self.caller = caller

    def __call__(self, **kwargs: Any) -> Any:
        return self.caller(**kwargs)

    def get_hookimpls(self) -> list[Any]:
        return self.caller.get_hookimpls()


async def await_result(result: Any) -> Any:
    return await result if inspect.isawaitable(result) else result


# module_info keys _describe reads itself; the others are kept in `Module.extra`.
_DESCRIBED = {
    "name",
    "title",
    "description",
    "version",
    "requires",
    "default_enabled",
    "translations",
}


def _describe(
    pm: pluggy.PluginManager, plugin: object, origin: str, dist: Distribution | None = None
) -> Module:
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
        # A version module_info() states wins; else the one of the distribution installing
        # the entry point, so that a module's version is written once, in its pyproject.toml.
        version=str(info.get("version") or (dist.version if dist is not None else "0")),
        requires=list(info.get("requires", [])),
        plugin=plugin,
        default_enabled=bool(info.get("default_enabled", True)),
        translations=_translations(info.get("translations")),
        extra={k: v for k, v in info.items() if k not in _DESCRIBED},
    )


class ModuleSet:
    """The plugin manager plus the installed modules it loaded, by name."""

    def __init__(self, pm: pluggy.PluginManager, modules: dict[str, Module]):
        self.pm = pm
        self.modules = modules

    def __iter__(self) -> Iterator[Module]:
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

    def hook_excluding(self, hook_name: str, disabled: Iterable[str]) -> HookCall:
        """A caller for `hook_name` that skips the plugins of disabled modules."""
        remove = [self.modules[name].plugin for name in disabled if name in self.modules]
        caller = self.pm.subset_hook_caller(hook_name, remove_plugins=remove)
        return HookCall(self.pm, hook_name, caller)


def new_plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("transcendence")
    pm.add_hookspecs(hookspecs)
    return pm


def load_modules(only: Iterable[str] | None = None, extra: Iterable[str] = ()) -> ModuleSet:
    """Load installed modules: entry points (all, or only those named), then extra import paths."""
    pm = new_plugin_manager()
    wanted = set(only) if only is not None else None
    origins: list[tuple[object, str, Distribution | None]] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if wanted is not None and ep.name not in wanted:
            continue
        try:
            plugin = ep.load()
        except Exception as exc:
            raise ModuleError(f"module {ep.name!r} failed to import: {exc}") from exc
        pm.register(plugin, name=ep.name)
        origins.append((plugin, f"entry point {ep.name!r}", ep.dist))
    for path in extra:
        try:
            plugin = importlib.import_module(path)
        except Exception as exc:
            raise ModuleError(f"extra module {path!r} failed to import: {exc}") from exc
        if pm.is_registered(plugin):
            continue
        pm.register(plugin, name=path)
        origins.append((plugin, f"extra module {path!r}", None))

    pm.hook.add_hookspecs(pm=pm)
    pm.check_pending()

    modules: dict[str, Module] = {}
    for plugin, origin, dist in origins:
        module = _describe(pm, plugin, origin, dist)
        if module.name in modules:
            raise ModuleError(f"two plugins claim the module name {module.name!r}")
        modules[module.name] = module
        _extras(pm).names[id(plugin)] = module.name
    if wanted is not None:
        missing = wanted - set(modules)
        if missing:
            raise ModuleError(
                "TRANSCENDENCE_MODULES names modules that are not installed: "
                + ", ".join(sorted(missing))
            )
    return ModuleSet(pm, modules)
