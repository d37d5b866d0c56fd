"""Nim as a `transcendence.games.Game`: a pile of stones, each player in turn takes 1 to
`max_take`; who takes the last stone wins. Small on purpose: it proves that tournament,
stats and chat's invitations work with any game through the API alone (docs/modules.md,
"Writing a game", is built from it)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from transcendence.accounts.models import User
from transcendence.core import Core
from transcendence.errors import APIError
from transcendence.games import (
    MODES,
    Game,
    HookSource,
    MatchResult,
    Mode,
    Player,
    SeatSpec,
    invalid_options,
)
from transcendence.hub import notify
from transcendence_nim.models import NimInvite, NimMatch


class NimOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stones: int = Field(15, ge=5, le=50, description="Stones on the pile at the start")
    max_take: int = Field(3, ge=2, le=5, description="The most stones one turn takes")


def best_take(stones: int, max_take: int, level: str) -> int:
    """The AI's move: "easy" takes one stone; the others leave a multiple of
    `max_take + 1` when they can (the winning strategy)."""
    winning = stones % (max_take + 1)
    return 1 if level == "easy" or winning == 0 else winning


def result_of(row: NimMatch) -> MatchResult:
    """A match row as the game API's result (what `match_finished` carries)."""
    users = (row.seat0_user_id, row.seat1_user_id)  # type: ignore[attr-defined]
    return MatchResult(
        game="nim",
        id=str(row.id),
        mode=cast(Mode, row.mode),
        status=cast(Any, row.status),
        players=(
            Player(users[0], row.seat0_name, row.taken0, row.seat0_ai),
            Player(users[1], row.seat1_name, row.taken1, row.seat1_ai),
        ),
        winner=row.winner,
        forfeit=row.forfeit,
        keyboard=row.keyboard,
        options=row.options,
        started_at=row.started_at,
        ended_at=row.ended_at,
        details={"stones_left": row.stones_left, "turn": row.turn},
    )


