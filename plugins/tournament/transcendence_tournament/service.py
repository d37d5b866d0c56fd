"""Tournament logic: creating one, rebuilding its bracket, starting and recording games.

The bracket itself is never stored: it is rebuilt from the entries (in seed order) and the
recorded results, so it cannot drift from them.
"""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from transcendence import games
from transcendence.errors import APIError
from transcendence_tournament.brackets import BracketError, RoundRobin, SingleElimination
from transcendence_tournament.models import Entry, Game, Tournament

log = logging.getLogger("transcendence.tournament")
ACTIVE = ("ready", "playing", "noshow")  # a game row whose result is not in yet

MIN_PLAYERS, MAX_PLAYERS = 3, 16
FORMATS: dict[str, type[SingleElimination] | type[RoundRobin]] = {
    "single": SingleElimination,
    "round_robin": RoundRobin,
}


def game_options(hooks: games.HookSource, name: str, options: dict[str, Any]) -> dict[str, Any]:
    """A new tournament's options as its game `name` parses them (400 `invalid_options`);
    400 `invalid_game` when no game of that name is offered here."""
    offered = games.games_of(hooks)
    game = offered.get(name)
    if game is None:
        raise APIError(
            400, "invalid_game", f"no game {name!r} here", {"game": name, "games": sorted(offered)}
        )
    return game.parse_options(options)


def clean_aliases(aliases: list[str]) -> list[str]:
    cleaned = [a.strip() for a in aliases]
    if not MIN_PLAYERS <= len(cleaned) <= MAX_PLAYERS:
        raise APIError(
            400, "invalid_players", f"a tournament has {MIN_PLAYERS} to {MAX_PLAYERS} players"
        )
    for alias in cleaned:
        if not 1 <= len(alias) <= 32:
            raise APIError(400, "invalid_alias", "aliases are 1 to 32 characters", {"alias": alias})
    keys = [a.casefold() for a in cleaned]
    duplicates = sorted({a for a, k in zip(cleaned, keys, strict=True) if keys.count(k) > 1})
    if duplicates:
        raise APIError(
            409, "conflict", "aliases must be unique in a tournament", {"aliases": duplicates}
        )
    return cleaned


async def create_local(
    owner_id: int,
    name: str,
    aliases: list[str],
    fmt: str,
    options: dict[str, Any],
    *,
    game: str = "pong",
    shuffle: bool = True,
) -> Tournament:
    """A new local tournament; the owner's unfinished local one is abandoned (aliases are
    forgotten when a new tournament begins)."""
    if fmt not in FORMATS:
        raise APIError(400, "invalid_format", "format is single or round_robin")
    cleaned = clean_aliases(aliases)
    if shuffle:
        random.SystemRandom().shuffle(cleaned)
    async with in_transaction():
        await Tournament.filter(owner_id=owner_id, kind="local", status="running").update(
            status="abandoned"
        )
        tournament = await Tournament.create(
            name=name, kind="local", format=fmt, owner_id=owner_id, game=game, options=options
        )
        await Entry.bulk_create(
            [
                Entry(tournament=tournament, alias=alias, alias_key=alias.casefold(), seed=seed)
                for seed, alias in enumerate(cleaned, start=1)
            ]
        )
    return tournament


async def bracket_of(
    tournament: Tournament, games: list[Game] | None = None
) -> tuple[Any, dict[int, Entry]]:
    """The bracket with its recorded games (`games`: rows already read, else read here)."""
    entries = {e.seed: e for e in await Entry.filter(tournament=tournament).order_by("seed")}
    bracket = FORMATS[tournament.format](list(entries))
    if games is None:
        games = await Game.filter(tournament=tournament, status="done").order_by("id")
    for game in games:
        if game.status == "done":
            bracket.record(game.key, game.winner_seed, tuple(game.score) if game.score else None)
    return bracket, entries


def games_in_order(bracket: Any) -> list[Any]:
    """The bracket's games by round, then by their number in the round."""
    return sorted(bracket.games.values(), key=lambda g: (g.round, int(g.id.split("m")[1])))


def game_row(game: Any, alias: Any, match_id: str | None) -> dict[str, Any]:
    """One game as every view lists it (`alias(seed)`: the player's alias, or None)."""
    return {
        "id": game.id,
        "round": game.round,
        "bye": game.bye,
        "players": [alias(p) for p in game.players],
        "winner": alias(game.winner),
        "score": list(game.score) if game.score else None,
        "match_id": match_id,
    }


def next_game(bracket: Any) -> Any | None:
    ready = bracket.ready()
    return ready[0] if ready else None


def tournament_fields(tournament: Tournament) -> dict[str, Any]:
    """What every view of a tournament starts with, local or online (docs/tournament.md)."""
    return {
        "id": tournament.id,
        "name": tournament.name,
        "kind": tournament.kind,
        "game": tournament.game,
        "format": tournament.format,
        "status": tournament.status,
        "options": tournament.options,
    }


