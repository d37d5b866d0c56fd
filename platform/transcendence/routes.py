"""The core's own routes: operations, module introspection and the SPA shell."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel, Field
from quart import Blueprint, Response, current_app, send_from_directory
from quart.typing import ResponseReturnValue
from quart_schema import document_response, hide
from werkzeug.routing import BaseConverter

from transcendence import db
from transcendence.core import Core, current_core
from transcendence.describe import describe_modules
from transcendence.errors import APIError
from transcendence.games import games_of
from transcendence.security import content_security_policy, inline_script_hashes

core_blueprint = Blueprint("core", __name__)
# The SPA: inside the package in a built wheel (setup.py copies it there), else the
# repository's web/ (a checkout, the editable install).
_PACKAGED_WEB = Path(__file__).resolve().parent / "web"
WEB_DIR = _PACKAGED_WEB if _PACKAGED_WEB.is_dir() else Path(__file__).resolve().parents[2] / "web"


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
    startup_error: str | None  # this node's: its startup failed, so it is off here
    configured: bool  # False: it lacks settings it needs (status_message says which)
    status_message: str | None
    provides: ModuleProvides


class GameOut(BaseModel):
    name: str
    title: str
    modes: list[str]
    seats: int
    options: dict[str, Any] = Field(description="the match options, as a JSON schema")


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    checks: dict[str, str] = Field(description="each dependency: `ok` or why not")


def _core() -> Core:
    return current_core()


@core_blueprint.get("/healthz")
@document_response(Health, 200)
async def healthz() -> ResponseReturnValue:
    """The process is up and serving."""
    return {"status": "ok"}


@core_blueprint.get("/readyz")
@document_response(Ready, 200)
async def readyz() -> ResponseReturnValue:
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

    checks = await core.metrics.probe({"database": db.ping, "bus": core.bus.ping})
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
@hide  # Prometheus text, for the scraper (docs/operations.md), not a JSON API
async def metrics() -> ResponseReturnValue:
    """Prometheus text exposition (the database and the bus are probed first, as by /readyz)."""
    core = _core()
    await core.metrics.probe({"database": db.ping, "bus": core.bus.ping})
    return Response(core.metrics.render(), content_type="text/plain; version=0.0.4")


@core_blueprint.get("/api/modules")
@document_response(list[ModuleOut], 200)
async def list_modules() -> ResponseReturnValue:
    """Every installed module: enabled or not, what it requires and what it registers."""
    return describe_modules(current_app)


@core_blueprint.get("/api/modules/<name>")
@document_response(ModuleOut, 200)
async def module_detail(name: str) -> ResponseReturnValue:
    """One installed module."""
    for entry in describe_modules(current_app):
        if entry["name"] == name:
            return entry
    raise APIError(404, "not_found", f"no module named {name!r} is installed")


@core_blueprint.get("/api/games")
@document_response(list[GameOut], 200)
async def list_games() -> ResponseReturnValue:
    """The games of the modules enabled on this node (docs/modules.md, "Writing a game")."""
    return [game.describe() for game in games_of(_core()).values()]


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
        self.index_csp = ""
        self.docs = b""

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
            # Its import map is inline (browsers take no other kind): allowed by its hash,
            # taken after the version is filled in.
            self.index_csp = content_security_policy(inline_script_hashes(self.index))
            docs = self.root / "docs.html"
            self.docs = docs.read_bytes().replace(self.PLACEHOLDER, base) if docs.is_file() else b""
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
@hide  # the SPA's HTML, not the API
async def index(path: str = "") -> ResponseReturnValue:
    """The SPA shell for `/` and every client-side route (public; the views ask for tokens)."""
    assets = await web_assets()
    return Response(
        assets.index,
        content_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-cache", "Content-Security-Policy": assets.index_csp},
    )


@core_blueprint.get("/docs")
@hide
async def api_docs() -> ResponseReturnValue:
    """The browsable API (Swagger UI, vendored under web/vendor/) over `/openapi.json`."""
    assets = await web_assets()
    if not assets.docs:
        raise APIError(404, "not_found", "the API docs page is not installed")
    return Response(
        assets.docs,
        content_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )


@core_blueprint.get("/static/<version>/<path:filename>")
@hide
async def web_asset(version: str, filename: str) -> ResponseReturnValue:
    """A file of `web/` under the current version: cached for a year, immutably."""
    assets = await web_assets()
    suffix = PurePosixPath(filename).suffix.lower()
    pages = {"index.html", "docs.html"}  # served filled in, at / and /docs
    if version != assets.version or filename in pages or suffix not in CONTENT_TYPES:
        raise APIError(404, "not_found", "no such asset (the page may be out of date: reload)")
    response = await send_from_directory(assets.root, filename)
    response.content_type = CONTENT_TYPES[suffix]
    response.headers["Cache-Control"] = IMMUTABLE
    return response
