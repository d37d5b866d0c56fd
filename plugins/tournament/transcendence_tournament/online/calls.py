"""Running an online tournament: starting it, calling its matches (AI seats included),
no-shows at the deadline, and what follows each result.

Its matches are the tournament's game's (`Tournament.game`), started, ended and read
through the game API (`transcendence.games`) only: no game is known here by name."""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from transcendence import games
from transcendence.core import core_of
from transcendence.errors import APIError
from transcendence_tournament import service
from transcendence_tournament.models import Entry, Game, Tournament
from transcendence_tournament.online import results
from transcendence_tournament.online.entries import ensure_open, locked
from transcendence_tournament.online.presentation import broadcast, call_player, tell_players
from transcendence_tournament.online.timers import now, spawn, timers_of

log = logging.getLogger("transcendence.tournament")

AI_RATING = {"easy": 900, "normal": 1000, "hard": 1100}  # for seeding by rating


# --- starting ---------------------------------------------------------------------------


def _game_here(app: Any, tournament: Tournament) -> games.Game | None:
    """The tournament's game while its module is enabled on this node, else None."""
    return games.games_of(core_of(app)).get(tournament.game)


async def _reseed(app: Any, tournament: Tournament, entries: list[Entry]) -> None:
    if tournament.seeding == "rating":
        game = _game_here(app, tournament)
        ids = [e.user_id for e in entries if e.user_id is not None]  # type: ignore[attr-defined]
        ratings = await game.ratings(ids) if game is not None and ids else {}

        def strength(entry: Entry) -> int:
            if entry.ai_level:
                return AI_RATING.get(entry.ai_level, 1000)
            return ratings.get(entry.user_id, 1000)  # type: ignore[attr-defined]

        ordered = sorted(entries, key=lambda e: (-strength(e), e.id))
    else:
        ordered = list(entries)
        random.SystemRandom().shuffle(ordered)
    for seed, entry in enumerate(ordered, start=1):
        if entry.seed != seed:
            entry.seed = seed
            await entry.save(update_fields=["seed"])


async def start(app: Any, tournament_id: int, *, by: Any = None) -> Tournament | None:
    """Start now: by the owner (`by`), when full, or on time (a timer: `by` None).

    On time with fewer than three players, the tournament is cancelled. Returns None when
    another node (or call) got there first.
    """
    async with in_transaction():
        tournament = await locked(tournament_id)
        if by is not None:
            if tournament.owner_id != by.id:  # type: ignore[attr-defined]
                raise APIError(403, "forbidden", "only the organiser starts the tournament")
            ensure_open(tournament)
        elif tournament.status != "open":
            return None
        entries = list(await Entry.filter(tournament=tournament).order_by("seed", "id"))
        if len(entries) < service.MIN_PLAYERS:
            if by is not None:
                raise APIError(
                    409,
                    "not_enough_players",
                    "a tournament needs at least 3 players",
                    {"players": len(entries)},
                )
            tournament.status = "cancelled"
            tournament.finished_at = now()
            await tournament.save(update_fields=["status", "finished_at"])
            cancelled = True
        else:
            await _reseed(app, tournament, entries)
            tournament.status = "running"
            tournament.started_at = now()
            await tournament.save(update_fields=["status", "started_at"])
            cancelled = False
    if cancelled:
        await tell_players(
            app,
            tournament,
            "tournament.cancelled",
            f"{tournament.name} was cancelled: not enough players",
            {},
        )
    else:
        await advance(app, tournament)
    await broadcast(app, tournament)
    return tournament


def schedule_start(app: Any, tournament: Tournament) -> None:
    """Arm this node's timer for the tournament's start time (other nodes arm theirs at
    start-up: `rearm`)."""
    if tournament.starts_at is not None:
        timers_of(app).at(
            f"start:{tournament.id}", tournament.starts_at, start_on_time, tournament.id
        )


async def start_on_time(app: Any, tournament_id: int) -> None:
    tournament = await Tournament.get_or_none(id=tournament_id)
    if tournament is not None and _game_here(app, tournament) is None:
        # its game is off here: leave the start to a node that runs it (or starts next)
        log.info(
            "tournament %s: not started on time, %s is off here", tournament_id, tournament.game
        )
        return
    await start(app, tournament_id)


def _current_games(tournament: Tournament, bracket: Any) -> list[Any]:
    """Games to call now: every ready one (single elimination), or those of the earliest
    unfinished round (round robin: nobody plays two games at once)."""
    ready = bracket.ready()
    if tournament.format == "round_robin":
        pending = [g.round for g in bracket.games.values() if not g.done]
        if not pending:
            return []
        ready = [g for g in ready if g.round == min(pending)]
    return ready


