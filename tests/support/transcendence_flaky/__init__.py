"""The module "flaky" (tests only): requires "sample", and fails on demand.

Its `startup` raises while `FAIL_STARTUP` is set, and its `sample_noted` always raises:
the lifecycle and hook-isolation tests. It sorts before "sample", so starting it after
"sample" shows that startup follows `requires`, not the alphabet.
"""

from __future__ import annotations

from quart import Blueprint

from transcendence import hookimpl
from transcendence.auth import public
from transcendence_sample import LIFECYCLE

blueprint = Blueprint("flaky", __name__)
FAIL_STARTUP = False


@hookimpl
def module_info():
    return {"name": "flaky", "title": "Flaky", "version": "1.0", "requires": ["sample"]}


@hookimpl
def register_blueprints():
    return [blueprint]


@hookimpl
async def startup(app):
    if FAIL_STARTUP:
        raise RuntimeError("flaky could not reach its service")
    LIFECYCLE.append("start flaky")


@hookimpl
async def shutdown(app):
    LIFECYCLE.append("stop flaky")


@hookimpl
async def sample_noted(text):
    raise RuntimeError(f"flaky broke on {text!r}")


@blueprint.get("/ping")
@public
async def ping():
    return {"pong": True}
