"""Online tournaments: joining, starting, calling the players, no-shows, results.

Registered users join with an alias; the tournament starts on time (a timer on every node,
re-armed from the database at start-up) or when full. Each ready match becomes a remote pong
game that waits for its players (`hold`); they are called live (`tournament.match_ready`),
by notification and in the chat's notices. A player still absent at the deadline loses by
forfeit; results come back through pong's `match_finished`.

Several nodes may act on one tournament: every state change is a conditional update
(`... WHERE status = 'open'`, `'ready'`, ...) or a unique row (one `Game` per bracket game),
so a timer that fires on two nodes, or two results that land at once, act once.
No HTTP here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from transcendence.accounts.models import User
from transcendence.core import core_of
from transcendence.errors import APIError
from transcendence.hub import get_hub, notify
from transcendence.plugins import await_result, call_async
from transcendence_pong.api import Match, Rating, Side, facade, parse_options
from transcendence_pong.api import record as record_match
from transcendence_tournament import service
from transcendence_tournament.models import Entry, Game, Tournament

log = logging.getLogger("transcendence.tournament")

AI_LEVELS = ("easy", "normal", "hard")
AI_RATING = {"easy": 900, "normal": 1000, "hard": 1100}  # for seeding by rating
DEFAULT_NO_SHOW = 60


def topic(tournament_id: int) -> str:
    """Where `tournament.updated` goes (a client follows it with `tournament.watch`)."""
    return f"tournament.{tournament_id}"


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def clean_alias(alias: str) -> str:
    alias = " ".join(alias.split())
    if not 1 <= len(alias) <= 32:
        raise APIError(400, "invalid_alias", "an alias is 1 to 32 characters", {"alias": alias})
    return alias


# --- creating, joining, leaving ---------------------------------------------------------


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
) -> Tournament:
    """A new open tournament; its creator has the first seat."""
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


async def _locked(tournament_id: int) -> Tournament:
    """The tournament row, locked until the transaction ends (PostgreSQL: FOR UPDATE)."""
    tournament = await Tournament.select_for_update().get_or_none(id=tournament_id)
    if tournament is None or tournament.kind != "online":
        raise APIError(404, "not_found", "no such online tournament")
    return tournament


def _open(tournament: Tournament) -> None:
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
        tournament = await _locked(tournament_id)
        _open(tournament)
        if await Entry.filter(tournament=tournament, user_id=user.id).exists():
            raise APIError(409, "already_joined", "you already have a seat here")
        await _add_entry(tournament, alias, user_id=user.id)
        full = await Entry.filter(tournament=tournament).count() >= (tournament.size or 0)
    return tournament, full


async def add_ai(tournament_id: int, user: Any, level: str) -> tuple[Tournament, bool]:
    """The owner gives a seat to the AI (the ai module plays its games)."""
    if level not in AI_LEVELS:
        raise APIError(400, "invalid_level", "level is easy, normal or hard")
    async with in_transaction():
        tournament = await _locked(tournament_id)
        if tournament.owner_id != user.id:  # type: ignore[attr-defined]
            raise APIError(403, "forbidden", "only the organiser adds AI players")
        _open(tournament)
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
        tournament = await _locked(tournament_id)
        _open(tournament)
        deleted = await Entry.filter(tournament=tournament, user_id=user.id).delete()
        if not deleted:
            raise APIError(409, "not_joined", "you have no seat in this tournament")
        if not await Entry.filter(tournament=tournament, ai_level=None).exists():
            tournament.status = "cancelled"
            await tournament.save(update_fields=["status"])
    return tournament


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
        tournament = await _locked(tournament_id)
        if by is not None:
            if tournament.owner_id != by.id:  # type: ignore[attr-defined]
                raise APIError(403, "forbidden", "only the organiser starts the tournament")
            _open(tournament)
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
        await _tell_players(
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
        _spawn(app, _robots_play(app, tournament, row, left, right))
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
            await _call(app, tournament, row, me, other, deadline)


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
    await record(app, row, winner.seed, None, forfeit=True)


def game_href(row: Game, tournament: Tournament) -> str:
    """The called match's page in the browser, back to the bracket afterwards."""
    return f"/play/games/{row.match_id}?next=%2Ftournaments%2F{tournament.id}"