async def advance(app: Any, tournament: Tournament) -> None:
    """Create and call every match that can be played now and has not been called yet."""
    if tournament.status != "running":
        return
    bracket, entries = await service.bracket_of(tournament)
    called = set(await Game.filter(tournament=tournament).values_list("key", flat=True))
    for game in _current_games(tournament, bracket):
        if game.id not in called:
            try:
                await call_match(app, tournament, game, entries)
            except APIError as exc:
                # The game refused it for now (a node at its capacity: 503 `server_busy`):
                # an expected state, called again at the tournament's next advance.
                log.warning(
                    "tournament %s: match %s not started yet: %s %s",
                    tournament.id,
                    game.id,
                    exc.code,
                    exc.message,
                )
            except Exception:
                log.exception("tournament %s: could not start match %s", tournament.id, game.id)


def _seat(entry: Entry) -> games.SeatSpec:
    return games.SeatSpec(entry.user_id, entry.alias, entry.ai_level)  # type: ignore[attr-defined]


async def call_match(
    app: Any, tournament: Tournament, pairing: Any, entries: dict[int, Entry]
) -> None:
    """Create the match of the bracket's `pairing` and call its players (AI seats: played
    by the game; two of them: played out at once)."""
    core = core_of(app)
    game = games.game_of(core, tournament.game)  # 409 while its module is off: not called
    left, right = (entries[s] for s in pairing.players)
    robots = left.ai_level is not None and right.ai_level is not None
    deadline = None if robots else now() + timedelta(seconds=tournament.no_show_seconds)
    try:  # the unique (tournament, key) row: one node calls a match, once
        row = await Game.create(
            tournament=tournament,
            key=pairing.id,
            status="ready",
            ready_deadline=deadline,
            left_joined=left.ai_level is not None,
            right_joined=right.ai_level is not None,
        )
    except IntegrityError:
        return
    if (left.ai_level or right.ai_level) and not game.ai_available(core):
        await _ai_absent(app, tournament, row, left, right)
        return
    if robots:
        spawn(app, _robots_play(app, tournament, game, row, left, right))
        return
    assert deadline is not None
    # AI seats come last (the game API's rule): an AI on the bracket's left swaps the seats.
    swapped = left.ai_level is not None
    seats = [_seat(right), _seat(left)] if swapped else [_seat(left), _seat(right)]
    try:
        match_id = await game.create_match(
            core, seats, tournament.options, mode="tournament", hold=True
        )
    except Exception:
        # Not called after all: the next `advance` (a result, or a node's start-up) retries.
        await Game.filter(id=row.id, status="ready", match_id=None).delete()
        raise
    row.match_id = match_id
    row.swapped = swapped
    await row.save(update_fields=["match_id", "swapped"])
    # Armed once the match is known: a deadline that passed while it was being created
    # (a slow database) fires now and ends that match too, instead of leaving it held for
    # ever. Should this node die before this line, its start-up arms it from the row.
    timers_of(app).at(f"noshow:{row.id}", deadline, no_show, row.id)
    for me, other in ((left, right), (right, left)):
        if me.user_id is not None:  # type: ignore[attr-defined]
            await call_player(app, tournament, row, me, other, deadline)


async def _ai_absent(
    app: Any, tournament: Tournament, row: Game, left: Entry, right: Entry
) -> None:
    """No AI plays the game here (pong's: the ai module is disabled or not installed): its
    seats do not show up, as a player absent at the deadline; between two of them, the
    better seed goes on."""
    humans = [e for e in (left, right) if e.ai_level is None]
    winner = humans[0] if humans else min(left, right, key=lambda e: e.seed)
    log.info("tournament %s: no AI plays %s here", tournament.id, row.key)
    await decide(app, row, winner.seed, None, forfeit=True)


# --- while a match is called ------------------------------------------------------------


async def player_joined(app: Any, game_name: str, match_id: str, user_id: int) -> None:
    """A called player opened their match. Both here (or one, against the AI): playing."""
    row = await Game.get_or_none(match_id=match_id, status="ready").prefetch_related("tournament")
    if row is None or row.tournament.game != game_name:
        return
    result = await games.game_of(core_of(app), game_name).result(match_id)
    seat = result.seat_of(user_id) if result is not None else None
    if seat is None:
        return
    side = ("left", "right")[1 - seat if row.swapped else seat]
    await Game.filter(id=row.id, status="ready").update(**{f"{side}_joined": True})
    await Game.filter(id=row.id, status="ready", left_joined=True, right_joined=True).update(
        status="playing"
    )
    await broadcast(app, row.tournament)


