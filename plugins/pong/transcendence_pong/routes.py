"""`/api/pong/...`: the public Pong API, so a non-browser client can play a web user.

Create a game or join the queue, read a game, send key events, read match history. Live
state streams over the realtime socket (`pong.join` then `pong.state` frames).
"""

from __future__ import annotations

from quart import Blueprint, current_app
from quart_schema import document_response, validate_querystring, validate_request

from transcendence.auth import current_user
from transcendence.errors import APIError
from transcendence.openapi import error_responses, other_response
from transcendence_pong import matchmaking
from transcendence_pong.engine import options_definition
from transcendence_pong.models import Match
from transcendence_pong.presentation import history_for, match_out
from transcendence_pong.schemas import (
    CreateIn,
    GameCreated,
    HistoryOut,
    HistoryQuery,
    KeyIn,
    LiveOut,
    LiveQuery,
    MatchOut,
    OptionsOut,
    QueueIn,
    QueueOut,
)
from transcendence_pong.state import facade

blueprint = Blueprint("pong", __name__)


@blueprint.get("/options")
@document_response(OptionsOut, 200)
async def options():
    """The game options the browser offers: defaults, ranges, themes, presets ("classic"):
    the engine's definition (engine.py), the one source of them."""
    await current_user()
    return options_definition()


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
