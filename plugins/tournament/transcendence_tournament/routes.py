"""`/api/tournament/...`: local tournaments at one keyboard."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from quart import Blueprint, current_app
from quart_schema import validate_request

from transcendence.auth import current_user
from transcendence.errors import APIError
from transcendence_pong.realtime import OptionsIn
from transcendence_tournament import service
from transcendence_tournament.models import Tournament

blueprint = Blueprint("tournament", __name__)


class LocalIn(BaseModel):
    name: str = Field("Local tournament", min_length=1, max_length=64)
    aliases: list[str] = Field(min_length=3, max_length=16)
    format: Literal["single", "round_robin"] = "single"
    options: OptionsIn = Field(default_factory=OptionsIn)
    shuffle: bool = True


async def owned(tournament_id: int) -> Tournament:
    user = await current_user()
    tournament = await Tournament.get_or_none(id=tournament_id)
    if tournament is None:
        raise APIError(404, "not_found", "no such tournament")
    if tournament.kind == "local" and tournament.owner_id != user.id:  # type: ignore[attr-defined]
        raise APIError(403, "forbidden", "this local tournament is played on another keyboard")
    return tournament


@blueprint.post("/local")
@validate_request(LocalIn)
async def create_local(data: LocalIn):
    """Start a local tournament: everyone at this keyboard, known by an alias."""
    user = await current_user()
    tournament = await service.create_local(
        user.id,
        data.name,
        data.aliases,
        data.format,
        data.options.model_dump(),
        shuffle=data.shuffle,
    )
    return await service.view(tournament), 201


@blueprint.get("/<int:tournament_id>")
async def read(tournament_id: int):
    """The bracket: who plays whom, in what order, results, the next match, standings."""
    return await service.view(await owned(tournament_id))


@blueprint.post("/<int:tournament_id>/next")
async def play_next(tournament_id: int):
    """Start the next match as a local pong game (both paddles on this keyboard)."""
    from transcendence_pong.hooks import facade
    from transcendence_pong.service import parse_options

    tournament = await owned(tournament_id)
    user = await current_user()
    games = facade(current_app).games

    async def start(left, right):
        match = await games.create(
            "tournament",
            (user.id, left.alias),
            (None, right.alias),
            parse_options(tournament.options),
            keyboard=True,
        )
        return match.id

    return await service.start_next(tournament, start), 201


@blueprint.get("/")
async def mine():
    """My tournaments, newest first."""
    user = await current_user()
    rows = await Tournament.filter(owner_id=user.id).order_by("-id").limit(50)
    return {
        "items": [
            {
                "id": t.id,
                "name": t.name,
                "kind": t.kind,
                "format": t.format,
                "status": t.status,
                "winner": t.winner_alias,
            }
            for t in rows
        ]
    }
