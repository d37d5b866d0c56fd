"""`/api/tournament/...`: local tournaments at one keyboard, and online ones."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator
from quart import Blueprint, current_app, request
from quart_schema import document_response, validate_querystring, validate_request
from tortoise.expressions import Q

from transcendence.auth import current_user
from transcendence.core import core_of
from transcendence.errors import APIError
from transcendence.games import SeatSpec, game_of
from transcendence.openapi import error_responses
from transcendence.pagination import DEFAULT_LIMIT, MAX_LIMIT, decode_cursor, page
from transcendence_tournament import service
from transcendence_tournament.models import Entry, Tournament
from transcendence_tournament.online import calls, entries, presentation
from transcendence_tournament.views import view

blueprint = Blueprint("tournament", __name__)


# The views are documented as JSON objects; their fields are described in docs/tournament.md.
TournamentView = dict[str, Any]


def game_field() -> Any:
    return Field(
        "pong", min_length=1, max_length=32, description="the game played (`GET /api/games`)"
    )


class LocalIn(BaseModel):
    name: str = Field("Local tournament", min_length=1, max_length=64)
    aliases: list[str] = Field(min_length=3, max_length=16)
    format: Literal["single", "round_robin"] = "single"
    game: str = game_field()
    options: dict[str, Any] = Field(
        default_factory=dict, description="the game's options (its schema: `GET /api/games`)"
    )
    shuffle: bool = True


class OnlineIn(BaseModel):
    name: str = Field("Tournament", min_length=1, max_length=64)
    size: int = Field(8, ge=3, le=16)
    format: Literal["single", "round_robin"] = "single"
    game: str = game_field()
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="the game's options (`GET /api/games`); `no_show_seconds` is also "
        "accepted here",
    )
    starts_at: datetime | None = Field(None, description="None: starts when full")
    alias: str | None = Field(None, min_length=1, max_length=32)
    seeding: Literal["rating", "random"] = "rating"
    no_show_seconds: int | None = Field(
        None, ge=1, le=3600, description="seconds a called player has to open the game (60)"
    )

    @model_validator(mode="before")
    @classmethod
    def _no_show_among_options(cls, data: Any) -> Any:
        """`no_show_seconds` is also accepted among the options (the top level wins): it
        is the tournament's, not the game's."""
        options = data.get("options") if isinstance(data, dict) else None
        if not isinstance(options, dict) or "no_show_seconds" not in options:
            return data
        options = dict(options)
        moved = options.pop("no_show_seconds")
        top = data.get("no_show_seconds")
        return {**data, "options": options, "no_show_seconds": moved if top is None else top}


class JoinIn(BaseModel):
    alias: str | None = Field(None, min_length=1, max_length=32)


class AiIn(BaseModel):
    level: Literal["easy", "normal", "hard"] = "normal"


class ListQuery(BaseModel):
    status: Literal["open", "running", "finished", "cancelled"] | None = None
    cursor: str | None = Field(None, max_length=512)
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


async def owned(tournament_id: int) -> Tournament:
    user = await current_user()
    tournament = await Tournament.get_or_none(id=tournament_id)
    if tournament is None:
        raise APIError(404, "not_found", "no such tournament")
    if tournament.kind == "local" and tournament.owner_id != user.id:  # type: ignore[attr-defined]
        raise APIError(403, "forbidden", "this local tournament is played on another keyboard")
    return tournament


@blueprint.post("/local")
@error_responses(409)
@document_response(TournamentView, 201)
@validate_request(LocalIn)
async def create_local(data: LocalIn):
    """Start a local tournament: everyone at this keyboard, known by an alias."""
    user = await current_user()
    options = service.game_options(core_of(_app()), data.game, data.options)
    tournament = await service.create_local(
        user.id, data.name, data.aliases, data.format, options, game=data.game, shuffle=data.shuffle
    )
    return await view(tournament), 201


@blueprint.get("/<id:tournament_id>")
@error_responses(403)
@document_response(TournamentView, 200)
async def read(tournament_id: int):
    """The bracket: who plays whom, in what order, results, the next match, standings."""
    user = await current_user()
    return await view(await owned(tournament_id), user.id)


# --- online tournaments -------------------------------------------------------------------


def _app():
    return current_app._get_current_object()  # type: ignore[attr-defined]


@blueprint.get("/online")
@document_response(TournamentView, 200)
@validate_querystring(ListQuery)
async def list_online(query_args: ListQuery):
    """Online tournaments, newest first (`status` filters; paginated by `cursor`)."""
    await current_user()
    before = decode_cursor(query_args.cursor, int)
    rows = await presentation.listing(query_args.status, query_args.limit, before)
    rows, cursor = page(rows, query_args.limit, lambda t: t.id)
    counts = {}
    for t in rows:
        counts[t.id] = await Entry.filter(tournament_id=t.id).count()
    return {
        "items": [
            {
                "id": t.id,
                "name": t.name,
                "game": t.game,
                "format": t.format,
                "size": t.size,
                "status": t.status,
                "players": counts[t.id],
                "starts_at": presentation.iso(t.starts_at),
                "winner": t.winner_alias,
                "owner": (
                    {
                        "id": t.owner.id,
                        "username": t.owner.username,
                        "display_name": t.owner.display_name,
                    }
                    if t.owner
                    else None
                ),
            }
            for t in rows
        ],
        "next": cursor,
    }


@blueprint.post("/online")
@error_responses(409)
@document_response(TournamentView, 201)
@validate_request(OnlineIn)
async def create_online(data: OnlineIn):
    """Open an online tournament; its creator takes the first seat."""
    user = await current_user()
    options = service.game_options(core_of(_app()), data.game, data.options)
    tournament = await entries.create(
        user,
        name=data.name,
        size=data.size,
        fmt=data.format,
        options=options,
        starts_at=data.starts_at,
        alias=data.alias,
        seeding=data.seeding,
        no_show_seconds=data.no_show_seconds or entries.DEFAULT_NO_SHOW,
        game=data.game,
    )
    calls.schedule_start(_app(), tournament)
    return await view(tournament, user.id), 201


async def _seated(tournament: Tournament, full: bool, user_id: int):
    """After a seat was taken: start when full (if no start time is set), tell watchers."""
    app = _app()
    if full and tournament.starts_at is None:
        await calls.start(app, tournament.id)
    else:
        await presentation.broadcast(app, tournament)
    await tournament.refresh_from_db()
    return await view(tournament, user_id)


@blueprint.post("/<id:tournament_id>/join")
@error_responses(400, 403, 409)
@document_response(TournamentView, 200)
@validate_request(JoinIn)
async def join(tournament_id: int, data: JoinIn):
    """Take a seat (409 `alias_taken`, `full`, `already_started`, `already_joined`)."""
    user = await current_user()
    tournament, full = await entries.join(tournament_id, user, data.alias)
    return await _seated(tournament, full, user.id)


@blueprint.post("/<id:tournament_id>/leave")
@error_responses(400, 403, 409)
@document_response(TournamentView, 200)
async def leave(tournament_id: int):
    """Give up a seat, before the start only."""
    user = await current_user()
    tournament = await entries.leave(tournament_id, user)
    await presentation.broadcast(_app(), tournament)
    return await view(tournament, user.id)


@blueprint.post("/<id:tournament_id>/start")
@error_responses(400, 403, 409)
@document_response(TournamentView, 200)
async def start(tournament_id: int):
    """Start now (the organiser, with at least 3 players)."""
    user = await current_user()
    tournament = await calls.start(_app(), tournament_id, by=user)
    assert tournament is not None
    await tournament.refresh_from_db()
    return await view(tournament, user.id)


@blueprint.post("/<id:tournament_id>/ai")
@error_responses(400, 403, 409)
@document_response(TournamentView, 200)
async def add_ai(tournament_id: int):
    """Give a seat to the AI (the organiser, before the start; an AI must play the game
    here: pong's is the ai module). Body (optional): {"level": "easy" | "normal" | "hard"}."""
    user = await current_user()
    tournament = await Tournament.get_or_none(id=tournament_id)
    if tournament is None or tournament.kind != "online":
        raise APIError(404, "not_found", "no such online tournament")
    core = core_of(_app())
    if not game_of(core, tournament.game).ai_available(core):
        raise APIError(409, "ai_unavailable", "no AI plays this tournament's game here")
    raw = await request.get_json(silent=True)
    try:
        body = AiIn.model_validate(raw if raw is not None else {})
    except ValueError as exc:
        raise APIError(400, "validation_error", "level is easy, normal or hard") from exc
    tournament, full = await entries.add_ai(tournament_id, user, body.level)
    return await _seated(tournament, full, user.id)


@blueprint.post("/<id:tournament_id>/next")
@error_responses(400, 403, 409)
@document_response(TournamentView, 201)
async def play_next(tournament_id: int):
    """Start the next match at this keyboard (both players on it)."""
    tournament = await owned(tournament_id)
    if tournament.kind != "local":
        # Only a local tournament is played from one keyboard; an online one's matches are
        # called by the server (online/calls.py). Refused before anything is created.
        raise APIError(403, "forbidden", "an online tournament's matches are called by the server")
    user = await current_user()
    core = core_of(_app())
    game = game_of(core, tournament.game)

    async def start(left, right):
        seats = [SeatSpec(user.id, left.alias), SeatSpec(None, right.alias)]
        return await game.create_match(
            core, seats, tournament.options, mode="tournament", keyboard=True
        )

    return await service.start_next(tournament, start), 201


@blueprint.get("/")
@document_response(TournamentView, 200)
async def mine():
    """My tournaments (organised or joined), newest first."""
    user = await current_user()
    rows = (
        await Tournament.filter(Q(owner_id=user.id) | Q(entries__user_id=user.id))
        .distinct()
        .order_by("-id")
        .limit(50)
    )
    return {
        "items": [
            {
                "id": t.id,
                "name": t.name,
                "kind": t.kind,
                "game": t.game,
                "format": t.format,
                "status": t.status,
                "winner": t.winner_alias,
            }
            for t in rows
        ]
    }