async def _call(
    app: Any, tournament: Tournament, row: Game, me: Entry, other: Entry, deadline: datetime
) -> None:
    user_id: int = me.user_id  # type: ignore[attr-defined]
    data = {
        "tournament_id": tournament.id,
        "match_key": row.key,
        "match_id": row.match_id,
        "opponent": other.alias,
        "deadline": iso(deadline),
    }
    message = f"Your match against {other.alias} is ready"
    try:
        await get_hub(app).deliver.to_user(user_id, "tournament.match_ready", data)
        await notify(
            user_id,
            "tournament.match_ready",
            {
                **data,
                "name": tournament.name,
                "message": message,
                "href": game_href(row, tournament),
            },
            app=app,
        )
        await chat_notice(
            app,
            user_id,
            f"{tournament.name}: {message}",
            {"kind": "tournament.match_ready", "name": tournament.name, **data},
        )
    except Exception:  # a call that cannot be delivered must not stop the tournament
        log.exception("tournament %s: could not call user %s", tournament.id, user_id)


async def chat_notice(app: Any, user_id: int, text: str, data: dict[str, Any]) -> None:
    """In the user's chat notices, through `tournament_notice` (hookspecs.py): the chat
    module implements it; while it is disabled or not installed nothing answers.

    `data["kind"]` and the rest of `data` are what a reader's browser words the notice from
    (`notice.<kind>` in the tournament's strings); `text` is the English kept with it."""

    hook = core_of(app).registry.hook("tournament_notice")
    await call_async(hook, app=app, user_id=user_id, text=text, data=data)


async def _tell_players(
    app: Any, tournament: Tournament, kind: str, text: str, data: dict[str, Any]
) -> None:
    payload = {
        "tournament_id": tournament.id,
        "name": tournament.name,
        "message": text,
        "href": f"/tournaments/{tournament.id}",
        **data,
    }
    for entry in await Entry.filter(tournament=tournament, user_id__not_isnull=True):
        try:
            await notify(entry.user_id, kind, payload, app=app)  # type: ignore[attr-defined]
            await chat_notice(app, entry.user_id, text, {"kind": kind, **payload})  # type: ignore[attr-defined]
        except Exception:
            log.exception("tournament %s: could not tell user %s", tournament.id, entry.user_id)  # type: ignore[attr-defined]


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
    if not row.left_joined and not row.right_joined:
        absent = 1 if players[1] > players[0] else 0  # neither came: the better seed goes on
    else:
        absent = 0 if not row.left_joined else 1
    winner_seed = players[1 - absent]
    log.info(
        "tournament %s: %s did not show up for %s",
        tournament.id,
        entries[players[absent]].alias,
        row.key,
    )
    await record(app, row, winner_seed, None, forfeit=True)
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
    row = await Game.get_or_none(match_id=str(match.id)).prefetch_related("tournament")
    if row is None or row.tournament.kind != "online":
        return False
    if row.status not in service.ACTIVE:
        return True  # already decided (a no-show recorded before the game ended)
    tournament: Tournament = row.tournament
    bracket, _ = await service.bracket_of(tournament)
    players = bracket.games[row.key].players
    pong_winner = 0 if match.winner != "right" else 1
    winner = 1 - pong_winner if row.swapped else pong_winner
    score = [match.left_score, match.right_score]
    if row.swapped:
        score.reverse()
    await record(app, row, players[winner], score, forfeit=bool(match.forfeit))
    return True


