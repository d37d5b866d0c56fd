"""Pong as a `transcendence.games.Game`: what tournament, stats and chat's invitations use
to start, read and end pong matches without knowing pong (docs/modules.md, "Writing a
game"). A thin adapter over the running module (`state.facade`) and its records."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from tortoise.expressions import Q

from transcendence.core import Core
from transcendence.errors import APIError
from transcendence.games import MODES, Game, HookSource, MatchResult, Mode, SeatSpec
from transcendence_pong.clock import FastClock
from transcendence_pong.engine import Engine, Side
from transcendence_pong.errors import GameError
from transcendence_pong.models import Match, Rating
from transcendence_pong.options import parse_options
from transcendence_pong.recording import record
from transcendence_pong.records import GAME, SIDES, result_of
from transcendence_pong.room import Room, Seat
from transcendence_pong.schemas import OptionsIn
from transcendence_pong.state import facade


def _two(players: Sequence[SeatSpec]) -> tuple[SeatSpec, SeatSpec]:
    if len(players) != 2:
        raise APIError(400, "invalid_seats", "a pong match has two seats")
    return players[0], players[1]


def _ai(hooks: HookSource, side: Side, level: str) -> Any:
    """An AI for `side` from the enabled module playing it (the ai module), or None."""
    return hooks.hook("pong_ai_player")(side=side, level=level)


async def _nothing(kind: str, state: dict[str, Any]) -> None:
    """A headless match has no one to publish to."""


class Pong(Game):
    name = GAME
    title = "Pong"
    modes: tuple[Mode, ...] = MODES

    def options_schema(self) -> dict[str, Any]:
        return OptionsIn.model_json_schema()

    def parse_options(self, raw: Mapping[str, Any] | None) -> dict[str, Any]:
        return parse_options(dict(raw or {})).as_dict()  # GameError 400 invalid_options

    async def create_match(
        self,
        core: Core,
        players: Sequence[SeatSpec],
        options: Mapping[str, Any],
        *,
        mode: Mode,
        keyboard: bool | None = None,
        hold: bool = False,
        no_show: float | None = None,
    ) -> str:
        left, right = _two(players)
        if left.ai_level is not None:
            raise APIError(400, "invalid_seats", "AI seats come last; two AI seats play headless")
        parsed = parse_options(dict(options))
        ai = None
        if right.ai_level is not None:
            ai = _ai(core, Side.RIGHT, right.ai_level)
            if ai is None:
                raise GameError(409, "ai_unavailable", "the ai module is disabled")
        match = await facade(core.app).games.create(
            mode,
            (left.user_id, left.name),
            (right.user_id, right.name),
            parsed,
            ai=ai,
            ai_level=right.ai_level,
            keyboard=keyboard,
            hold=hold,
            no_show=no_show,
        )
        return str(match.id)

    async def result(self, match_id: str) -> MatchResult | None:
        try:
            match = await Match.get_or_none(id=uuid.UUID(match_id))
        except ValueError:
            return None
        return result_of(match) if match is not None else None

    async def finished(
        self, *, after: MatchResult | None = None, limit: int = 500
    ) -> list[MatchResult]:
        query = Match.filter(status="finished", ended_at__not_isnull=True)
        if after is not None and after.ended_at is not None:
            query = query.filter(
                Q(ended_at__gt=after.ended_at) | Q(ended_at=after.ended_at, id__gt=after.id)
            )
        rows = await query.order_by("ended_at", "id").limit(limit)
        return [result_of(match) for match in rows]

    async def forfeit(self, core: Core, match_id: str, user_id: int) -> None:
        found = await self.result(match_id)
        if found is not None and found.status == "running" and found.seat_of(user_id) is not None:
            await facade(core.app).games.send(match_id, {"op": "forfeit", "user_id": user_id})

    async def ratings(self, user_ids: Sequence[int]) -> dict[int, int]:
        rows = await Rating.filter(user_id__in=list(user_ids)) if user_ids else []
        return {row.user_id: row.rating for row in rows}  # type: ignore[attr-defined]

    async def invite(
        self, core: Core, sender_id: int, recipient_id: int, options: Mapping[str, Any]
    ) -> int:
        row = await facade(core.app).invite(sender_id, recipient_id, dict(options))
        return int(row.id)

    async def answer(self, core: Core, user_id: int, invite_id: int, accept: bool) -> str | None:
        return await facade(core.app).answer_invite(user_id, invite_id, accept)

    def match_page(self, match_id: str) -> str | None:
        return f"/play/games/{match_id}"

    def ai_available(self, hooks: HookSource) -> bool:
        return bool(hooks.hook("pong_ai_player").get_hookimpls())

    async def play_headless(
        self,
        hooks: HookSource,
        players: Sequence[SeatSpec],
        options: Mapping[str, Any],
        *,
        mode: Mode = "tournament",
        seed: int = 0,
    ) -> MatchResult | None:
        """Two AI seats on the real engine, faster than real time (a FastClock)."""
        seats = _two(players)
        levels = [seat.ai_level for seat in seats]
        if None in levels:
            raise APIError(400, "invalid_seats", "a headless match is played by two AI seats")
        bots = {
            side: _ai(hooks, side, str(level)) for side, level in zip(Side, levels, strict=True)
        }
        if None in bots.values():
            return None  # no enabled module plays pong's AI
        parsed = parse_options(dict(options))
        match = await Match.create(
            id=uuid.uuid4(),
            mode=mode,
            left_user_id=seats[0].user_id,
            right_user_id=seats[1].user_id,
            left_name=seats[0].name,
            right_name=seats[1].name,
            options=parsed.as_dict(),
        )

        def drive(room: Room) -> None:
            for bot in bots.values():
                bot.tick(room)

        room = Room(
            str(match.id),
            Engine(parsed, seed=seed),
            [
                Seat(side, seat.user_id, remote=False)
                for side, seat in zip(Side, seats, strict=True)
            ],
            publish=_nothing,
            clock=FastClock(),
            on_tick=drive,
        )
        await room.run()
        stored = await record(room)
        stored.record = {**stored.record, "ai_levels": dict(zip(SIDES, levels, strict=True))}
        await stored.save(update_fields=["record"])
        return result_of(stored)


PONG = Pong()
