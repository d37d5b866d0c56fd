"""The core's own routes: operations, module introspection and the SPA shell."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel
from quart import Blueprint, Response, current_app, send_from_directory
from quart_schema import document_response

from transcendence import db
from transcendence.errors import APIError

core_blueprint = Blueprint("core", __name__)


class ModuleProvides(BaseModel):
    routes: list[str]
    realtime: list[str]
    models: list[str]
    commands: list[str]
    static: str | None
    hooks: list[str]


class ModuleOut(BaseModel):
    name: str
    title: str
    description: str
    version: str
    enabled: bool
    requires: list[str]
    provides: ModuleProvides


def _core():
    from transcendence.app import core_of

    return core_of(current_app)


@core_blueprint.get("/healthz")
async def healthz():
    """The process is up and serving."""
    return {"status": "ok"}


@core_blueprint.get("/readyz")
async def readyz():
    """Ready to serve: the database and the bus both answer."""
    core = _core()
    checks: dict[str, str] = {}
    for name, probe in (("database", db.ping), ("bus", core.bus.ping)):
        try:
            async with asyncio.timeout(2):
                await probe()
            checks[name] = "ok"
        except Exception as exc:  # any failure means "not ready"; say which
            checks[name] = f"unavailable: {type(exc).__name__}"
    if any(value != "ok" for value in checks.values()):
        raise APIError(503, "not_ready", "a dependency is unavailable", checks)
    return {"status": "ok", "checks": checks}


@core_blueprint.get("/metrics")
async def metrics():
    """Prometheus text exposition."""
    return Response(_core().metrics.render(), content_type="text/plain; version=0.0.4")


@core_blueprint.get("/api/modules")
@document_response(list[ModuleOut], 200)
async def list_modules():
    """Every installed module: enabled or not, what it requires and what it registers."""
    from transcendence.app import describe_modules

    return describe_modules(current_app)


@core_blueprint.get("/api/modules/<name>")
@document_response(ModuleOut, 200)
async def module_detail(name: str):
    """One installed module."""
    from transcendence.app import describe_modules

    for entry in describe_modules(current_app):
        if entry["name"] == name:
            return entry
    raise APIError(404, "not_found", f"no module named {name!r} is installed")


@core_blueprint.get("/")
async def index():
    from transcendence.app import WEB_DIR

    return await send_from_directory(WEB_DIR, "index.html")
