"""Realtime types of the pong module (`pong.*`): play, queue, invite, follow, leave, and the
live-games feed of the lobby (`pong.live.*`, live.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from transcendence.realtime import RealtimeError
from transcendence_pong import live, matchmaking
from transcendence_pong.schemas import (
    CreateIn,
    GameOut,
    GameRef,
    InputIn,
    InviteAnswer,
    InviteIn,
    InviteOut,
    LiveFrame,
    Ok,
    PauseIn,
    QueueIn,
    QueueOut,
    RematchOut,
)
from transcendence_pong.state import facade
from transcendence_pong.topics import game_topic

log = logging.getLogger("transcendence.pong")


def register(hub: Any) -> None:
    # The jobs that wait for a socket to close (below): the loop keeps only a weak reference
    # to a task, so each is held here until done. Each ends with its socket: nothing to
    # cancel at shutdown.
    waiting: set[asyncio.Task[None]] = set()

    def keep(job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(job)
        waiting.add(task)
        task.add_done_callback(waiting.discard)

    @hub.handler("pong.create", CreateIn, reply=GameOut)
    async def create(conn, data: CreateIn):
        """Start a local (two players, one keyboard) or an AI game."""
        match = await facade(conn.app).create_game(
            conn.user_id,
            data.mode,
            data.options.model_dump(),
            level=data.level,
            opponent_name=data.opponent_name,
        )
        await follow(conn, str(match.id))
        keyboard = data.mode == "local"
        return GameOut(game_id=str(match.id), side="left", mode=data.mode, keyboard=keyboard)

    @hub.handler("pong.join", GameRef, reply=GameOut)
    async def join(conn, data: GameRef):
        """Follow a game: a player's (re)connection, or a spectator's."""
        pong = facade(conn.app)
        match = await pong.match(data.game_id)
        if match is None or match.status != "running":
            raise RealtimeError("not_found", "no such running game")
        side = pong.side_of(match, conn.user_id)
        await follow(conn, data.game_id, player=side is not None)
        keyboard = side is not None and bool((match.record or {}).get("keyboard"))
        return GameOut(game_id=data.game_id, side=side, mode=match.mode, keyboard=keyboard)

    async def follow(conn, game_id: str, *, player: bool = True) -> None:
        await conn.subscribe(game_topic(game_id))
        games = facade(conn.app).games
        if not player:  # counted in the snapshots' `spectators` until the socket goes
            await games.send(game_id, {"op": "watch", "user_id": conn.user_id, "conn": conn.id})

            async def unwatch() -> None:
                await conn.wait_closed()
                await games.send(
                    game_id, {"op": "unwatch", "user_id": conn.user_id, "conn": conn.id}
                )

            keep(unwatch())
            return
        plays(conn, game_id)
        await games.send(game_id, {"op": "joined", "user_id": conn.user_id, "conn": conn.id})

        async def watch() -> None:
            await conn.wait_closed()
            await games.send(game_id, {"op": "left", "user_id": conn.user_id, "conn": conn.id})

        keep(watch())

    # Per socket, the games it was checked to play in: `pong.input` asks the database (as
    # REST does) once per socket and game, not at every key press.
    playing: dict[str, set[str]] = {}

    def plays(conn, game_id: str) -> None:
        games = playing.get(conn.id)
        if games is None:
            games = playing[conn.id] = set()

            async def forget() -> None:
                await conn.wait_closed()
                playing.pop(conn.id, None)

            keep(forget())
        games.add(game_id)

    @hub.handler("pong.away", GameRef, reply=Ok)
    async def away(conn, data: GameRef):
        """This tab left the game's view: its player counts as away from this socket (the
        pause, grace and forfeit of a dropped connection); `pong.join` is the way back. The
        socket keeps receiving the snapshots (the "Resume" banner counts down)."""
        await facade(conn.app).games.send(
            data.game_id, {"op": "left", "user_id": conn.user_id, "conn": conn.id}
        )
        return Ok()

    @hub.handler("pong.pause", PauseIn, reply=Ok)
    async def pause(conn, data: PauseIn):
        """Pause (or go on with) a local or AI game: P or Escape in the browser. Remote
        games cannot be paused by a player (their pauses are the reconnection's)."""
        op = "pause" if data.paused else "resume"
        await facade(conn.app).games.send(data.game_id, {"op": op, "user_id": conn.user_id})
        return Ok()

    @hub.handler("pong.input", InputIn)
    async def key(conn, data: InputIn):
        """A key pressed or released (never a position: the server moves the paddles).
        Someone who does not play the game gets an error frame (`forbidden`, `not_found`)."""
        if data.game_id not in playing.get(conn.id, ()):
            await facade(conn.app).player_of(data.game_id, conn.user_id)
            plays(conn, data.game_id)
        await facade(conn.app).games.send_input(
            data.game_id, conn.user_id, data.key, data.pressed, data.seq, data.side
        )

    @hub.handler("pong.leave", GameRef, reply=Ok)
    async def leave(conn, data: GameRef):
        """Give up a game: the opponent wins by forfeit."""
        games = facade(conn.app).games
        await games.send(data.game_id, {"op": "forfeit", "user_id": conn.user_id})
        await games.send(data.game_id, {"op": "unwatch", "user_id": conn.user_id, "conn": conn.id})
        await conn.unsubscribe(game_topic(data.game_id))
        return Ok()

    @hub.handler("pong.queue", QueueIn, reply=QueueOut)
    async def queue(conn, data: QueueIn):
        """Wait for a remote opponent of a similar rating (the range widens with time)."""
        game_id = await facade(conn.app).join_queue(conn.user_id, data.options.model_dump())
        if game_id is None:
            leave_when_closed(conn)
        return QueueOut(status="matched" if game_id else "waiting", game_id=game_id)

    def leave_when_closed(conn) -> None:
        """A tab that closes while waiting leaves the queue: the waiting pass must not pair
        an opponent with someone who is gone."""

        async def watch() -> None:
            await conn.wait_closed()
            try:
                await matchmaking.leave_queue(conn.user_id)
            except Exception as exc:  # the database: the entry stays until the next queue
                log.warning("could not take user %s out of the queue (%r)", conn.user_id, exc)

        keep(watch())

    @hub.handler("pong.unqueue", None, reply=Ok)
    async def unqueue(conn, data):
        await matchmaking.leave_queue(conn.user_id)
        return Ok()

    @hub.handler("pong.invite", InviteIn, reply=InviteOut)
    async def invite(conn, data: InviteIn):
        """Challenge a player directly; they get a notification to accept or decline."""
        row = await facade(conn.app).invite(conn.user_id, data.user_id, data.options.model_dump())
        return InviteOut(invite_id=row.id)

    @hub.handler("pong.answer", InviteAnswer, reply=QueueOut)
    async def answer(conn, data: InviteAnswer):
        game_id = await facade(conn.app).answer_invite(conn.user_id, data.invite_id, data.accept)
        return QueueOut(status="matched" if game_id else "waiting", game_id=game_id)

    @hub.handler("pong.rematch", GameRef, reply=RematchOut)
    async def rematch(conn, data: GameRef):
        """Play a finished game again with the same options: a local or AI game starts at
        once; a remote one is offered to the opponent (a `pong.invite` with `rematch_of`)."""
        found = await facade(conn.app).rematch(conn.user_id, data.game_id)
        if found["game_id"] is not None:
            await follow(conn, found["game_id"])
        return RematchOut(**found)

    @hub.handler("pong.live.watch", None, reply=Ok)
    async def watch_live(conn, data):
        """Follow the live games: a `pong.live` frame when a game starts or ends. Read
        `GET /api/pong/games` after the reply (and again after `resync` or a reconnection)."""
        await conn.subscribe(live.TOPIC)
        return Ok()

    @hub.handler("pong.live.unwatch", None, reply=Ok)
    async def unwatch_live(conn, data):
        """Stop following the live games."""
        await conn.unsubscribe(live.TOPIC)
        return Ok()

    hub.event(
        "pong.live",
        LiveFrame,
        "A game started or ended (after `pong.live.watch`); data: the event and the game.",
    )
    hub.event("pong.state", None)
    hub.event("pong.matched", None)
    hub.event(
        "pong.cancelled",
        None,
        "A game counted for no one: `{game_id, reason: no_show | abandoned, sides}` (to both "
        "players' tabs).",
    )
