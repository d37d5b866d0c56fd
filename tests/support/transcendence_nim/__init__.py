"""The module "nim": a deliberately small second game, played over REST, that implements
the game API (`transcendence.games`) so the tests show tournament, stats and chat's
invitations working with a game other than pong. docs/modules.md, "Writing a game"."""

from __future__ import annotations

from pydantic import BaseModel, Field
from quart import Blueprint
from quart_schema import validate_request

from transcendence import hookimpl
from transcendence.auth import current_user
from transcendence.core import current_core
from transcendence.errors import APIError
from transcendence.games import SeatSpec
from transcendence_nim import game
from transcendence_nim.game import NIM

blueprint = Blueprint("nim", __name__)


class MoveIn(BaseModel):
    take: int = Field(ge=1, le=5, description="Stones to take from the pile")


class CreateIn(BaseModel):
    opponent_name: str = Field("Player 2", min_length=1, max_length=32)
    level: str | None = Field(None, pattern="^(easy|normal|hard)$", description="Against the AI")
    options: dict = Field(default_factory=dict)


@hookimpl
def module_info():
    return {
        "name": "nim",
        "title": "Nim",
        "description": "Take 1 to 3 stones in turn; whoever takes the last one wins.",
        "requires": [],
    }


@hookimpl
def register_games():
    return [NIM]


@hookimpl
def register_models():
    return ["transcendence_nim.models"]


@hookimpl
def register_blueprints():
    return [blueprint]


def _view(result) -> dict:
    return {
        "id": result.id,
        "mode": result.mode,
        "status": result.status,
        "players": [
            {"user_id": p.user_id, "name": p.name, "taken": p.score} for p in result.players
        ],
        "stones_left": result.details["stones_left"],
        "turn": result.details["turn"],
        "winner": result.winner,
    }


@blueprint.post("/matches")
@validate_request(CreateIn)
async def create(data: CreateIn):
    """A match at this keyboard, or against the AI with `level`."""
    user = await current_user()
    opponent = SeatSpec(
        None, f"AI ({data.level})" if data.level else data.opponent_name, data.level
    )
    mode = "ai" if data.level else "local"
    seats = [SeatSpec(user.id, user.display_name), opponent]
    match_id = await NIM.create_match(current_core(), seats, data.options, mode=mode)
    return _view(await NIM.result(match_id)), 201


@blueprint.get("/matches/<match_id>")
async def read(match_id: str):
    found = await NIM.result(match_id)
    if found is None:
        raise APIError(404, "not_found", "no such match")
    return _view(found)


@blueprint.post("/matches/<match_id>/join")
async def join(match_id: str):
    user = await current_user()
    return _view(await game.join(current_core(), match_id, user.id))


@blueprint.post("/matches/<match_id>/moves")
@validate_request(MoveIn)
async def move(match_id: str, data: MoveIn):
    user = await current_user()
    return _view(await game.move(current_core(), match_id, user.id, data.take))
