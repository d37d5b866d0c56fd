"""The app factory: `create_app(settings)` builds the Quart app around the loaded modules."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

from quart import Blueprint, Quart, request, send_from_directory
from quart_schema import Info, QuartSchema, hide

from transcendence import __version__, db, errors, ids, observability, openapi, proxies, security
from transcendence.bus import Bus, BusUnavailable, make_bus
from transcendence.errors import APIError
from transcendence.plugins import (
    Module,
    ModuleSet,
    await_result,
    load_modules,
    trace_hooks,
)
from transcendence.realtime import HandlerRegistry
from transcendence.registry import Registry
from transcendence.settings import Settings

log = logging.getLogger("transcendence.app")
# The SPA: inside the package in a built wheel (setup.py copies it there), else the
# repository's web/ (a checkout, the editable install).
_PACKAGED_WEB = Path(__file__).resolve().parent / "web"
WEB_DIR = _PACKAGED_WEB if _PACKAGED_WEB.is_dir() else Path(__file__).resolve().parents[2] / "web"


class Core:
    """What the core keeps on `app.extensions["transcendence"]`."""

    def __init__(
        self,
        settings: Settings,
        modules: ModuleSet,
        bus: Bus,
        registry: Registry,
        realtime: HandlerRegistry,
        metrics: observability.Metrics,
    ):
        self.settings = settings
        self.modules = modules
        self.bus = bus
        self.registry = registry
        self.realtime = realtime
        self.metrics = metrics
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


class TranscendenceApp(Quart):
    """Quart, minus the traceback of a failed start: the reason is one line for a person
    (an unreachable Redis, an unmigrated database, a module's bad setting), said once by
    `transcendence serve` or in Hypercorn's "Lifespan failure in startup" line."""

    def log_exception(self, exception_info: Any) -> None:
        core = self.extensions.get("transcendence")
        error = exception_info[1]
        if core is not None and error is not None and error is core.startup_error:
            log.debug("the app could not start", exc_info=exception_info)
            return
        super().log_exception(exception_info)


def core_of(app: Quart) -> Core:
    return app.extensions["transcendence"]


def _mount_module(app: Quart, core: Core, module: Module) -> None:
    for item in core.modules.call_for(module, "register_blueprints") or []:
        blueprint, prefix = item if isinstance(item, tuple) else (item, f"/api/{module.name}")
        if not isinstance(blueprint, Blueprint):
            raise TypeError(f"module {module.name} returned {blueprint!r}, not a Blueprint")
        app.register_blueprint(blueprint, url_prefix=prefix)
        core.blueprint_owner[blueprint.name] = module.name
    core.modules.call_for(module, "register_realtime", hub=core.realtime.for_module(module.name))
    assets = core.modules.call_for(module, "web_assets") or {}
    if assets.get("static_dir"):
        core.static_dirs[module.name] = Path(assets["static_dir"])


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
    import importlib

    from tortoise.models import Model

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
    import typer

    probe = typer.Typer()
    core.modules.call_for(module, "register_commands", cli=probe)
    names = [
        c.name or (c.callback.__name__ if c.callback else "?") for c in probe.registered_commands
    ]
    names += [g.name or "?" for g in probe.registered_groups]
    return sorted(n.replace("_", "-") for n in names)


def _hook_names(modules: ModuleSet, module: Module) -> list[str]:
    return [caller.name for caller in modules.pm.get_hookcallers(module.plugin) or []]


def describe_modules(app: Quart) -> list[dict[str, Any]]:
    core = core_of(app)
    return [
        {
            "name": m.name,
            "title": m.title,
            "description": m.description,
            "version": m.version,
            "enabled": core.registry.is_enabled(m.name),
            "requires": m.requires,
            # Why this node could not start it (it stays off here until the next toggle).
            "startup_error": core.registry.startup_errors.get(m.name),
            **module_status(app, core.modules, m),
            "provides": module_provides(app, core, m),
        }
        for m in sorted(core.modules, key=lambda m: m.name)
    ]


def module_status(app: Quart, modules: ModuleSet, module: Module) -> dict[str, Any]:
    """`configured` and `status_message` (null when configured), from `module_status`."""
    try:
        status = modules.call_for(module, "module_status", app=app) or {}
    except Exception:  # a module's own check must not break the listing of all of them
        log.exception("module %s: module_status failed", module.name)
        status = {"configured": False, "message": "its status check failed (see the logs)"}
    configured = bool(status.get("configured", True))
    return {
        "configured": configured,
        "status_message": None if configured else str(status.get("message") or ""),
    }


async def _startup(app: Quart, module: Module) -> None:
    await await_result(core_of(app).modules.call_for(module, "startup", app=app))


async def _shutdown(app: Quart, module: Module) -> None:
    await await_result(core_of(app).modules.call_for(module, "shutdown", app=app))


async def drain(app: Quart) -> None:
    """Begin a graceful shutdown; safe to call more than once. The order matters:

    1. not ready: `/readyz` answers 503 `draining`, new sockets are refused;
    2. modules' `shutdown` hooks run (pong hands over or pauses the games of this node)
       while sockets, the bus and the database all still work, so what they announce
       reaches the players;
    3. every socket gets a close frame, 1001 "server shutting down".

    Then the server stops listening and lets in-flight HTTP requests finish; the hub's
    presence, the bus and the database close last, in the app's `after_serving`.
    """
    from transcendence import hub

    core = core_of(app)
    if core.drained:
        return
    core.draining = True
    the_hub = hub.get_hub(app)
    the_hub.accepting = False
    log.info("draining: running module shutdown hooks, then closing sockets")
    async with app.app_context():
        await core.registry.stop()
        try:
            await core.registry.shutdown_all()
        finally:
            await the_hub.close_sockets()
    core.drained = True


def create_app(settings: Settings | None = None, modules: ModuleSet | None = None) -> Quart:
    settings = settings or Settings()
    settings.check()
    modules = modules or load_modules(settings.modules, settings.extra_modules)
    if settings.trace_hooks:
        trace_hooks(modules.pm)
    app = TranscendenceApp("transcendence", static_folder=None)
    app.config.update(
        SECRET_KEY=settings.resolved_secret(),
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        JSON_SORT_KEYS=False,
        PROPAGATE_EXCEPTIONS=False,
    )
    bus = make_bus(settings.redis_url, max_connections=settings.redis_max_connections)
    registry = Registry(modules, bus, sync_interval=settings.module_sync_interval)
    metrics = observability.Metrics()
    metrics.watch_bus(bus)
    core = Core(settings, modules, bus, registry, HandlerRegistry(), metrics)
    app.extensions["transcendence"] = core

    QuartSchema(
        app,
        info=Info(title="Transcendence", version=__version__),
        redoc_ui_path=None,
        scalar_ui_path=None,
        # quart-schema's page loads Swagger UI from a CDN with an inline script; ours
        # (`core.api_docs`) serves the vendored copy under the app's own CSP.
        swagger_ui_path=None,
        security_schemes=openapi.SECURITY_SCHEMES,  # applied per route, see openapi.Provider
        openapi_provider_class=openapi.Provider,
    )
    errors.install(app)
    observability.install(app, metrics)
    security.install(app, tls=bool(settings.tls_certfile) or settings.behind_tls_proxy)

    from transcendence import auth, hub
    from transcendence.accounts.auth_routes import auth_blueprint
    from transcendence.accounts.user_routes import users_blueprint
    from transcendence.routes import core_blueprint

    # Before any blueprint: rules resolve their converters when they are added.
    app.url_map.converters.update(ids.CONVERTERS)
    app.register_blueprint(core_blueprint)
    app.register_blueprint(auth_blueprint)
    app.register_blueprint(users_blueprint)
    for module in modules:
        _mount_module(app, core, module)

    @app.before_request
    async def _refuse_disabled_modules() -> None:
        owner = core.blueprint_owner.get((request.blueprint or "").split(".", 1)[0])
        if owner is not None and not registry.is_enabled(owner):
            raise APIError(
                404, "module_disabled", f"the {owner} module is disabled", {"module": owner}
            )

    # After the module guard, so a disabled module answers 404 whether or not one is logged in.
    auth.install(app)
    hub.install(app, core)
    # Outermost, so `/ws` and every route see the client's address behind a trusted proxy.
    proxies.install(app, settings.trusted_proxies)

    @app.route("/modules/<name>/static/<path:filename>")
    @hide  # browser code, not the API
    async def module_static(name: str, filename: str):
        if name not in core.static_dirs or not registry.is_enabled(name):
            raise APIError(404, "not_found", "no such module asset")
        return await send_from_directory(core.static_dirs[name], filename)

    @app.before_serving
    async def _start() -> None:
        try:
            core.db_config = await db.connect(settings, modules)
        except db.DatabaseUnavailable as exc:
            core.startup_error = exc
            raise
        try:
            if settings.should_auto_migrate:
                await db.migrate(core.db_config)
            else:
                await db.require_migrated(core.db_config)
            await bus.start()
            try:
                await bus.ping()
            except BusUnavailable as exc:
                raise BusUnavailable(f"{exc} (check REDIS_URL and that Redis is running)") from exc
            registry.set_lifecycle(
                lambda module: _startup(app, module), lambda module: _shutdown(app, module)
            )
            registry.on_change(lambda enabled: metrics.modules_enabled.set(len(enabled)))
            registry.on_change(metrics.track_modules(m.name for m in modules))
            await registry.start()
            await auth.start(app)  # the ended sessions, read once the database is up
        except BaseException as exc:
            core.startup_error = exc
            # A start that fails (a module's bad setting, say) closes what it opened: the
            # database driver's thread left running would keep the process from exiting.
            try:
                await registry.stop()
                # Modules that did start stop again (their own failure is not the story).
                with contextlib.suppress(Exception):
                    await registry.shutdown_all()
            finally:
                try:
                    await bus.close()
                finally:
                    await db.close_db()
            raise

    @app.after_serving
    async def _stop() -> None:
        # `transcendence serve` drained already, before Hypercorn waited for the in-flight
        # requests; other servers (and tests) reach this directly.
        try:
            await drain(app)
            await hub.get_hub(app).stop()
            await auth.stop(app)
        finally:
            # Whatever failed above, the bus and the database still close (last).
            try:
                await bus.close()
            finally:
                await db.close_db()

    return app


__all__ = ["WEB_DIR", "core_of", "create_app", "describe_modules", "send_from_directory"]


def enabled_hook(name: str) -> Any:
    """From a request: the hook caller restricted to enabled modules."""
    from quart import current_app

    return core_of(current_app).registry.hook(name)
