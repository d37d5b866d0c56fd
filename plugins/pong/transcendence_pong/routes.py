"""`/api/pong/...`: the public Pong API, so a non-browser client can play a web user.

Create a game or join the queue, read a game, send key events, read match history. Live
state streams over the realtime socket (`pong.join` then `pong.state` frames).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field
from quart import Blueprint, current_app
from quart_schema import document_response, validate_querystring, validate_request

from transcendence.auth import current_user
from transcendence.errors import APIError
from transcendence.ids import DbId
from transcendence.openapi import error_responses, other_response
from transcendence_pong import matchmaking
from transcendence_pong.models import Match, played_by
from transcendence_pong.realtime import CreateIn, KeyIn, OptionsIn
from transcendence_pong.seats import seat
from transcendence_pong.state import facade

blueprint = Blueprint("pong", __name__)


class GameCreated(BaseModel):
    game_id: str
    side: Literal["left", "right"]
    mode: str


class QueueIn(BaseModel):
    options: OptionsIn = Field(default_factory=OptionsIn)


class QueueOut(BaseModel):
    status: Literal["waiting", "matched"]
    game_id: str | None = None


class MatchOut(BaseModel):
    id: str
    mode: str
    status: str
    left: dict[str, Any] = Field(
        description="`user_id`, `name`, `kind`: `user`, `ai` (with `level`) or `guest` (with "
        "`named`: false when the name is the default one): a browser words the AI and an "
        "unnamed second player in its reader's language"
    )
    right: dict[str, Any]
    score: dict[str, int]
    winner: str | None
    forfeit: bool
    options: dict[str, Any]
    started_at: str
    ended_at: str | None
    live: dict[str, Any] | None = None


class HistoryQuery(BaseModel):
    user_id: DbId | None = None
    limit: int = Field(20, ge=1, le=100)


class HistoryOut(BaseModel):
    items: list[MatchOut]


class LiveQuery(BaseModel):
    limit: int = Field(20, ge=1, le=100)


class LiveOut(BaseModel):
    items: list[MatchOut]


def match_out(match: Match) -> dict[str, Any]:
    return {
        "id": str(match.id),
        "mode": match.mode,
        "status": match.status,
        "left": seat(match.left_user_id, match.left_name, match.mode, "left"),  # type: ignore[attr-defined]
        "right": seat(match.right_user_id, match.right_name, match.mode, "right"),  # type: ignore[attr-defined]
        "score": {"left": match.left_score, "right": match.right_score},
        "winner": match.winner,
        "forfeit": match.forfeit,
        "options": match.options,
        "started_at": match.started_at.isoformat(),
        "ended_at": match.ended_at.isoformat() if match.ended_at else None,
    }


async def history_for(user_id: int, limit: int = 20) -> list[dict[str, Any]]:
    rows = await played_by(user_id).order_by("-ended_at").limit(limit)
    return [match_out(m) for m in rows]


@blueprint.post("/games")
@error_responses(403, 409, 429)
@validate_request(CreateIn)
@document_response(GameCreated, 201)
async def create_game(data: CreateIn):
    """Start a local or AI game; follow it on the socket with `pong.join`."""
    user = await current_user()
    match = await facade(current_app).create_game(
        user.id,
        data.mode,
        data.options.model_dump(),
        level=data.level,
        opponent_name=data.opponent_name,
    )
    return {"game_id": str(match.id), "side": "left", "mode": data.mode}, 201


@blueprint.post("/queue")
@error_responses(409, 429)
@validate_request(QueueIn)
@document_response(QueueOut, 200)
async def join_queue(data: QueueIn):
    """Wait for a remote opponent who asked for the same options; `pong.matched` arrives
    on the socket when paired."""
    user = await current_user()
    game_id = await facade(current_app).join_queue(user.id, data.options.model_dump())
    return {"status": "matched" if game_id else "waiting", "game_id": game_id}


@blueprint.delete("/queue")
@other_response(204, "Left the queue (or was not in it)")
async def leave_queue():
    user = await current_user()
    await matchmaking.leave_queue(user.id)
    return "", 204


@blueprint.get("/games")
@validate_querystring(LiveQuery)
@document_response(LiveOut, 200)
async def live_games(query_args: LiveQuery):
    """Games running now (newest first), for spectators: follow one with `pong.join`."""
    await current_user()
    rows = await Match.filter(status="running").order_by("-started_at").limit(query_args.limit)
    return {"items": [match_out(m) for m in rows]}


@blueprint.get("/games/<game_id>")
@document_response(MatchOut, 200)
async def read_game(game_id: str):
    """A game: players, score, status; `live` holds the current state when this node runs it."""
    await current_user()
    pong = facade(current_app)
    match = await pong.match(game_id)
    if match is None:
        raise APIError(404, "not_found", "no such game")
    body = match_out(match)
    room = pong.games.rooms.get(game_id)
    body["live"] = room.state() if room is not None else None
    return body


@blueprint.post("/games/<game_id>/input")
@error_responses(403, 409)
@other_response(202, "Sent to the game")
@validate_request(KeyIn)
async def send_input(game_id: str, data: KeyIn):
    """A key pressed or released by the player this token belongs to."""
    user = await current_user()
    pong = facade(current_app)
    await pong.player_of(game_id, user.id)  # the same check as `pong.input`
    await pong.games.send_input(game_id, user.id, data.key, data.pressed, data.seq, data.side)
    return "", 202


@blueprint.get("/matches")
@validate_querystring(HistoryQuery)
@document_response(HistoryOut, 200)
async def history(query_args: HistoryQuery):
    """Finished matches of a user (default: me), newest first."""
    user = await current_user()
    return {"items": await history_for(query_args.user_id or user.id, query_args.limit)}
