"""Running an online tournament: starting it, calling its matches (AI seats included),
no-shows at the deadline, and what follows each result."""

from __future__ import annotations

import contextlib
import logging
import random
import uuid
from datetime import timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from transcendence.core import core_of
from transcendence.errors import APIError
from transcendence.plugins import await_result
from transcendence_pong.api import Match, Rating, Side, facade, parse_options
from transcendence_pong.api import record as record_match
from transcendence_tournament import service
from transcendence_tournament.models import Entry, Game, Tournament
from transcendence_tournament.online import results
from transcendence_tournament.online.entries import ensure_open, locked
from transcendence_tournament.online.presentation import broadcast, call_player, tell_players
from transcendence_tournament.online.timers import now, spawn, timers_of

log = logging.getLogger("transcendence.tournament")

AI_RATING = {"easy": 900, "normal": 1000, "hard": 1100}  # for seeding by rating


# --- starting ---------------------------------------------------------------------------


async def _ratings(entries: list[Entry]) -> dict[int, int]:
    ids = [e.user_id for e in entries if e.user_id is not None]  # type: ignore[attr-defined]
    rows = await Rating.filter(user_id__in=ids) if ids else []
    return {r.user_id: r.rating for r in rows}  # type: ignore[attr-defined]


async def _reseed(tournament: Tournament, entries: list[Entry]) -> None:
    if tournament.seeding == "rating":
        ratings = await _ratings(entries)

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
            await _reseed(tournament, entries)
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
            except Exception:
                log.exception("tournament %s: could not start match %s", tournament.id, game.id)


async def call_match(
    app: Any, tournament: Tournament, game: Any, entries: dict[int, Entry]
) -> None:
    left, right = (entries[s] for s in game.players)
    robots = left.ai_level is not None and right.ai_level is not None
    deadline = None if robots else now() + timedelta(seconds=tournament.no_show_seconds)
    try:  # the unique (tournament, key) row: one node calls a match, once
        row = await Game.create(
            tournament=tournament,
            key=game.id,
            status="ready",
            ready_deadline=deadline,
            left_joined=left.ai_level is not None,
            right_joined=right.ai_level is not None,
        )
    except IntegrityError:
        return
    if not _ai_plays(app, left, right):
        await _ai_absent(app, tournament, row, left, right)
        return
    if robots:
        spawn(app, _robots_play(app, tournament, row, left, right))
        return
    assert deadline is not None
    # The AI always plays pong's right paddle: an AI on the bracket's left swaps sides.
    swapped = left.ai_level is not None
    pong_left, pong_right = (right, left) if swapped else (left, right)
    ai = None
    if pong_right.ai_level is not None:
        ai = core_of(app).registry.hook("pong_ai_player")(
            side=Side.RIGHT, level=pong_right.ai_level
        )
    try:
        match = await facade(app).games.create(
            "tournament",
            (pong_left.user_id, pong_left.alias),  # type: ignore[attr-defined]
            (pong_right.user_id, pong_right.alias),  # type: ignore[attr-defined]
            parse_options(tournament.options),
            ai=ai,
            keyboard=False,
            hold=True,
        )
    except Exception:
        # Not called after all: the next `advance` (a result, or a node's start-up) retries.
        await Game.filter(id=row.id, status="ready", match_id=None).delete()
        raise
    row.match_id = str(match.id)
    row.swapped = swapped
    await row.save(update_fields=["match_id", "swapped"])
    # Armed once the game is known: a deadline that passed while the game was being created
    # (a slow database) fires now and ends that game too, instead of leaving it held for
    # ever. Should this node die before this line, its start-up arms it from the row.
    timers_of(app).at(f"noshow:{row.id}", deadline, no_show, row.id)
    for me, other in ((left, right), (right, left)):
        if me.user_id is not None:  # type: ignore[attr-defined]
            await call_player(app, tournament, row, me, other, deadline)


def _ai_plays(app: Any, left: Entry, right: Entry) -> bool:
    """Whether an enabled module plays this match's AI seats: pong's `pong_ai_player` for
    one against a person, the tournament's `tournament_ai_game` for two (the ai module
    implements both). True without AI seats."""

    if left.ai_level is None and right.ai_level is None:
        return True
    robots = left.ai_level is not None and right.ai_level is not None
    hook = core_of(app).registry.hook("tournament_ai_game" if robots else "pong_ai_player")
    return bool(hook.get_hookimpls())


async def _ai_absent(
    app: Any, tournament: Tournament, row: Game, left: Entry, right: Entry
) -> None:
    """The ai module is disabled (or not installed): its seats do not show up, as a player
    absent at the deadline; between two of them, the better seed goes on."""
    humans = [e for e in (left, right) if e.ai_level is None]
    winner = humans[0] if humans else min(left, right, key=lambda e: e.seed)
    log.info("tournament %s: no AI plays %s (the ai module is off)", tournament.id, row.key)
    await decide(app, row, winner.seed, None, forfeit=True)