async def local_view(tournament: Tournament) -> dict[str, Any]:
    """Everything a local tournament's bracket screen shows: players, games in order, the
    next match (`views.view` picks the view of a tournament's kind)."""
    # One read of the games, then the tournament row: `record_result` commits a game and its
    # tournament together, so a view showing the last game recorded never says "running".
    rows = await Game.filter(tournament=tournament).order_by("id")
    await tournament.refresh_from_db(fields=["status", "winner_alias", "finished_at"])
    bracket, entries = await bracket_of(tournament, rows)
    playing = {g.key: g.match_id for g in rows if g.status == "playing"}

    def alias(seed: Any) -> str | None:
        return entries[seed].alias if seed in entries else None

    games = [game_row(game, alias, playing.get(game.id)) for game in games_in_order(bracket)]
    upcoming = next_game(bracket)
    return {
        **tournament_fields(tournament),
        "players": [{"alias": e.alias, "seed": e.seed, "place": e.place} for e in entries.values()],
        "rounds": bracket.rounds,
        "games": games,
        "next": (
            {"id": upcoming.id, "players": [alias(p) for p in upcoming.players]}
            if upcoming is not None and tournament.status == "running"
            else None
        ),
        "winner": tournament.winner_alias,
        "standings": (
            [{"alias": alias(p), "place": place} for p, place in bracket.standings()]
            if bracket.finished
            else []
        ),
    }


async def start_next(tournament: Tournament, start_match) -> dict[str, Any]:
    """Start the next ready game as a match; `start_match(left, right)` returns its id."""
    if tournament.status != "running":
        raise APIError(409, "conflict", f"this tournament is {tournament.status}")
    if await Game.filter(tournament=tournament, status="playing").exists():
        raise APIError(409, "conflict", "a match of this tournament is already being played")
    bracket, entries = await bracket_of(tournament)
    upcoming = next_game(bracket)
    if upcoming is None:
        raise APIError(409, "conflict", "no match is ready")
    left, right = (entries[s] for s in upcoming.players)
    match_id = await start_match(left, right)
    await Game.create(tournament=tournament, key=upcoming.id, match_id=str(match_id))
    return {"game": upcoming.id, "match_id": str(match_id), "players": [left.alias, right.alias]}


async def record_result(result: games.MatchResult) -> Tournament | None:
    """A match ended: if it was a local tournament's game, advance the bracket."""
    game = await Game.get_or_none(match_id=result.id, status="playing").prefetch_related(
        "tournament"
    )
    if game is None or game.tournament.kind != "local" or game.tournament.game != result.game:
        return None
    tournament: Tournament = game.tournament
    bracket, entries = await bracket_of(tournament)
    players = bracket.games[game.key].players
    winner_seed = players[0] if result.winner == 0 else players[1]
    score = [player.score for player in result.players]
    try:
        bracket.record(game.key, winner_seed, (score[0], score[1]))
    except BracketError:
        return tournament  # already recorded (a replayed hook): nothing to do
    async with in_transaction():  # the game and the tournament move together
        game.winner_seed = winner_seed
        game.score = score
        game.status = "done"
        await game.save()
        if bracket.finished:
            await finish(tournament, bracket, entries)
    return tournament


async def finish(tournament: Tournament, bracket: Any, entries: dict[int, Entry]) -> None:
    """Its last game is in: places, the winner, finished (in the caller's transaction)."""
    places = dict(bracket.standings())
    for seed, entry in entries.items():
        entry.place = places.get(seed)
        await entry.save(update_fields=["place"])
    tournament.status = "finished"
    tournament.winner_alias = entries[bracket.champion].alias
    tournament.finished_at = datetime.now(UTC)
    await tournament.save(update_fields=["status", "winner_alias", "finished_at"])


async def forget_game(match_id: str) -> Tournament | None:
    """Its match was interrupted (no node could carry it on): forget the game, so that
    the match is offered (local) or called (online) again. Its tournament, or None."""
    row = await Game.get_or_none(match_id=match_id, status__in=ACTIVE).prefetch_related(
        "tournament"
    )
    if row is None or not await Game.filter(id=row.id, status=row.status).delete():
        return None
    log.warning("tournament %s: match %s was interrupted; called again", row.tournament.id, row.key)
    return row.tournament


async def forget_interrupted_games(hooks: games.HookSource) -> None:
    """At start-up: forget the games whose match was interrupted while no node ran this
    module (the last node stopped, or one was killed). A game whose module is off here
    keeps its rows until a node runs it."""
    offered = games.games_of(hooks)
    rows = await Game.filter(status__in=ACTIVE, match_id__not_isnull=True).prefetch_related(
        "tournament"
    )
    for row in rows:
        game = offered.get(row.tournament.game)
        result = await game.result(row.match_id) if game is not None and row.match_id else None
        if result is not None and result.status == "interrupted":
            await forget_game(result.id)
