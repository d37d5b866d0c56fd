"""A test module for graceful shutdown (tests/system/test_faults.py): the module "opsample".

- `GET /api/opsample/slow?seconds=N` answers after N seconds: an in-flight request;
- `GET /api/opsample/in-flight` says how many slow requests are being served;
- its `shutdown` hook pushes `opsample.bye` to every user with a socket on this node and
  reads the database: it proves the hooks run while sockets, the bus and the database are
  all still up, before the close frames.
"""

from __future__ import annotations

import asyncio

from quart import Blueprint, request

from transcendence import db, hookimpl
from transcendence.auth import public

blueprint = Blueprint("opsample", __name__)
_in_flight = {"count": 0}


@blueprint.get("/slow")
@public
async def slow():
    seconds = min(float(request.args.get("seconds", "2")), 30.0)
    _in_flight["count"] += 1
    try:
        await asyncio.sleep(seconds)  # the work this request stands for
    finally:
        _in_flight["count"] -= 1
    return {"slept": seconds}


@blueprint.get("/in-flight")
@public
async def in_flight():
    return {"in_flight": _in_flight["count"]}


@hookimpl
def module_info():
    return {
        "name": "opsample",
        "title": "Operations sample",
        "description": "A slow route and a shutdown hook, for the graceful-shutdown test.",
        "version": "1.0",
        "requires": [],
    }


@hookimpl
def register_blueprints():
    return [blueprint]


@hookimpl
async def shutdown(app):
    from transcendence.hub import get_hub

    hub = get_hub(app)
    await db.ping()
    users = sorted({conn.user_id for conn in hub.connections.values()})
    await hub.deliver.to_users(users, "opsample.bye", {"sockets": len(hub.connections)})
