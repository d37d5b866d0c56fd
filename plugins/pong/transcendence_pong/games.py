"""Games on this node: creating rooms, routing inputs to them, recording how they end.

Players may be connected to any node: every input travels over the bus on the game's input
topic, which the owning node follows, and every snapshot goes out on the game's topic,
which the hub delivers to the sockets that follow it on every node. No HTTP and no socket
here. Which node owns a game, and how another one takes it over, is cluster.py's; storing
the results is recording.py's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import pydantic_core
from prometheus_client import CollectorRegistry

from transcendence.bus import Bus, SubscriptionOverflow
from transcendence.hub import Encoded
from transcendence_pong import live, records
from transcendence_pong.clock import Clock, LoopClock
from transcendence_pong.cluster import Cluster
from transcendence_pong.engine import Engine, Key, Options, Side
from transcendence_pong.errors import GameError
from transcendence_pong.lease import LeaseErrors, Leases
from transcendence_pong.live import Deliver
from transcendence_pong.models import Match
from transcendence_pong.recording import NotRecorded, record_cancelled, record_finished
from transcendence_pong.room import Room, Seat
from transcendence_pong.ticker import Ticker
from transcendence_pong.timings import Timings
from transcendence_pong.topics import game_topic, input_topic

log = logging.getLogger("transcendence.pong")
MODES = ("local", "remote", "ai", "tournament")
Finished = Callable[[Match], Awaitable[None]]


def encoded(state: dict[str, Any]) -> Encoded:
    """A snapshot as the hub sends it, encoded here by pydantic-core: the same JSON text as
    the hub's encoder, in under half the time (profiled: encoding was a third of a
    snapshot's cost, 30 snapshots a second per game)."""
    return Encoded(pydantic_core.to_json(state).decode())


