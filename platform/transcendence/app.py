"""The app factory: `create_app(settings)` builds the Quart app around the loaded modules."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

from quart import Blueprint, Quart, request, send_from_directory
from quart.sessions import SecureCookieSessionInterface
from quart.typing import ResponseReturnValue
from quart_schema import Info, QuartSchema, hide

from transcendence import (
    __version__,
    auth,
    conversion,
    db,
    errors,
    hub,
    ids,
    observability,
    openapi,
    proxies,
    security,
)
from transcendence.accounts.auth_routes import auth_blueprint
from transcendence.accounts.hub_users import AccountUsers
from transcendence.accounts.user_routes import users_blueprint
from transcendence.bus import BusUnavailable, make_bus
from transcendence.core import EXTENSION, Core, core_of
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
from transcendence.routes import core_blueprint
from transcendence.settings import Settings

log = logging.getLogger("transcendence.app")


class _NoCookieSession(SecureCookieSessionInterface):
    """No Quart cookie session: access tokens authenticate, and the refresh cookie is set
    by its own routes. With `SECRET_KEY` set (it signs the tokens), Quart would otherwise
    build a signing serializer and read a session cookie on every request. Code that
    writes `quart.session` gets Quart's error for an app without a session."""

    async def open_session(self, app: Quart, request: Any) -> None:
        return None


class TranscendenceApp(Quart):
    """Quart, minus the traceback of a failed start: the reason is one line for a person
    (an unreachable Redis, an unmigrated database, a module's bad setting), said once by
    `transcendence serve` or in Hypercorn's "Lifespan failure in startup" line."""

    session_interface = _NoCookieSession()

    def log_exception(self, exception_info: Any) -> None:
        core = self.extensions.get(EXTENSION)
        error = exception_info[1]
        if core is not None and error is not None and error is core.startup_error:
            log.debug("the app could not start", exc_info=exception_info)
            return
        super().log_exception(exception_info)


def _mount_module(app: Quart, core: Core, module: Module) -> None:
    for item in core.modules.call_for(module, "register_blueprints") or []:
        blueprint, prefix = item if isinstance(item, tuple) else (item, f"/api/{module.name}")
        if not isinstance(blueprint, Blueprint):
            raise TypeError(f"module {module.name} returned {blueprint!r}, not a Blueprint")
        app.register_blueprint(blueprint, url_prefix=prefix)
        core.blueprint_owner[blueprint.name] = module.name
    core.modules.call_for(
        module, "register_realtime", hub=core.realtime.for_module(module.name), core=core
    )
    assets = core.modules.call_for(module, "web_assets") or {}
    if assets.get("static_dir"):
        core.static_dirs[module.name] = Path(assets["static_dir"])


async def _startup(core: Core, module: Module) -> None:
    await await_result(core.modules.call_for(module, "startup", app=core.app, core=core))


async def _shutdown(core: Core, module: Module) -> None:
    await await_result(core.modules.call_for(module, "shutdown", app=core.app, core=core))


async def drain(app: Quart) -> None:
    """Begin a graceful shutdown (`Core.drain`)."""
    await core_of(app).drain()


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
    core = Core(app, settings, modules, bus, registry, HandlerRegistry(), metrics)
    app.extensions[EXTENSION] = core

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
    conversion.install(app)
    errors.install(app)
    observability.install(app, metrics)
    security.install(app, tls=bool(settings.tls_certfile) or settings.behind_tls_proxy)

    # Before any blueprint: rules resolve their converters when they are added.
    app.url_map.converters.update(ids.CONVERTERS)
    app.register_blueprint(core_blueprint)
    app.register_blueprint(auth_blueprint)
    app.register_blueprint(users_blueprint)
    # Before the modules: their `register_realtime(hub, core)` may keep `core.hub`.
    hub.install(app, core, AccountUsers(app))
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
    # Outermost, so `/ws` and every route see the client's address behind a trusted proxy.
    proxies.install(app, settings.trusted_proxies)

    @app.route("/modules/<name>/static/<path:filename>")
    @hide  # browser code, not the API
    async def module_static(name: str, filename: str) -> ResponseReturnValue:
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
                lambda module: _startup(core, module), lambda module: _shutdown(core, module)
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
            await core.drain()
            await core.hub.stop()
            await auth.stop(app)
        finally:
            # Whatever failed above, the bus and the database still close (last).
            try:
                await bus.close()
            finally:
                await db.close_db()

    return app


__all__ = ["create_app", "drain"]
