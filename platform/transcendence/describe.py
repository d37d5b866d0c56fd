"""What each installed module is and registers: `/api/modules`, `transcendence modules info`."""

from __future__ import annotations

import importlib
import logging
from typing import Any
from weakref import WeakKeyDictionary

import typer
from quart import Quart
from tortoise.models import Model

from transcendence import db
from transcendence.core import Core, core_of
from transcendence.plugins import Module, ModuleSet

log = logging.getLogger("transcendence.app")


def module_provides(app: Quart, core: Core, module: Module) -> dict[str, Any]:
    """What a module registers, for `/api/modules` and `transcendence modules info`."""
    blueprints = {bp for bp, owner in core.blueprint_owner.items() if owner == module.name}
    routes = sorted(
        {
            f"{' '.join(sorted(m for m in rule.methods or () if m not in {'HEAD', 'OPTIONS'}))} "
            f"{rule.rule}"
            for rule in app.url_map.iter_rules()
            if rule.endpoint.split(".", 1)[0] in blueprints
        }
    )
    models = db.model_modules(core.modules).get(module.name, [])
    return {
        "routes": routes,
        "realtime": core.realtime.types_of(module.name),
        "models": _model_names(models),
        "commands": _command_names(core, module),
        "static": f"/modules/{module.name}/static/" if module.name in core.static_dirs else None,
        "hooks": sorted(
            impl_name
            for impl_name in _hook_names(core.modules, module)
            if impl_name not in {"module_info"}
        ),
    }


def _model_names(paths: list[str]) -> list[str]:
    names = []
    for path in paths:
        mod = importlib.import_module(path)
        for value in vars(mod).values():
            if (
                isinstance(value, type)
                and issubclass(value, Model)
                and value is not Model
                and value.__module__ == path
                and not value._meta.abstract
            ):
                names.append(value._meta.db_table or value.__name__)
    return sorted(names)


def _command_names(core: Core, module: Module) -> list[str]:
    probe = typer.Typer()
    core.modules.call_for(module, "register_commands", cli=probe)
    names = [
        c.name or (c.callback.__name__ if c.callback else "?") for c in probe.registered_commands
    ]
    names += [g.name or "?" for g in probe.registered_groups]
    return sorted(n.replace("_", "-") for n in names)


def _hook_names(modules: ModuleSet, module: Module) -> list[str]:
    return [caller.name for caller in modules.pm.get_hookcallers(module.plugin) or []]


# What each module registers is fixed once the app is built (`create_app` mounts every
# installed module, enabled or not): computed once per app, not on every `/api/modules`
# (it walks the URL map and probes each module's CLI commands: about 0.5 ms a request).
_provides: WeakKeyDictionary[Core, dict[str, dict[str, Any]]] = WeakKeyDictionary()


def _provides_of(app: Quart, core: Core, module: Module) -> dict[str, Any]:
    known = _provides.setdefault(core, {})
    if module.name not in known:
        known[module.name] = module_provides(app, core, module)
    return known[module.name]


def describe_modules(app: Quart) -> list[dict[str, Any]]:
    core = core_of(app)
    return [
        {
            "name": m.name,
            "title": m.title,
            "description": m.description,
            "translations": m.translations,
            "version": m.version,
            "enabled": core.registry.is_enabled(m.name),
            "requires": m.requires,
            # Why this node could not start it (it stays off here until the next toggle).
            "startup_error": core.registry.startup_errors.get(m.name),
            **module_status(core, m),
            "provides": _provides_of(app, core, m),
        }
        for m in sorted(core.modules, key=lambda m: m.name)
    ]


def module_status(core: Core, module: Module) -> dict[str, Any]:
    """`configured` and `status_message` (null when configured), from `module_status`."""
    try:
        status = core.modules.call_for(module, "module_status", app=core.app, core=core) or {}
    except Exception:  # a module's own check must not break the listing of all of them
        log.exception("module %s: module_status failed", module.name)
        status = {"configured": False, "message": "its status check failed (see the logs)"}
    configured = bool(status.get("configured", True))
    return {
        "configured": configured,
        "status_message": None if configured else str(status.get("message") or ""),
    }


__all__ = ["describe_modules", "module_provides", "module_status"]
