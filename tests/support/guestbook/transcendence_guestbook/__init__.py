"""The module "guestbook": players sign a guestbook over HTTP or a realtime socket, and
their profile counts their entries. A sample of a third-party module, tested with
`transcendence.testing` alone (its tests/ folder)."""

from __future__ import annotations

from pydantic import BaseModel, Field
from quart import Blueprint
from quart_schema import validate_request

from transcendence import hookimpl
from transcendence.auth import current_user, public
from transcendence_guestbook.models import Entry

blueprint = Blueprint("guestbook", __name__)


class SignIn(BaseModel):
    text: str = Field(min_length=1, max_length=200)


@hookimpl
def module_info():
    # No "version": an installed module reports its distribution's (pyproject.toml).
    return {
        "name": "guestbook",
        "title": "Guestbook",
        "description": "Sign the guestbook.",
        "requires": [],
    }


@hookimpl
def register_models():
    return ["transcendence_guestbook.models"]


@hookimpl
def register_blueprints():
    return [blueprint]


@hookimpl
def register_realtime(hub):
    @hub.handler("guestbook.sign", SignIn)
    async def sign_by_socket(conn, data: SignIn):
        return await _sign(conn.user_id, data.text)


@hookimpl
async def user_profile_extras(user):
    return {"guestbook_entries": await Entry.filter(author_id=user.id).count()}


async def _sign(author_id: int, text: str) -> dict:
    entry = await Entry.create(author_id=author_id, text=text)
    return {"id": entry.id, "author_id": author_id, "text": entry.text}


@blueprint.post("/entries")
@validate_request(SignIn)
async def sign(data: SignIn):
    user = await current_user()
    return await _sign(user.id, data.text), 201


@blueprint.get("/entries")
@public
async def entries():
    rows = await Entry.all().order_by("id")
    return {"items": [{"id": e.id, "author_id": e.author_id, "text": e.text} for e in rows]}
