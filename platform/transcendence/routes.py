"""The core's own routes: operations, module introspection and the SPA shell."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel
from quart import Blueprint, Response, current_app, send_from_directory
from quart_schema import document_response
from werkzeug.routing import BaseConverter

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
    configured: bool  # False: it lacks settings it needs (status_message says which)
    status_message: str | None
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
    """Ready to serve: the database and the bus both answer, and the node is not stopping."""
    core = _core()
    if core.draining:
        raise APIError(
            503,
            "draining",
            "this node is shutting down",
            {"node": "draining"},
            {"Retry-After": "5"},
        )

    async def check(probe: Any) -> str:
        try:
            async with asyncio.timeout(2):
                await probe()
            return "ok"
        except Exception as exc:  # any failure means "not ready"; say which
            return f"unavailable: {type(exc).__name__}"

    # Side by side: a dependency that hangs costs its own timeout, not the other's too.
    database, bus = await asyncio.gather(check(db.ping), check(core.bus.ping))
    checks = {"database": database, "bus": bus}
    failing = sorted(name for name, value in checks.items() if value != "ok")
    if failing:
        raise APIError(
            503,
            "not_ready",
            f"unavailable: {', '.join(failing)}",
            checks,
            {"Retry-After": "5", "Cache-Control": "no-store"},
        )
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


# --- the SPA shell -------------------------------------------------------------------------
#
# `index.html` answers `/` and every client-side path (the router decides what to show,
# including "not found"), with `no-cache` so a new release is seen at once. Everything else
# under `web/` is served at `/static/<version>/...`, where the version is a hash of the
# folder's contents: those URLs name one exact file, so browsers may cache them for a year.
# ES modules import each other by relative URL, so they inherit the version for free.


class SpaPathConverter(BaseConverter):
    """A path the SPA owns: anything outside the server's own prefixes.

    Unknown `/api/...` paths must stay JSON 404s (and wrong methods JSON 405s), so they
    never reach the shell.
    """

    regex = (
        r"(?!(?:api|modules|ws|docs|static)(?:/|$))"
        r"(?!(?:openapi\.json|healthz|readyz|metrics)$)"
        r"[^/].*?"
    )
    part_isolating = False
    weight = 300


@core_blueprint.record_once
def _register_converter(state: Any) -> None:
    state.app.url_map.converters["spa"] = SpaPathConverter


def _web_dir() -> Path:
    from transcendence.app import WEB_DIR

    # TRANSCENDENCE_WEB_DIR serves another copy of the SPA; by default the one installed.
    return _core().settings.web_dir or WEB_DIR


class WebAssets:
    """The version of `web/` (a content hash) and `index.html` with asset URLs filled in.

    Re-hashed only when a file's size or modification time changes, so editing the shell
    during development shows at the next reload and production hashes once.
    """

    PLACEHOLDER = b"%ASSETS%"

    def __init__(self, root: Path):
        self.root = root
        self._stamp: tuple | None = None
        self.version = ""
        self.index = b""

    def _files(self) -> list[Path]:
        return sorted(
            p
            for p in self.root.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.parts)
        )

    def refresh(self) -> WebAssets:
        files = self._files()
        stamp = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
        if stamp != self._stamp:
            digest = hashlib.sha256()
            for path in files:
                digest.update(path.relative_to(self.root).as_posix().encode() + b"\0")
                digest.update(path.read_bytes())
            self.version = digest.hexdigest()[:12]
            base = f"/static/{self.version}".encode()
            self.index = (self.root / "index.html").read_bytes().replace(self.PLACEHOLDER, base)
            self._stamp = stamp
        return self


_assets: dict[Path, WebAssets] = {}


async def web_assets() -> WebAssets:
    root = _web_dir()
    assets = _assets.setdefault(root, WebAssets(root))
    return await asyncio.to_thread(assets.refresh)


# Explicit, so the answer does not depend on the host's mime.types (nosniff is on).
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".map": "application/json",
}
IMMUTABLE = "public, max-age=31536000, immutable"


@core_blueprint.get("/")
@core_blueprint.get("/<spa:path>")
async def index(path: str = ""):
    """The SPA shell for `/` and every client-side route (public; the views ask for tokens)."""
    assets = await web_assets()
    return Response(
        assets.index,
        content_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )


@core_blueprint.get("/static/<version>/<path:filename>")
async def web_asset(version: str, filename: str):
    """A file of `web/` under the current version: cached for a year, immutably."""
    assets = await web_assets()
    suffix = PurePosixPath(filename).suffix.lower()
    if version != assets.version or filename == "index.html" or suffix not in CONTENT_TYPES:
        raise APIError(404, "not_found", "no such asset (the page may be out of date: reload)")
    response = await send_from_directory(assets.root, filename)
    response.content_type = CONTENT_TYPES[suffix]
    response.headers["Cache-Control"] = IMMUTABLE
    return response
