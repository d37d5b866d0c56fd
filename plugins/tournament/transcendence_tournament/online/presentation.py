"""How an online tournament is shown and told: its view, live updates to its watchers,
match calls and notices to its players."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from transcendence.accounts.models import User
from transcendence.core import core_of
from transcendence.games import games_of
from transcendence.hub import get_hub, notify
from transcendence.plugins import call_async
from transcendence_tournament import service
from transcendence_tournament.models import Entry, Game, Tournament

log = logging.getLogger("transcendence.tournament")


def topic(tournament_id: int) -> str:
    """Where `tournament.updated` goes (a client follows it with `tournament.watch`)."""
    return f"tournament.{tournament_id}"


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


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
        **service.tournament_fields(tournament),
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


# --- telling the players ------------------------------------------------------------------


def game_href(app: Any, row: Game, tournament: Tournament) -> str:
    """The called match's page in the browser, back to the bracket afterwards (the
    bracket itself when the game has no page, or is off here)."""
    game = games_of(core_of(app)).get(tournament.game)
    page = game.match_page(row.match_id) if game is not None and row.match_id else None
    if page is None:
        return f"/tournaments/{tournament.id}"
    return f"{page}?next=%2Ftournaments%2F{tournament.id}"


async def call_player(
    app: Any, tournament: Tournament, row: Game, me: Entry, other: Entry, deadline: datetime
) -> None:
    """Call `me` to their match against `other`: live, by notification, in the chat."""
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
                "href": game_href(app, row, tournament),
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


async def tell_players(
    app: Any, tournament: Tournament, kind: str, text: str, data: dict[str, Any]
) -> None:
    """Tell every player with an account (`tournament.cancelled`, `tournament.finished`)."""
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
