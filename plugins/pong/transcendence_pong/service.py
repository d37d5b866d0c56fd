"""Games on this node: creating rooms, routing inputs to them, recording finished matches.

A room runs on exactly one node, the one that created it. Players may be connected to any
node: every input travels over the bus on the game's input topic, which the owning node
follows, and every snapshot goes out on the game's topic, which the hub delivers to the
sockets that follow it on every node. No HTTP and no socket here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from transcendence.bus import Bus, SubscriptionOverflow
from transcendence_pong.clock import Clock, LoopClock
from transcendence_pong.engine import Engine, Key, Options, Side
from transcendence_pong.models import Match
from transcendence_pong.room import Room, Seat

log = logging.getLogger("transcendence.pong")
MODES = ("local", "remote", "ai", "tournament")


class GameError(Exception):
    """A request about a game that cannot be honoured; `code` is for the client."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def game_topic(game_id: str) -> str:
    """Where a game's snapshots go (players and spectators follow it)."""
    return f"pong.game.{game_id}"


def input_topic(game_id: str) -> str:
    return f"pong.input.{game_id}"


Deliver = Callable[[str, str, dict[str, Any]], Awaitable[None]]
Finished = Callable[[Match], Awaitable[None]]


class Games:
    """The rooms this node owns, and the bridge between them and the bus."""

    def __init__(
        self,
        bus: Bus,
        deliver: Deliver,
        on_finished: Finished,
        *,
        clock: Clock | None = None,
        snapshot_rate: int = 30,
        grace: float = 30.0,
        in_game: Callable[[int, bool], Awaitable[None]] | None = None,
    ):
        self.in_game = in_game  # tells presence who is playing
        self.bus = bus
        self.deliver = deliver
        self.on_finished = on_finished
        self.clock = clock or LoopClock()
        self.snapshot_rate = snapshot_rate
        self.grace = grace
        self.rooms: dict[str, Room] = {}
        self._followers: dict[str, asyncio.Task[None]] = {}

    async def create(
        self,
        mode: str,
        left: tuple[int | None, str],
        right: tuple[int | None, str],
        options: Options,
        *,
        seed: int | None = None,
        ai: Any = None,
        keyboard: bool | None = None,
    ) -> Match:
        """Start a game now. `left`/`right` are (user id or None, name); `ai` plays right.

        `keyboard`: both paddles are driven from the left player's keyboard (local games,
        and local tournaments); by default only in "local" mode.
        """
        if mode not in MODES:
            raise GameError("invalid_mode", f"mode must be one of {', '.join(MODES)}")
        match = await Match.create(
            id=uuid.uuid4(),
            mode=mode,
            left_user_id=left[0],
            right_user_id=right[0],
            left_name=left[1],
            right_name=right[1],
            options=options.as_dict(),
        )
        game_id = str(match.id)
        engine = Engine(options, seed=seed if seed is not None else uuid.uuid4().int & 0xFFFFFFFF)
        keyboard = mode == "local" if keyboard is None else keyboard
        remote = mode in ("remote", "tournament") and not keyboard
        seats = [
            Seat(Side.LEFT, left[0], remote=remote and left[0] is not None),
            Seat(Side.RIGHT, right[0], remote=remote and right[0] is not None),
        ]

        async def publish(kind: str, state: dict[str, Any]) -> None:
            await self.deliver(game_topic(game_id), kind, state)

        room = Room(
            game_id,
            engine,
            seats,
            publish=publish,
            on_finish=self._finished,
            clock=self.clock,
            snapshot_rate=self.snapshot_rate,
            grace=self.grace,
            on_tick=ai.tick if ai is not None else None,
        )
        room.mode = mode  # type: ignore[attr-defined]
        room.keyboard = keyboard  # type: ignore[attr-defined]
        self.rooms[game_id] = room
        # Follow the input topic before the first tick, so no early key is missed.
        following = asyncio.Event()
        follower = asyncio.create_task(
            self._follow_inputs(room, following), name=f"pong-inputs-{game_id}"
        )
        self._followers[game_id] = follower
        async with asyncio.timeout(10):
            await following.wait()
        room.start()
        await self._mark_players(room, True)
        return match

    def room(self, game_id: str) -> Room:
        room = self.rooms.get(game_id)
        if room is None:
            raise GameError("not_found", "no such running game on this node")
        return room

    # --- inputs and presence, from any node ------------------------------------------

    async def send(self, game_id: str, event: dict[str, Any]) -> None:
        """Route an event to the game's owner, wherever it runs (the bus carries it)."""
        await self.bus.publish(input_topic(game_id), json.dumps(event).encode())

    async def send_input(
        self, game_id: str, user_id: int, key: str, pressed: bool, seq: int, side: str | None = None
    ) -> None:
        try:
            key = Key(key).value
        except ValueError:
            raise GameError("invalid_key", "key must be up, down or power") from None
        await self.send(
            game_id,
            {
                "op": "input",
                "user_id": user_id,
                "key": key,
                "pressed": pressed,
                "seq": seq,
                "side": side,
            },
        )

    async def _follow_inputs(self, room: Room, following: asyncio.Event) -> None:
        while not room.engine.finished:
            try:
                async with self.bus.subscribe(input_topic(room.id), maxsize=256) as sub:
                    await sub.ready()
                    following.set()
                    async for message in sub:
                        if not message.data:
                            continue  # a bus resync marker
                        self.apply(room, json.loads(message.data))
                        if room.engine.finished:
                            return
            except SubscriptionOverflow:
                log.warning("room %s: input flood overflowed its queue", room.id)

    def apply(self, room: Room, event: dict[str, Any]) -> None:
        op = event.get("op")
        user_id = int(event.get("user_id", 0))
        seat = room.seat_of(user_id)
        if op == "input":
            side = self.side_for(room, user_id, event.get("side"))
            if side is not None:
                room.input(side, Key(event["key"]), bool(event["pressed"]), int(event["seq"]))
        elif seat is None:
            return
        elif op == "joined":
            self._sockets(room, seat.side).add(event["conn"])
            room.reconnected(seat.side)
        elif op == "left":
            sockets = self._sockets(room, seat.side)
            sockets.discard(event["conn"])
            if not sockets:
                room.disconnected(seat.side)
        elif op == "forfeit":
            room.forfeit(seat.side)

    @staticmethod
    def _sockets(room: Room, side: Side) -> set[str]:
        """The sockets through which a seat's player follows the game (any node)."""
        sockets: dict[Side, set[str]] = room.__dict__.setdefault("sockets", {})
        return sockets.setdefault(side, set())

    @staticmethod
    def side_for(room: Room, user_id: int, wanted: str | None) -> Side | None:
        """Which paddle a user's key moves: their seat, or either one in a local game."""
        if getattr(room, "keyboard", False):
            left = room.seats[Side.LEFT]
            if left.user_id == user_id:
                return Side(wanted) if wanted in ("left", "right") else Side.LEFT
            return None
        seat = room.seat_of(user_id)
        return seat.side if seat else None

    # --- the end ------------------------------------------------------------------------

    async def _finished(self, room: Room) -> None:
        self.rooms.pop(room.id, None)
        follower = self._followers.pop(room.id, None)
        if follower is not None:
            follower.cancel()
        match = await record(room)
        await self._mark_players(room, False)
        await self.on_finished(match)

    async def _mark_players(self, room: Room, playing: bool) -> None:
        if self.in_game is None:
            return
        for seat in room.seats.values():
            if seat.user_id is not None:
                try:
                    await self.in_game(seat.user_id, playing)
                except Exception:  # presence is a courtesy: never block a game on it
                    log.exception("could not mark user %s in game=%s", seat.user_id, playing)

    async def shutdown(self) -> None:
        for room in list(self.rooms.values()):
            await room.stop()
        for follower in self._followers.values():
            follower.cancel()


async def record(room: Room) -> Match:
    """Store the finished match (never lost: this is the one write that matters)."""
    engine = room.engine
    data = engine.record()
    await Match.filter(id=room.id).update(
        status="finished",
        left_score=engine.scores[Side.LEFT],
        right_score=engine.scores[Side.RIGHT],
        winner=engine.winner.value if engine.winner else None,
        forfeit=engine.forfeited is not None,
        record=data,
        ended_at=datetime.now(UTC),
    )
    return await Match.get(id=room.id)


def parse_options(raw: dict[str, Any] | None) -> Options:
    try:
        return Options(**(raw or {}))
    except (TypeError, ValueError) as exc:
        raise GameError("invalid_options", str(exc)) from None
