"""Creating an online tournament, taking and giving up its seats (players and AI)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from transcendence.errors import APIError
from transcendence_tournament import service
from transcendence_tournament.models import Entry, Tournament
from transcendence_tournament.online.timers import now

AI_LEVELS = ("easy", "normal", "hard")
DEFAULT_NO_SHOW = 60


def clean_alias(alias: str) -> str:
    alias = " ".join(alias.split())
    if not 1 <= len(alias) <= 32:
        raise APIError(400, "invalid_alias", "an alias is 1 to 32 characters", {"alias": alias})
    return alias


async def create(
    owner: Any,
    *,
    name: str,
    size: int,
    fmt: str,
    options: dict[str, Any],
    starts_at: datetime | None,
    alias: str | None,
    seeding: str,
    no_show_seconds: int = DEFAULT_NO_SHOW,
    game: str = "pong",
) -> Tournament:
    """A new open tournament of `game` (its `options` parsed by it: `service.game_options`);
    its creator has the first seat."""
    if fmt not in service.FORMATS:
        raise APIError(400, "invalid_format", "format is single or round_robin")
    if not service.MIN_PLAYERS <= size <= service.MAX_PLAYERS:
        raise APIError(400, "invalid_size", "a tournament has 3 to 16 seats")
    if seeding not in ("rating", "random"):
        raise APIError(400, "invalid_seeding", "seeding is rating or random")
    if starts_at is not None:
        if starts_at.tzinfo is None:
            starts_at = starts_at.replace(tzinfo=UTC)
        if starts_at <= now():
            raise APIError(400, "invalid_starts_at", "the start time is in the past")
        if starts_at > now() + timedelta(days=30):
            raise APIError(400, "invalid_starts_at", "a tournament starts within 30 days")
    alias = clean_alias(alias if alias is not None else owner.display_name)
    async with in_transaction():
        tournament = await Tournament.create(
            name=name.strip() or "Tournament",
            kind="online",
            game=game,
            format=fmt,
            status="open",
            owner_id=owner.id,
            options=options,
            size=size,
            starts_at=starts_at,
            seeding=seeding,
            no_show_seconds=no_show_seconds,
        )
        await Entry.create(
            tournament=tournament, alias=alias, alias_key=alias.casefold(), user_id=owner.id, seed=1
        )
    return tournament


async def locked(tournament_id: int) -> Tournament:
    """The tournament row, locked until the transaction ends (PostgreSQL: FOR UPDATE)."""
    tournament = await Tournament.select_for_update().get_or_none(id=tournament_id)
    if tournament is None or tournament.kind != "online":
        raise APIError(404, "not_found", "no such online tournament")
    return tournament


def ensure_open(tournament: Tournament) -> None:
    """409 `already_started` unless the tournament still takes players."""
    if tournament.status != "open":
        raise APIError(
            409,
            "already_started",
            f"this tournament is {tournament.status}",
            {"status": tournament.status},
        )


async def _add_entry(tournament: Tournament, alias: str, **fields: Any) -> Entry:
    count = await Entry.filter(tournament=tournament).count()
    if count >= (tournament.size or service.MAX_PLAYERS):
        raise APIError(409, "full", "every seat is taken", {"size": tournament.size})
    if await Entry.filter(tournament=tournament, alias_key=alias.casefold()).exists():
        raise APIError(409, "alias_taken", "someone has this alias here", {"alias": alias})
    try:
        return await Entry.create(
            tournament=tournament, alias=alias, alias_key=alias.casefold(), seed=count + 1, **fields
        )
    except IntegrityError:
        raise APIError(
            409, "alias_taken", "someone has this alias here", {"alias": alias}
        ) from None


async def join(tournament_id: int, user: Any, alias: str | None) -> tuple[Tournament, bool]:
    """Take a seat; (the tournament, whether it is now full)."""
    alias = clean_alias(alias if alias is not None else user.display_name)
    async with in_transaction():
        tournament = await locked(tournament_id)
        ensure_open(tournament)
        if await Entry.filter(tournament=tournament, user_id=user.id).exists():
            raise APIError(409, "already_joined", "you already have a seat here")
        await _add_entry(tournament, alias, user_id=user.id)
        full = await Entry.filter(tournament=tournament).count() >= (tournament.size or 0)
    return tournament, full


async def add_ai(tournament_id: int, user: Any, level: str) -> tuple[Tournament, bool]:
    """The owner gives a seat to the AI (the game plays it: pong's is the ai module's)."""
    if level not in AI_LEVELS:
        raise APIError(400, "invalid_level", "level is easy, normal or hard")
    async with in_transaction():
        tournament = await locked(tournament_id)
        if tournament.owner_id != user.id:  # type: ignore[attr-defined]
            raise APIError(403, "forbidden", "only the organiser adds AI players")
        ensure_open(tournament)
        taken = {e.alias_key for e in await Entry.filter(tournament=tournament)}
        number = 1
        while f"ai {number}" in taken:
            number += 1
        await _add_entry(tournament, f"AI {number}", ai_level=level)
        full = await Entry.filter(tournament=tournament).count() >= (tournament.size or 0)
    return tournament, full


async def leave(tournament_id: int, user: Any) -> Tournament:
    """Give up a seat before the start; the last one out cancels the tournament."""
    async with in_transaction():
        tournament = await locked(tournament_id)
        ensure_open(tournament)
        deleted = await Entry.filter(tournament=tournament, user_id=user.id).delete()
        if not deleted:
            raise APIError(409, "not_joined", "you have no seat in this tournament")
        if not await Entry.filter(tournament=tournament, ai_level=None).exists():
            tournament.status = "cancelled"
            await tournament.save(update_fields=["status"])
    return tournament
