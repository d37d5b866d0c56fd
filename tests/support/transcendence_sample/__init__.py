"""A tiny module used by the tests: one of everything a module can register.

Its routes are marked `@public` so the core tests need no account; `/whoami` is not.

`transcendence_sample` is the module "sample"; `transcendence_sample.child` is the module
"sample_child", which requires it and implements the hookspec that "sample" declares.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel
from quart import Blueprint
from quart_schema import validate_request

from transcendence import hookimpl
from transcendence.auth import current_user, public
from transcendence.core import enabled_hook
from transcendence.hookspecs import hookspec
from transcendence.plugins import call_async

blueprint = Blueprint("sample", __name__)


class NoteIn(BaseModel):
    text: str


class SampleSpecs:
    """The module's own hookspecs, the pytest way."""

    @hookspec
    def sample_greeting(self) -> str:
        """A greeting from another module."""

    @hookspec
    async def sample_noted(self, text: str) -> str:
        """A note was stored; answer who took note (async implementations)."""


# What the sample modules' startup and shutdown hooks ran, in order (the lifecycle tests).
LIFECYCLE: list[str] = []
# The `core` each of these hooks was handed, by hook name (the other sample modules and the
# built-in ones show that a hook may leave it out).
CORES: dict[str, Any] = {}


@hookimpl
def startup(app, core):
    LIFECYCLE.append("start sample")
    CORES["startup"] = core


@hookimpl
def shutdown(app, core):
    LIFECYCLE.append("stop sample")
    CORES["shutdown"] = core


@hookimpl
def add_hookspecs(pm):
    pm.add_hookspecs(SampleSpecs)


@hookimpl
def module_info():
    return {
        "name": "sample",
        "title": "Sample",
        "description": "Proves every hook in the tests.",
        "version": "1.0",
        "requires": [],
        "translations": json.loads(
            (Path(__file__).parent / "translations.json").read_text(encoding="utf-8")
        ),
    }


@hookimpl
def register_models():
    return ["transcendence_sample.models"]


@hookimpl
def register_blueprints():
    return [blueprint]


@hookimpl
def register_realtime(hub, core):
    CORES["register_realtime"] = core
    CORES["hub when registering"] = core.hub  # installed before the modules register

    @hub.handler("sample.echo")
    async def echo(conn, data):
        return data


@hookimpl
def register_commands(cli):
    sample = typer.Typer(help="Sample module commands.")

    @sample.command()
    def hello(name: str = "world"):
        """Say hello."""
        typer.echo(f"hello {name} from sample")

    cli.add_typer(sample, name="sample")


@hookimpl
def web_assets():
    """The browser entry `static/index.js`, served only when `SAMPLE_WEB_ASSETS=1`.

    The browser tests set it; the core tests check that a module without browser code
    answers 404 for `/modules/sample/static/index.js`.
    """
    if os.environ.get("SAMPLE_WEB_ASSETS") != "1":
        return {}
    return {"static_dir": Path(__file__).parent / "static", "entry": "index.js"}


@hookimpl
def sample_greeting():
    return "hello from sample"


@blueprint.post("/notes")
@public
@validate_request(NoteIn)
async def create_note(data: NoteIn):
    from transcendence_sample.models import Note

    note = await Note.create(text=data.text)
    noted_by = await call_async(enabled_hook("sample_noted"), text=note.text)
    return {"id": note.id, "text": note.text, "noted_by": noted_by}, 201


@blueprint.get("/notes")
@public
async def list_notes():
    from transcendence_sample.models import Note

    return {"items": [{"id": n.id, "text": n.text} for n in await Note.all().order_by("id")]}


@blueprint.get("/greetings")
@public
async def greetings():
    return {"greetings": sorted(enabled_hook("sample_greeting")())}


@blueprint.get("/boom")
@public
async def boom():
    raise RuntimeError("secret internal detail")


@blueprint.get("/whoami")
async def whoami():
    """The one route of this module that needs a token, like every unmarked route."""
    user = await current_user()
    return {"username": user.username}