# --- while a match is called ------------------------------------------------------------


async def player_joined(app: Any, game_id: str, user_id: int) -> None:
    """pong: a called player opened their game. Both here (or one, against the AI): playing."""
    row = await Game.get_or_none(match_id=game_id, status="ready")
    if row is None:
        return
    match = await Match.get_or_none(id=uuid.UUID(game_id))
    if match is None:
        return
    pong_side = "left" if match.left_user_id == user_id else "right"  # type: ignore[attr-defined]
    side = {"left": "right", "right": "left"}[pong_side] if row.swapped else pong_side
    await Game.filter(id=row.id, status="ready").update(**{f"{side}_joined": True})
    await Game.filter(id=row.id, status="ready", left_joined=True, right_joined=True).update(
        status="playing"
    )
    tournament = await Tournament.get(id=row.tournament_id)  # type: ignore[attr-defined]
    await broadcast(app, tournament)


async def no_show(app: Any, game_row_id: int) -> None:
    """The deadline of a called match passed: whoever has not opened the game loses.

    Every node may fire this timer; the conditional update lets exactly one act.
    """
    claimed = await Game.filter(id=game_row_id, status="ready").update(status="noshow")
    if not claimed:
        return
    row = await Game.get(id=game_row_id)
    if row.left_joined and row.right_joined:  # both arrived just in time
        await Game.filter(id=row.id, status="noshow").update(status="playing")
        return
    tournament = await Tournament.get(id=row.tournament_id)  # type: ignore[attr-defined]
    bracket, entries = await service.bracket_of(tournament)
    players = bracket.games[row.key].players
    absent = results.absent_side(row, players)
    winner_seed = players[1 - absent]
    log.info(
        "tournament %s: %s did not show up for %s",
        tournament.id,
        entries[players[absent]].alias,
        row.key,
    )
    await decide(app, row, winner_seed, None, forfeit=True)
    # End the waiting pong game too (on whichever node runs it), recorded as a forfeit.
    if row.match_id is None:
        return  # the game could not be created: nothing to end
    match = await Match.get_or_none(id=uuid.UUID(row.match_id))
    if match is not None and match.status == "running":
        pong_absent = absent if not row.swapped else 1 - absent
        user_id = match.left_user_id if pong_absent == 0 else match.right_user_id  # type: ignore[attr-defined]
        if user_id is not None:
            with contextlib.suppress(Exception):
                await facade(app).games.send(row.match_id, {"op": "forfeit", "user_id": user_id})


# --- results ----------------------------------------------------------------------------


async def match_finished(app: Any, match: Any) -> bool:
    """pong: a match ended. True when it was an online tournament's (then it is handled)."""
    row = await results.called_game(str(match.id))
    if row is None:
        return False
    if row.status not in service.ACTIVE:
        return True  # already decided (a no-show recorded before the game ended)
    bracket, _ = await service.bracket_of(row.tournament)
    winner_seed, score = results.bracket_result(row, bracket.games[row.key].players, match)
    await decide(app, row, winner_seed, score, forfeit=bool(match.forfeit))
    return True


async def decide(
    app: Any, row: Game, winner_seed: int, score: list[int] | None, *, forfeit: bool
) -> None:
    """A game's result: stored once, then the winner is told or the next matches called."""
    recorded = await results.record(row, winner_seed, score, forfeit=forfeit)
    if recorded is None:
        return
    tournament, finished = recorded
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
    app: Any, tournament: Tournament, row: Game, left: Entry, right: Entry
) -> None:
    """AI against AI: played out on the real engine, faster than real time, by the module
    implementing `tournament_ai_game` (the ai module)."""
    hook = core_of(app).registry.hook("tournament_ai_game")
    if not hook.get_hookimpls():  # turned off since the match was called
        await _ai_absent(app, tournament, row, left, right)
        return
    options = parse_options(tournament.options)
    match = await Match.create(
        id=uuid.uuid4(),
        mode="tournament",
        left_name=left.alias,
        right_name=right.alias,
        options=options.as_dict(),
    )
    row.match_id = str(match.id)
    row.status = "playing"
    await row.save(update_fields=["match_id", "status"])
    await broadcast(app, tournament)
    levels = {"left": left.ai_level or "normal", "right": right.ai_level or "normal"}
    room = await await_result(hook(**levels, seed=row.id, options=options))
    room.id = str(match.id)
    await match_finished(app, await record_match(room))


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
    await service.forget_interrupted_games()
    for tournament in await Tournament.filter(kind="online", status="running"):
        try:
            await advance(app, tournament)
        except Exception:
            log.exception("tournament %s: catch-up failed", tournament.id)