async def no_show(app: Any, game_row_id: int) -> None:
    """The deadline of a called match passed: whoever has not opened the match loses.

    Every node may fire this timer; the conditional update lets exactly one act.
    """
    row = await Game.get(id=game_row_id).prefetch_related("tournament")
    game = _game_here(app, row.tournament)
    if game is None:
        # its game is off here: leave the deadline to a node that runs it (or starts next)
        log.info("tournament no-show %s not decided: %s is off here", row.id, row.tournament.game)
        return
    claimed = await Game.filter(id=game_row_id, status="ready").update(status="noshow")
    if not claimed:
        return
    await row.refresh_from_db()
    if row.left_joined and row.right_joined:  # both arrived just in time
        await Game.filter(id=row.id, status="noshow").update(status="playing")
        return
    tournament: Tournament = row.tournament
    bracket, entries = await service.bracket_of(tournament)
    players = bracket.games[row.key].players
    side = results.absent_side(row, players)
    absent, winner_seed = entries[players[side]], players[1 - side]
    log.info("tournament %s: %s did not show up for %s", tournament.id, absent.alias, row.key)
    recorded = await results.record(row, winner_seed, None, forfeit=True)
    if recorded is None:
        return
    # End the waiting match too (on whichever node runs it), recorded as a forfeit, before
    # the players are told what comes next.
    if row.match_id is not None and absent.user_id is not None:  # type: ignore[attr-defined]
        try:
            await game.forfeit(core_of(app), row.match_id, absent.user_id)  # type: ignore[attr-defined]
        except Exception:  # the result stands: the match is left to its own end
            log.exception("tournament %s: could not end match %s", tournament.id, row.match_id)
    await _follow(app, *recorded)


# --- results ----------------------------------------------------------------------------


async def match_finished(app: Any, result: games.MatchResult) -> bool:
    """A match ended. True when it was an online tournament's (then it is handled)."""
    row = await results.called_game(result.game, result.id)
    if row is None:
        return False
    if row.status not in service.ACTIVE:
        return True  # already decided (a no-show recorded before the match ended)
    bracket, _ = await service.bracket_of(row.tournament)
    winner_seed, score = results.bracket_result(row, bracket.games[row.key].players, result)
    await decide(app, row, winner_seed, score, forfeit=result.forfeit)
    return True


async def decide(
    app: Any, row: Game, winner_seed: int, score: list[int] | None, *, forfeit: bool
) -> None:
    """A game's result: stored once, then the winner is told or the next matches called."""
    recorded = await results.record(row, winner_seed, score, forfeit=forfeit)
    if recorded is not None:
        await _follow(app, *recorded)


async def _follow(app: Any, tournament: Tournament, finished: bool) -> None:
    """What follows a result: the winner told, or the next matches called; the watchers
    see it."""
    if finished:
        await tell_players(
            app,
            tournament,
            "tournament.finished",
            f"{tournament.name}: {tournament.winner_alias} wins the tournament",
            {"winner": tournament.winner_alias},
        )
    else:
        await advance(app, tournament)
    await broadcast(app, tournament)


async def _robots_play(
    app: Any, tournament: Tournament, game: games.Game, row: Game, left: Entry, right: Entry
) -> None:
    """AI against AI: played out at once by the game (`play_headless`), then announced to
    every module like any finished match (this module's `match_finished` records it)."""
    core = core_of(app)
    if not game.ai_available(core):  # turned off since the match was called
        await _ai_absent(app, tournament, row, left, right)
        return
    row.status = "playing"
    await row.save(update_fields=["status"])
    await broadcast(app, tournament)
    seats = [_seat(left), _seat(right)]
    result = await game.play_headless(
        core, seats, tournament.options, mode="tournament", seed=row.id
    )
    if result is None:
        await _ai_absent(app, tournament, row, left, right)
        return
    row.match_id = result.id
    await row.save(update_fields=["match_id"])
    await core.call("match_finished", result=result, core=core)


# --- after a restart --------------------------------------------------------------------


async def rearm(app: Any) -> None:
    """At start-up: arm this node's timers again from the database (starts on time, no-show
    deadlines), then catch up with what happened while no node ran this module."""
    timers = timers_of(app)
    for tournament in await Tournament.filter(
        kind="online", status="open", starts_at__not_isnull=True
    ):
        schedule_start(app, tournament)
    for row in await Game.filter(
        status="ready", ready_deadline__not_isnull=True, tournament__kind="online"
    ):
        assert row.ready_deadline is not None
        timers.at(f"noshow:{row.id}", row.ready_deadline, no_show, row.id)
    timers.spawn(_catch_up(app))


async def _catch_up(app: Any) -> None:
    """Call again the matches whose game was interrupted while no node ran this module,
    and whatever should have been called meanwhile (a node stopped in between)."""
    await service.forget_interrupted_games(core_of(app))
    for tournament in await Tournament.filter(kind="online", status="running"):
        try:
            await advance(app, tournament)
        except Exception:
            log.exception("tournament %s: catch-up failed", tournament.id)
