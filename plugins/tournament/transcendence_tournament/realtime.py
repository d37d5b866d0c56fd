"""Realtime types of the tournament module: follow a tournament's bracket live."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from transcendence.ids import DbId
from transcendence.realtime import RealtimeError
from transcendence_tournament.models import Tournament
from transcendence_tournament.online.presentation import topic
from transcendence_tournament.views import view


class WatchIn(BaseModel):
    id: DbId = Field(description="the tournament's id")


class Watched(BaseModel):
    tournament: dict[str, Any] = Field(description="the view, as GET /api/tournament/{id}")


class Ok(BaseModel):
    ok: bool = True


class MatchReady(BaseModel):
    tournament_id: int
    match_key: str
    match_id: str
    opponent: str
    deadline: str


def register(hub: Any) -> None:
    @hub.handler("tournament.watch", WatchIn, reply=Watched)
    async def watch(conn, data: WatchIn):
        """Follow a tournament: `tournament.updated` arrives on every change. The reply is
        its view now (read after following, so no change falls in between)."""
        tournament = await Tournament.get_or_none(id=data.id)
        if tournament is None:
            raise RealtimeError("not_found", "no such tournament")
        if tournament.kind == "local" and tournament.owner_id != conn.user_id:  # type: ignore[attr-defined]
            raise RealtimeError("forbidden", "this local tournament is played on another keyboard")
        await conn.subscribe(topic(tournament.id))
        return {"tournament": await view(tournament, conn.user_id)}

    @hub.handler("tournament.unwatch", WatchIn, reply=Ok)
    async def unwatch(conn, data: WatchIn):
        """Stop following a tournament."""
        await conn.unsubscribe(topic(data.id))
        return Ok()

    hub.event(
        "tournament.updated",
        Watched,
        "A tournament you watch changed (joins, start, calls, results); data: its view.",
    )
    hub.event(
        "tournament.match_ready",
        MatchReady,
        "Your match is ready: open /play/games/<match_id> before the deadline.",
    )