class Games(Cluster):
    """The rooms this node owns, and the bridge between them and the bus (the leases,
    checkpoints and takeovers are `Cluster`'s, in cluster.py)."""

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
        registry: CollectorRegistry | None = None,
        leases: Leases | None = None,
        namespace: str = "local",
    ):
        super().__init__(leases, namespace)
        self.in_game = in_game  # tells presence who is playing
        # A player arrived at a held game: `await on_joined(game_id, user_id)` (tournaments).
        self.on_joined: Callable[[str, int], Awaitable[None]] | None = None
        # Where the lobbies hear of games starting and ending (live.py); None: nowhere.
        self.live: Deliver | None = None
        # A push to every tab of a user: `await to_user(user_id, type, data)` (cancellations).
        self.to_user: Callable[[int, str, dict[str, Any]], Awaitable[None]] | None = None
        self.bus = bus
        self.deliver = deliver
        self.on_finished = on_finished
        self.clock = clock or LoopClock()  # and its ticker (the `clock` setter)
        self.snapshot_rate = snapshot_rate
        self.grace = grace
        # Seconds a held remote game waits for its players before it is cancelled; None:
        # the grace period. Apart from it so that tests on a sped-up clock can keep this
        # wait long in real time while a dropped player's grace runs out quickly.
        self.no_show_wait: float | None = None
        self.rooms: dict[str, Room] = {}
        # Admission control: new games past this many on this node are refused
        # (`server_busy`); None: no limit. Games taken over from another node are adopted
        # anyway (they were running). `_admitting`: games being made right now.
        self.max_games: int | None = None
        self._admitting = 0
        self._followers: dict[str, asyncio.Task[None]] = {}
        # One-off jobs (checkpoints, takeovers, arrivals): the loop keeps only a weak
        # reference to a task, so they are held here until done, and cancelled at shutdown.
        self._spawned: set[asyncio.Task[Any]] = set()
        self._finishing: set[Room] = set()  # rooms being recorded right now
        # How long a finished match's record retries before it is logged as lost (seconds);
        # None: RECORD_GIVE_UP.
        self.record_give_up: float | None = None
        # The node's own timings, on /metrics (bench/pong_bench.py reads them); unregistered
        # at shutdown, since the module can be switched off and on again in a running app.
        self.registry = registry
        self.tick_seconds = Timings(
            "transcendence_pong_tick_seconds",
            "One game tick: engine step, AI, snapshot built and queued",
        )
        self.publish_seconds = Timings(
            "transcendence_pong_snapshot_publish_seconds",
            "One snapshot encoded and handed to the bus for its followers",
        )
        if registry is not None:
            registry.register(self.tick_seconds)
            registry.register(self.publish_seconds)

    @property
    def clock(self) -> Clock:
        return self._clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        """The rooms' clock (tests set a faster one), and the ticker on it: one task steps
        every game in play on this node, 60 times a second (ticker.py). Rooms already in
        play stay on the ticker they have."""
        self._clock = clock
        self.ticker = Ticker(clock)

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
        hold: bool = False,
        ai_level: str | None = None,
        no_show: float | None = None,
    ) -> Match:
        """Start a game now. `left`/`right` are (user id or None, name); `ai` plays right.

        `keyboard`: both paddles are driven from the left player's keyboard (local games,
        and local tournaments); by default only in "local" mode.
        `hold`: the clock does not run until every seat with a user has joined (`pong.join`),
        then counts down before the first serve; a `forfeit` event ends a held game at once
        (a tournament's no-show). Each first arrival is reported to `on_joined`.
        `no_show`: with `hold`, a player still missing after that many seconds cancels the
        game (recorded "cancelled", for no one: remote games); None waits for a forfeit.
        `ai_level`: the AI's level, to make it again if another node takes the game over
        (read from `ai.level` when not given).
        """
        if mode not in MODES:
            raise GameError(400, "invalid_mode", f"mode must be one of {', '.join(MODES)}")
        self.check_capacity()
        self._admitting += 1  # a slot held from now on, so parallel creations cannot overrun
        try:
            return await self._create(
                mode, left, right, options, seed, ai, keyboard, hold, ai_level, no_show
            )
        finally:
            self._admitting -= 1

    def has_capacity(self) -> bool:
        """Whether this node takes one more game now."""
        return self.max_games is None or len(self.rooms) + self._admitting < self.max_games

    def check_capacity(self) -> None:
        """GameError `server_busy` (503) when this node runs as many games as it may."""
        if not self.has_capacity():
            raise GameError(
                503,
                "server_busy",
                f"this server is running as many games as it can ({self.max_games}): "
                "try again in a minute",
            )

    async def _create(
        self,
        mode: str,
        left: tuple[int | None, str],
        right: tuple[int | None, str],
        options: Options,
        seed: int | None,
        ai: Any,
        keyboard: bool | None,
        hold: bool,
        ai_level: str | None,
        no_show: float | None,
    ) -> Match:
        keyboard = mode == "local" if keyboard is None else keyboard
        match = await Match.create(
            id=uuid.uuid4(),
            mode=mode,
            left_user_id=left[0],
            right_user_id=right[0],
            left_name=left[1],
            right_name=right[1],
            options=options.as_dict(),
            # Read by `pong.join` while the game runs (a local tournament's games are played at
            # one keyboard too); the finished record replaces it.
            record={"keyboard": keyboard},
        )
        game_id = str(match.id)
        engine = Engine(options, seed=seed if seed is not None else uuid.uuid4().int & 0xFFFFFFFF)
        remote = mode in ("remote", "tournament") and not keyboard
        seats = [
            Seat(Side.LEFT, left[0], remote=remote and left[0] is not None),
            Seat(Side.RIGHT, right[0], remote=remote and right[0] is not None),
        ]
        if ai is None:
            ai_level = None
        else:
            ai_level = ai_level or getattr(getattr(ai, "level", None), "name", None) or "normal"
        room = self._make_room(
            game_id, engine, seats, mode=mode, keyboard=keyboard, ai=ai, ai_level=ai_level
        )
        if hold:  # no serve before every player has opened the game (any tab)
            room.hold([seat.side for seat in seats if seat.user_id is not None], no_show)
        try:
            await self.leases.acquire(game_id)  # a new id: nobody else holds it
        except LeaseErrors as exc:  # the renewal takes it when the store is back
            log.warning("game %s: could not take its lease yet (%s)", game_id, exc)
        else:
            await self._checkpoint(room)
        await self._adopt(room)
        await live.announce(self.live, "started", match)  # the lobbies' live list
        return match

    def _make_room(
        self,
        game_id: str,
        engine: Engine,
        seats: list[Seat],
        *,
        mode: str,
        keyboard: bool,
        ai: Any = None,
        ai_level: str | None = None,
    ) -> Room:
        topic = game_topic(game_id)

        async def publish(kind: str, state: dict[str, Any]) -> None:
            await self.deliver(topic, kind, encoded(state))

        return Room(
            game_id,
            engine,
            seats,
            publish=publish,
            on_finish=self._finished,
            clock=self.clock,
            snapshot_rate=self.snapshot_rate,
            grace=self.grace,
            on_tick=ai.tick if ai is not None else None,
            mode=mode,
            keyboard=keyboard,
            ai_level=ai_level,
            on_point=self._point_scored,
            on_arrived=self._arrived,
            observe_tick=self.tick_seconds.observe,
            observe_publish=self.publish_seconds.observe,
            ticker=self.ticker,
        )

    async def _adopt(self, room: Room, *, away_for: float | None = None) -> None:
        """Run a room on this node (the lease is ours): follow its inputs, then start it.

        `away_for`: a game taken over from another node, paused until its players' sockets
        show up here, each one forfeiting after that many seconds.
        """
        self.rooms[room.id] = room
        # Follow the input topic before the first tick, so no early key is missed.
        following = asyncio.Event()
        follower = asyncio.create_task(
            self._follow_inputs(room, following), name=f"pong-inputs-{room.id}"
        )
        self._followers[room.id] = follower
        async with asyncio.timeout(10):
            await following.wait()
        if away_for is not None and not room.waiting:
            room.away_until_back(away_for)
        room.start()
        await self._mark_players(room, True)

    def _arrived(self, room: Room, user_id: int) -> None:
        """A player's first arrival at a held game: everyone sees who is in now, and the
        tournaments hear of it (`on_joined`)."""
        self._spawn(self._report_arrival(room, user_id))

    async def _report_arrival(self, room: Room, user_id: int) -> None:
        try:
            await self.deliver(game_topic(room.id), "pong.state", encoded(room.state()))
            if self.on_joined is not None:
                await self.on_joined(room.id, user_id)
        except Exception:
            log.exception("room %s: could not report the arrival of user %s", room.id, user_id)

    def room(self, game_id: str) -> Room:
        room = self.rooms.get(game_id)
        if room is None:
            raise GameError(404, "not_found", "no such running game on this node")
        return room

    # --- inputs and presence, from any node ------------------------------------------

    async def send(self, game_id: str, event: dict[str, Any]) -> None:
        """Route an event to the game's owner, wherever it runs (the bus carries it)."""
        op = event.get("op")
        if op == "joined":  # remembered for roll calls, should the game change node
            self.local_players.setdefault(game_id, {})[event["conn"]] = int(event["user_id"])
        elif op == "left":
            here = self.local_players.get(game_id, {})
            here.pop(event["conn"], None)
            if not here:
                self.local_players.pop(game_id, None)
        await self.bus.publish(input_topic(game_id), json.dumps(event).encode())

    async def send_input(
        self, game_id: str, user_id: int, key: str, pressed: bool, seq: int, side: str | None = None
    ) -> None:
        try:
            key = Key(key).value
        except ValueError:
            raise GameError(400, "invalid_key", "key must be up, down or power") from None
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
        if op in ("watch", "unwatch"):  # a spectator's socket (any node)
            (room.spectators.add if op == "watch" else room.spectators.discard)(event["conn"])
            return
        if op == "input":
            side = room.side_for(user_id, event.get("side"))
            if side is not None:
                room.input(side, Key(event["key"]), bool(event["pressed"]), int(event["seq"]))
        elif seat is None:
            return
        elif op == "joined":
            room.join(user_id, event["conn"])
        elif op == "left":
            room.leave(user_id, event["conn"])
        elif op == "forfeit":
            room.forfeit(seat.side)
        elif op in ("pause", "resume") and not any(s.remote for s in room.seats.values()):
            room.hold_still(op == "pause")  # a local or AI game: its player pauses it

    # --- jobs, the end ------------------------------------------------------------------

    def _spawn(self, job: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self._spawned.add(task)
        task.add_done_callback(self._spawned_done)

    def _spawned_done(self, task: asyncio.Task[Any]) -> None:
        self._spawned.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("pong background task failed", exc_info=task.exception())

    # --- the end ------------------------------------------------------------------------

    async def _finished(self, room: Room) -> bool:
        """Record the finished match (retrying until the database answers), then tell the
        lobbies and run `on_finished` (ratings already moved, then the `match_finished`
        hook): only once the record is written. True when it is recorded (here or, found
        already finished, by another node). A game cancelled (a no-show, or a remote game
        abandoned before any point: records.py) is recorded "cancelled" instead."""
        engine = room.engine
        if room.cancelled is None and records.cancels(
            room.mode,
            engine.scores[Side.LEFT],
            engine.scores[Side.RIGHT],
            engine.forfeited is not None,
        ):
            assert engine.forfeited is not None
            room.cancelled = {"reason": "abandoned", "sides": [engine.forfeited.value]}
        if room.cancelled is not None:
            return await self._cancel(room)
        self.rooms.pop(room.id, None)
        follower = self._followers.pop(room.id, None)
        if follower is not None:
            follower.cancel()
        self._finishing.add(room)  # shutdown waits for it, while the database is open
        recorded = False
        try:
            match = await record_finished(
                room,
                give_up=self.record_give_up,
                between=lambda: self._keep_finishing(room),
            )
            recorded = True
        except NotRecorded:
            match = None  # logged in full; its checkpoint stays for a node to record it
        finally:  # also when cancelled at shutdown
            self._finishing.discard(room)
            await self._mark_players(room, False)
            try:
                # Forgotten once recorded; otherwise the checkpoint (finished) stays, and a
                # node that takes the game over records it when the database is back.
                await self.leases.release(room.id, forget=recorded)
            except LeaseErrors:
                log.warning("game %s: lease not released (it expires by itself)", room.id)
        if match is None:
            if recorded:
                log.warning("game %s was already recorded (by another node); not again", room.id)
            return recorded
        await live.announce(self.live, "ended", match)
        try:
            await self.on_finished(match)
        except Exception:  # recorded and rated: a listener's failure is its own
            log.exception("game %s: recorded, but a match_finished listener failed", room.id)
        return True

    async def _cancel(self, room: Room) -> bool:
        """Record a cancelled game (for no one: no winner, no rating, no `match_finished`)
        and tell both players, on every tab (`pong.cancelled`)."""
        self.rooms.pop(room.id, None)
        follower = self._followers.pop(room.id, None)
        if follower is not None:
            follower.cancel()
        recorded = False
        try:
            recorded = await record_cancelled(room)
        except Exception:  # the start-up check records it interrupted if this never lands
            log.exception("game %s: could not record its cancellation", room.id)
        finally:
            await self._mark_players(room, False)
            with contextlib.suppress(*LeaseErrors):
                await self.leases.release(room.id, forget=True)
        if not recorded:
            return False
        await live.announce(self.live, "ended", room.id)
        if self.to_user is not None:
            data = {"game_id": room.id, **(room.cancelled or {})}
            for seat in room.seats.values():
                if seat.user_id is not None:
                    try:
                        await self.to_user(seat.user_id, "pong.cancelled", data)
                    except Exception:  # the game view's last snapshot says it as well
                        log.warning("game %s: could not tell user %s", room.id, seat.user_id)
        return True

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
        """Stop this node's games: hand them over to another node, or record them as
        interrupted when none takes them (or when there is no other node)."""
        self._closing = True
        tasks = [*self._background, *self._spawned]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._background = []
        rooms = list(self.rooms.values())
        for room in rooms:
            await room.stop()
        for follower in self._followers.values():
            follower.cancel()
        self._followers.clear()
        unfinished = [room for room in rooms if not room.engine.finished]
        self.rooms.clear()
        # Games that ended just now are still being recorded: let them finish first.
        recording = [t for room in self._finishing if (t := room.task) is not None]
        if recording:
            _, pending = await asyncio.wait(recording, timeout=10)
            # The database is still away: stop waiting (each result is logged as JSON, and
            # its checkpoint stays for another node to record it).
            for room in list(self._finishing):
                if room.recording is not None:
                    room.recording.cancel()
            if pending:
                await asyncio.wait(pending, timeout=5)
        await self.ticker.close()
        if unfinished:
            await self._hand_over(unfinished)
        await self.leases.close()
        if self.registry is not None:
            self.registry.unregister(self.tick_seconds)
            self.registry.unregister(self.publish_seconds)
            self.registry = None


# Recording a finished match retries until the database answers: first after this many
# seconds, then twice as long each time up to the cap, for at most RECORD_GIVE_UP seconds in