def _id(match_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(match_id)
    except ValueError:  # not an id: no such match
        return None


async def _row(match_id: str) -> NimMatch | None:
    found = _id(match_id)
    return await NimMatch.get_or_none(id=found) if found is not None else None


async def _mine(match_id: str, user_id: int) -> NimMatch:
    """The match, locked for this transaction, or 404 when it is not this player's."""
    found = _id(match_id)
    row = await NimMatch.select_for_update().get_or_none(id=found) if found else None
    if row is None or not _seats_of(row, user_id):
        raise APIError(404, "not_found", "no such match of yours")
    return row


def _seats_of(row: NimMatch, user_id: int) -> list[int]:
    users = (row.seat0_user_id, row.seat1_user_id)  # type: ignore[attr-defined]
    return [seat for seat, user in enumerate(users) if user == user_id]


async def _announce(core: Core | None, row: NimMatch) -> None:
    """Tell every module a match ended (after its row is committed)."""
    if core is not None:
        await core.call("match_finished", result=result_of(row), core=core)


def _play(row: NimMatch, take: int) -> None:
    """The seat to move takes `take` stones (checked), then any AI seat answers."""
    allowed = min(row.options["max_take"], row.stones_left)
    if not 1 <= take <= allowed:
        raise APIError(400, "invalid_move", f"take 1 to {allowed} stones")
    while True:
        row.stones_left -= take
        setattr(row, f"taken{row.turn}", getattr(row, f"taken{row.turn}") + take)
        if row.stones_left == 0:
            row.status, row.winner, row.ended_at = "finished", row.turn, datetime.now(UTC)
            return
        row.turn = 1 - row.turn
        level = getattr(row, f"seat{row.turn}_ai")
        if level is None:
            return
        take = best_take(row.stones_left, row.options["max_take"], level)


class Nim(Game):
    name = "nim"
    title = "Nim"
    modes: tuple[Mode, ...] = MODES

    def options_schema(self) -> dict[str, Any]:
        return NimOptions.model_json_schema()

    def parse_options(self, raw: Mapping[str, Any] | None) -> dict[str, Any]:
        try:
            return NimOptions.model_validate(dict(raw or {})).model_dump()
        except ValidationError as exc:
            problems = exc.errors(include_url=False, include_context=False, include_input=False)
            raise invalid_options("these are not Nim's options", problems) from None

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
        if mode not in self.modes:
            raise APIError(400, "invalid_mode", f"mode is one of {', '.join(self.modes)}")
        if len(players) != 2 or players[0].ai_level is not None:
            raise APIError(400, "invalid_seats", "two seats, an AI's last")
        parsed = self.parse_options(options)
        keyboard = mode == "local" if keyboard is None else keyboard
        people = [seat for seat, p in enumerate(players) if p.user_id is not None]
        row = await NimMatch.create(
            id=uuid.uuid4(),
            mode=mode,
            seat0_user_id=players[0].user_id,
            seat1_user_id=players[1].user_id,
            seat0_name=players[0].name,
            seat1_name=players[1].name,
            seat1_ai=players[1].ai_level,
            options=parsed,
            keyboard=keyboard,
            waiting=people if hold and not keyboard else [],
            stones_left=parsed["stones"],
        )
        return str(row.id)  # Nim has no clock: `no_show` is the caller's to enforce

    async def result(self, match_id: str) -> MatchResult | None:
        row = await _row(match_id)
        return result_of(row) if row is not None else None

    async def finished(
        self, *, after: MatchResult | None = None, limit: int = 500
    ) -> list[MatchResult]:
        query = NimMatch.filter(status="finished")
        if after is not None and after.ended_at is not None:
            later = Q(ended_at__gt=after.ended_at)
            query = query.filter(later | Q(ended_at=after.ended_at, id__gt=after.id))
        return [result_of(r) for r in await query.order_by("ended_at", "id").limit(limit)]

    async def forfeit(self, core: Core, match_id: str, user_id: int) -> None:
        row = await _row(match_id)
        seats = _seats_of(row, user_id) if row is not None else []
        if row is None or not seats:
            return
        ended = await NimMatch.filter(id=row.id, status="running").update(
            status="finished", winner=1 - seats[0], forfeit=True, ended_at=datetime.now(UTC)
        )
        if ended:
            await _announce(core, await NimMatch.get(id=row.id))

    async def invite(
        self, core: Core, sender_id: int, recipient_id: int, options: Mapping[str, Any]
    ) -> int:
        parsed = self.parse_options(options)
        if sender_id == recipient_id:
            raise APIError(400, "invalid_recipient", "invite someone else")
        sender = await User.get(id=sender_id)
        if not await User.exists(id=recipient_id):
            raise APIError(404, "not_found", "no such player")
        invite = await NimInvite.create(
            sender_id=sender_id, recipient_id=recipient_id, options=parsed
        )
        data = {"invite_id": invite.id, "from": sender.display_name, "options": parsed}
        await notify(recipient_id, "nim.invite", data, app=core.app)
        return int(invite.id)

    async def answer(self, core: Core, user_id: int, invite_id: int, accept: bool) -> str | None:
        status = "accepted" if accept else "declined"
        async with in_transaction():
            invite = await NimInvite.select_for_update().get_or_none(
                id=invite_id, recipient_id=user_id, status="pending"
            )
            if invite is None:
                raise APIError(404, "not_found", "no such pending invitation")
            invite.status = status
            if accept:
                sender = await User.get(id=invite.sender_id)  # type: ignore[attr-defined]
                me = await User.get(id=user_id)
                seats = [
                    SeatSpec(sender.id, sender.display_name),
                    SeatSpec(me.id, me.display_name),
                ]
                invite.match_id = await self.create_match(
                    core, seats, invite.options, mode="remote"
                )
            await invite.save(update_fields=["status", "match_id"])
        return invite.match_id

    def ai_available(self, hooks: HookSource) -> bool:
        return True  # Nim's AI is its own (`best_take`)

    async def play_headless(
        self,
        hooks: HookSource,
        players: Sequence[SeatSpec],
        options: Mapping[str, Any],
        *,
        mode: Mode = "tournament",
        seed: int = 0,
    ) -> MatchResult | None:
        """Two AI seats, played out at once (Nim's AI is its own: no module needed)."""
        if len(players) != 2 or None in (players[0].ai_level, players[1].ai_level):
            raise APIError(400, "invalid_seats", "a headless match is played by two AI seats")
        parsed = self.parse_options(options)
        row = NimMatch(
            id=uuid.uuid4(),
            mode=mode,
            seat0_name=players[0].name,
            seat1_name=players[1].name,
            seat0_ai=players[0].ai_level,
            seat1_ai=players[1].ai_level,
            options=parsed,
            stones_left=parsed["stones"],
        )
        _play(row, best_take(row.stones_left, parsed["max_take"], str(row.seat0_ai)))
        await row.save()
        return result_of(row)


async def join(core: Core, match_id: str, user_id: int) -> MatchResult:
    """A player opens a held match: their seat is no longer waiting (reported once)."""
    async with in_transaction():
        row = await _mine(match_id, user_id)
        arrived = [seat for seat in _seats_of(row, user_id) if seat in row.waiting]
        if arrived:
            row.waiting = [seat for seat in row.waiting if seat not in arrived]
            await row.save(update_fields=["waiting"])
    if arrived:
        await core.call(
            "match_player_joined", game="nim", match_id=match_id, user_id=user_id, core=core
        )
    return result_of(row)


async def move(core: Core, match_id: str, user_id: int, take: int) -> MatchResult:
    """The player to move takes `take` stones; an AI seat answers at once."""
    async with in_transaction():
        row = await _mine(match_id, user_id)
        if row.status != "running":
            raise APIError(409, "match_over", "this match has ended")
        if row.waiting:
            raise APIError(409, "waiting_for_players", "not every player has joined yet")
        mover = 0 if row.keyboard else row.turn  # at one keyboard, seat 0 plays both
        if mover not in _seats_of(row, user_id):
            raise APIError(409, "not_your_turn", "wait for your opponent's move")
        _play(row, take)
        await row.save()
    if row.status == "finished":
        await _announce(core, row)
    return result_of(row)


NIM = Nim()