async def record(
    app: Any, row: Game, winner_seed: int, score: list[int] | None, *, forfeit: bool
) -> None:
    """Store a game's result once, finish the tournament or call the next matches."""
    async with in_transaction():
        tournament = await Tournament.select_for_update().get(id=row.tournament_id)  # type: ignore[attr-defined]
        done = await Game.filter(id=row.id, status__in=service.ACTIVE).update(
            status="done", winner_seed=winner_seed, score=score, forfeit=forfeit
        )
        if not done:
            return
        bracket, entries = await service.bracket_of(tournament)
        finished = bracket.finished and tournament.status == "running"
        if finished:
            places = dict(bracket.standings())
            for seed, entry in entries.items():
                entry.place = places.get(seed)
                await entry.save(update_fields=["place"])
            tournament.status = "finished"
            tournament.winner_alias = entries[bracket.champion].alias
            tournament.finished_at = now()
            await tournament.save(update_fields=["status", "winner_alias", "finished_at"])
    if finished:
        await _tell_players(
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


# --- telling the watchers ---------------------------------------------------------------


async def broadcast(app: Any, tournament: Tournament) -> None:
    """`tournament.updated` to everyone watching (on every node)."""
    await tournament.refresh_from_db()
    data = {"tournament": await view(tournament, None)}
    try:
        await get_hub(app).deliver.to_topic(topic(tournament.id), "tournament.updated", data)
    except Exception:
        log.exception("tournament %s: could not broadcast an update", tournament.id)


def _person(entry: Entry | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {"alias": entry.alias, "user_id": entry.user_id}  # type: ignore[attr-defined]


async def view(tournament: Tournament, user_id: int | None) -> dict[str, Any]:
    """The local view's fields, plus what an online tournament adds (docs/tournament.md)."""
    entries = list(await Entry.filter(tournament=tournament).order_by("seed", "id"))
    owner = await User.get_or_none(id=tournament.owner_id) if tournament.owner_id else None  # type: ignore[attr-defined]
    base: dict[str, Any] = {
        "id": tournament.id,
        "name": tournament.name,
        "kind": tournament.kind,
        "format": tournament.format,
        "status": tournament.status,
        "options": tournament.options,
        "size": tournament.size,
        "seeding": tournament.seeding,
        "no_show_seconds": tournament.no_show_seconds,
        "starts_at": iso(tournament.starts_at),
        "started_at": iso(tournament.started_at),
        "finished_at": iso(tournament.finished_at),
        "owner": (
            {"id": owner.id, "username": owner.username, "display_name": owner.display_name}
            if owner
            else None
        ),
        "players": [
            {
                "seed": e.seed,
                "alias": e.alias,
                "user_id": e.user_id,  # type: ignore[attr-defined]
                "ai": e.ai_level,
                "place": e.place,
            }
            for e in entries
        ],
        "rounds": 0,
        "games": [],
        "matches": [],
        "next": None,
        "winner": tournament.winner_alias,
        "standings": [],
        "me": next(
            (
                {"seed": e.seed, "alias": e.alias}
                for e in entries
                if user_id is not None and e.user_id == user_id  # type: ignore[attr-defined]
            ),
            None,
        ),
    }
    if tournament.status in ("open", "cancelled") or len(entries) < 2:
        return base
    bracket, by_seed = await service.bracket_of(tournament)
    rows = {g.key: g for g in await Game.filter(tournament=tournament)}

    def alias(seed: Any) -> str | None:
        return by_seed[seed].alias if seed in by_seed else None

    games, matches = [], []
    for game in service.games_in_order(bracket):
        row = rows.get(game.id)
        games.append(service.game_row(game, alias, row.match_id if row else None))
        if game.done:
            status = "done"
        elif row is None:
            status = "pending"
        else:
            status = "playing" if row.status == "playing" else "ready"
        winner = None
        if game.winner is not None:
            winner = "left" if game.players[0] == game.winner else "right"
        matches.append(
            {
                "key": game.id,
                "round": game.round,
                "order": int(game.id.split("m")[1]),
                "bye": game.bye,
                "left": _person(by_seed.get(game.players[0])),  # type: ignore[arg-type]
                "right": _person(by_seed.get(game.players[1])),  # type: ignore[arg-type]
                "status": status,
                "match_id": row.match_id if row else None,
                "score": list(game.score) if game.score else None,
                "winner": winner,
                "forfeit": bool(row and row.forfeit),
                "ready_deadline": (iso(row.ready_deadline) if row and status == "ready" else None),
                "joined": ({"left": row.left_joined, "right": row.right_joined} if row else None),
            }
        )
    upcoming = service.next_game(bracket)
    standings: list[dict[str, Any]] = []
    if tournament.format == "round_robin":
        table = bracket.table()
        standings = [
            {"alias": alias(seed), "place": place, **table[seed]}
            for seed, place in bracket.standings()
        ]
    elif bracket.finished:
        standings = [{"alias": alias(p), "place": place} for p, place in bracket.standings()]
    base.update(
        rounds=bracket.rounds,
        games=games,
        matches=matches,
        next=(
            {"id": upcoming.id, "players": [alias(p) for p in upcoming.players]}
            if upcoming is not None and tournament.status == "running"
            else None
        ),
        standings=standings,
    )
    return base


async def listing(status: str | None, limit: int, before: int | None) -> list[Tournament]:
    query = Tournament.filter(kind="online")
    if status is not None:
        query = query.filter(status=status)
    if before is not None:
        query = query.filter(id__lt=before)
    return list(await query.order_by("-id").limit(limit + 1).prefetch_related("owner"))


# --- timers -----------------------------------------------------------------------------


def _spawn(app: Any, coro: Any) -> None:
    timers_of(app).spawn(coro)


def timers_of(app: Any) -> Timers:
    timers = app.extensions.get("tournament")
    if timers is None:
        timers = app.extensions["tournament"] = Timers(app)
    return timers


class Timers:
    """This node's timers: tournament starts and no-show deadlines. The database is the
    truth: `rearm()` at start-up arms every pending one again, and each timer acts through
    a conditional update, so a timer armed on several nodes fires once."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.background: set[asyncio.Task[None]] = set()

    def at(self, key: str, when: datetime, action: Any, *args: Any) -> None:
        old = self.tasks.pop(key, None)
        if old is not None:
            old.cancel()
        self.tasks[key] = asyncio.get_running_loop().create_task(
            self._fire(key, when, action, args), name=f"tournament-{key}"
        )

    async def _fire(self, key: str, when: datetime, action: Any, args: tuple[Any, ...]) -> None:
        try:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            delay = (when - now()).total_seconds()
            if delay > 0:
                await asyncio.sleep(delay)  # a deadline, not a wait for an event
            if "pong" not in self.app.extensions:
                # pong is stopping (or off) here: leave it to the node that starts next
                log.info("tournament timer %s not fired: pong is not running here", key)
                return
            async with self.app.app_context():
                await action(self.app, *args)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("tournament timer %s failed", key)
        finally:
            if self.tasks.get(key) is asyncio.current_task():
                del self.tasks[key]

    def cancel(self, key: str) -> None:
        task = self.tasks.pop(key, None)
        if task is not None:
            task.cancel()

    def spawn(self, coro: Any) -> None:
        async def run() -> None:
            try:
                async with self.app.app_context():
                    await coro
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("tournament task failed")

        task = asyncio.get_running_loop().create_task(run())
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def rearm(self) -> None:
        for tournament in await Tournament.filter(
            kind="online", status="open", starts_at__not_isnull=True
        ):
            assert tournament.starts_at is not None
            self.at(f"start:{tournament.id}", tournament.starts_at, start_on_time, tournament.id)
        for row in await Game.filter(
            status="ready", ready_deadline__not_isnull=True, tournament__kind="online"
        ):
            assert row.ready_deadline is not None
            self.at(f"noshow:{row.id}", row.ready_deadline, no_show, row.id)
        self.spawn(self._catch_up())

    async def _catch_up(self) -> None:
        """Call again the matches whose game was interrupted while no node ran this module,
        and whatever should have been called meanwhile (a node stopped in between)."""
        await service.forget_interrupted_games()
        for tournament in await Tournament.filter(kind="online", status="running"):
            try:
                await advance(self.app, tournament)
            except Exception:
                log.exception("tournament %s: catch-up failed", tournament.id)

    async def stop(self) -> None:
        tasks = [*self.tasks.values(), *self.background]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.tasks.clear()


async def start_on_time(app: Any, tournament_id: int) -> None:
    await start(app, tournament_id)
