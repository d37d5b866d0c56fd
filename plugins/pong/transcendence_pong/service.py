"""Games on this node: creating rooms, routing inputs to them, recording finished matches.

A room runs on exactly one node, the holder of its ownership lease (lease.py): at first the
one that created it. Players may be connected to any node: every input travels over the bus
on the game's input topic, which the owning node follows, and every snapshot goes out on the
game's topic, which the hub delivers to the sockets that follow it on every node. No HTTP
and no socket here.

Several nodes (docs/pong.md, "Several nodes"): the owner renews its leases every ttl / 3 and
writes a checkpoint (checkpoint.py) with each renewal and at every point. Every node scans
for games whose lease expired (their node died) every ttl / 4 or so, with jitter, and takes
them over from their checkpoint, paused until the players' sockets show up; a roll call on
the cluster topic asks every node to announce the players' sockets it holds. On shutdown
the owner checkpoints, releases and announces each game at once (a handover); a game nobody
takes is recorded with the status "interrupted", never silently lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import CollectorRegistry
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from transcendence.bus import Bus, BusUnavailable, SubscriptionOverflow
from transcendence.errors import APIError
from transcendence_pong import checkpoint, live, records
from transcendence_pong.clock import Clock, LoopClock
from transcendence_pong.engine import Engine, Key, Options, Side
from transcendence_pong.lease import HELD, LOST, MISSING, LeaseErrors, Leases, LocalLeases
from transcendence_pong.models import Match
from transcendence_pong.room import Room, Seat
from transcendence_pong.timings import Timings

log = logging.getLogger("transcendence.pong")
MODES = ("local", "remote", "ai", "tournament")


class GameError(APIError):
    """A request about a game that cannot be honoured: `GameError(status, code, message)`.

    An `APIError`, so the core answers it as one on every path: a route's JSON error, a
    realtime handler's error frame, the hooks other modules call (chat's invitations) with
    the same status as pong's own routes. Its own class so a caller can tell pong's refusals
    from other errors.
    """


def game_topic(game_id: str) -> str:
    """Where a game's snapshots go (players and spectators follow it)."""
    return f"pong.game.{game_id}"


def input_topic(game_id: str) -> str:
    return f"pong.input.{game_id}"


def cluster_topic(namespace: str) -> str:
    """Where nodes announce handovers and roll calls to each other."""
    return f"pong.cluster.{namespace}"


HANDOVER_WAIT = 3.0  # seconds a stopping node waits for another one to take its games
# A running match this old (seconds) that no lease nor checkpoint covers has no node left:
# its node was killed before its first checkpoint, or it never had a lease (AI against AI).
ABANDONED_AFTER = 60.0
# With local leases, a match still "running" from before this process started is one its
# killed predecessor left behind: nothing else could carry it on.
PROCESS_STARTED = datetime.now(UTC)
# Problems talking to the lease store or the bus: a node keeps its games running through them.
_STORE_ERRORS: tuple[type[BaseException], ...] = (*LeaseErrors, BusUnavailable)


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
        registry: CollectorRegistry | None = None,
        leases: Leases | None = None,
        namespace: str = "local",
    ):
        self.in_game = in_game  # tells presence who is playing
        # A player arrived at a held game: `await on_joined(game_id, user_id)` (tournaments).
        self.on_joined: Callable[[str, int], Awaitable[None]] | None = None
        # A match this node recorded "interrupted" (no node could carry it on), while it
        # runs: `await on_interrupted(game_id)` (the tournament calls the match again).
        self.on_interrupted: Callable[[str], Awaitable[None]] | None = None
        # Where the lobbies hear of games starting and ending (live.py); None: nowhere.
        self.live: Deliver | None = None
        # A push to every tab of a user: `await to_user(user_id, type, data)` (cancellations).
        self.to_user: Callable[[int, str, dict[str, Any]], Awaitable[None]] | None = None
        self.bus = bus
        self.deliver = deliver
        self.on_finished = on_finished
        self.clock = clock or LoopClock()
        self.snapshot_rate = snapshot_rate
        self.grace = grace
        # Seconds a held remote game waits for its players before it is cancelled; None:
        # the grace period. Apart from it so that tests on a sped-up clock can keep this
        # wait long in real time while a dropped player's grace runs out quickly.
        self.no_show_wait: float | None = None
        self.rooms: dict[str, Room] = {}
        self._followers: dict[str, asyncio.Task[None]] = {}
        # Ownership across nodes (lease.py): who runs which game, and where it stands.
        self.leases: Leases = leases or LocalLeases()
        self.cluster_topic = cluster_topic(namespace)
        self.handover_wait = HANDOVER_WAIT
        # A checkpoint older than this when found is not resumed (its players are long
        # gone): the game is recorded as interrupted. None: the grace period plus the ttl.
        self.orphan_after: float | None = None
        # `make_ai(level)`: an AI player again, for a game taken over from another node.
        self.make_ai: Callable[[str], Any] | None = None
        # Players' sockets on this node, per game: {game_id: {conn: user_id}} (roll calls).
        self.local_players: dict[str, dict[str, int]] = {}
        self._background: list[asyncio.Task[None]] = []
        # One-off jobs (checkpoints, takeovers, arrivals): the loop keeps only a weak
        # reference to a task, so they are held here until done, and cancelled at shutdown.
        self._spawned: set[asyncio.Task[Any]] = set()
        self._closing = False
        self._taking: set[str] = set()
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
        room = self._make_room(game_id, engine, seats, mode=mode, keyboard=keyboard, ai=ai)
        room.no_show = no_show if hold else None  # type: ignore[attr-defined]
        if hold:  # no serve before every player has opened the game (any tab)
            room.hold([seat.side for seat in seats if seat.user_id is not None], no_show)
        if ai is not None:
            level = ai_level or getattr(getattr(ai, "level", None), "name", None)
            room.ai_level = level or "normal"  # type: ignore[attr-defined]
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
    ) -> Room:
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
        room.observe_tick = self.tick_seconds.observe
        room.observe_publish = self.publish_seconds.observe
        room.on_point = self._point_scored
        return room

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

    async def _arrived(self, room: Room, user_id: int) -> None:
        try:
            await self.deliver(game_topic(room.id), "pong.state", room.state())
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
            side = self.side_for(room, user_id, event.get("side"))
            if side is not None:
                room.input(side, Key(event["key"]), bool(event["pressed"]), int(event["seq"]))
        elif seat is None:
            return
        elif op == "joined":
            sockets = self._sockets(room, seat.side)
            first = not sockets
            sockets.add(event["conn"])
            if seat.side in room.waiting:
                room.arrive(seat.side)
                if first:
                    self._spawn(self._arrived(room, user_id))
            else:
                room.reconnected(seat.side)
        elif op == "left":
            sockets = self._sockets(room, seat.side)
            sockets.discard(event["conn"])
            if sockets:
                return
            if room.waiting:  # the other player is not here yet: wait for both again
                room.unarrive(seat.side)
            else:
                room.disconnected(seat.side)
        elif op == "forfeit":
            room.forfeit(seat.side)
        elif op in ("pause", "resume") and not any(s.remote for s in room.seats.values()):
            room.hold_still(op == "pause")  # a local or AI game: its player pauses it

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

    # --- several nodes: leases, checkpoints, takeovers (lease.py, checkpoint.py) ----------

    async def start(self) -> None:
        """Start the lease keeper; with shared leases, the orphan watcher and the listener
        to other nodes' handovers and roll calls."""
        self._closing = False
        await self.leases.start()
        await self.close_abandoned()
        loop = asyncio.get_running_loop()
        self._background.append(loop.create_task(self._keep_leases(), name="pong-leases"))
        if self.leases.shared:
            listening = asyncio.Event()
            self._background.append(
                loop.create_task(self._listen(listening), name="pong-cluster-listener")
            )
            self._background.append(loop.create_task(self._watch(), name="pong-orphan-watcher"))
            async with asyncio.timeout(10):
                await listening.wait()

    async def close_abandoned(self) -> list[str]:
        """Record as interrupted the running matches that no node can carry on (with local
        leases: those from before this process; with shared ones: those older than
        ABANDONED_AFTER with neither a lease nor a checkpoint). Their ids."""
        if self.leases.shared:
            cutoff = datetime.now(UTC) - timedelta(seconds=ABANDONED_AFTER)
        else:
            cutoff = PROCESS_STARTED
        closed: list[str] = []
        try:
            found = await Match.filter(status="running", started_at__lt=cutoff).values_list(
                "id", flat=True
            )
            for match_id in found:
                game_id = str(match_id)
                if game_id in self.rooms or game_id in self._taking:
                    continue
                if self.leases.shared and (
                    await self.leases.holder(game_id) is not None
                    or await self.leases.load(game_id) is not None
                ):
                    continue  # a node runs it, or the orphan watcher will resume it
                updated = await Match.filter(id=game_id, status="running").update(
                    status="interrupted",
                    record={"interrupted": True, "abandoned": True},
                    ended_at=datetime.now(UTC),
                )
                if updated:
                    closed.append(game_id)
        except Exception as exc:  # the store or the database: the next start looks again
            log.warning("could not look for abandoned games (%r)", exc)
        for game_id in closed:
            log.warning("game %s: its node was killed; recorded interrupted", game_id)
            await live.announce(self.live, "ended", game_id)
            await self._interrupted(game_id)
        return closed

    async def _interrupted(self, game_id: str) -> None:
        if self.on_interrupted is None or self._closing:
            return  # while stopping, the next start's catch-up calls the match again
        try:
            await self.on_interrupted(game_id)
        except Exception:
            log.exception("game %s: the interrupted-match hook failed", game_id)

    def _point_scored(self, room: Room) -> None:
        if not self._closing:
            self._spawn(self._checkpoint(room))

    def _spawn(self, job: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self._spawned.add(task)
        task.add_done_callback(self._spawned_done)

    def _spawned_done(self, task: asyncio.Task[Any]) -> None:
        self._spawned.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("pong background task failed", exc_info=task.exception())

    async def _checkpoint(self, room: Room) -> None:
        """Store where the game stands, if it is still ours (a failure waits for the next)."""
        try:
            if not await self.leases.save(room.id, checkpoint.capture(room)):
                log.warning("game %s: not checkpointed, its lease is not ours", room.id)
        except LeaseErrors as exc:
            log.warning("game %s: checkpoint failed (%s); retried at the renewal", room.id, exc)

    async def _keep_leases(self) -> None:
        """Renew this node's leases every ttl / 3, each with a fresh checkpoint."""
        while True:
            await asyncio.sleep(self.leases.ttl / 3)
            for game_id, room in list(self.rooms.items()):
                if room.engine.finished or self._closing:
                    continue
                try:
                    found = await self.leases.renew(game_id, checkpoint.capture(room))
                    if found == MISSING:
                        found = await self._reclaim(room)
                except Exception as exc:  # the store or the database: the game goes on
                    log.warning("game %s: lease not renewed (%r); still running", game_id, exc)
                    continue
                if found == LOST and self.rooms.get(game_id) is room:
                    await self._drop(room)

    async def _reclaim(self, room: Room) -> str:
        """Our lease vanished (Redis restarted empty, or it expired unclaimed while this node
        stalled): take it again if the game is still running and nobody else has it."""
        if not await Match.filter(id=room.id, status="running").exists():
            return LOST
        if not await self.leases.acquire(room.id):
            return LOST
        await self.leases.save(room.id, checkpoint.capture(room))
        log.warning("game %s: its lease had vanished; taken again", room.id)
        return HELD

    async def _drop(self, room: Room) -> None:
        """Another node runs this game now: stop ours without recording anything."""
        log.warning("game %s: lease lost to another node; stopping the copy here", room.id)
        self.rooms.pop(room.id, None)
        follower = self._followers.pop(room.id, None)
        if follower is not None:
            follower.cancel()
        room.on_finish = None
        await room.stop()

    async def _watch(self) -> None:
        """Find games whose lease expired (their node died) and take them over; now and
        then, the games that died before they had a lease (`close_abandoned`)."""
        loop = asyncio.get_running_loop()
        next_look = loop.time() + ABANDONED_AFTER
        while True:
            # Jitter: the nodes' scans spread out instead of racing for the same games.
            await asyncio.sleep(self.leases.ttl / 4 * random.uniform(0.5, 1.5))
            if loop.time() >= next_look:
                next_look = loop.time() + ABANDONED_AFTER * random.uniform(0.5, 1.5)
                await self.close_abandoned()
            try:
                orphans = await self.leases.orphans()
            except Exception as exc:  # the store: the next scan tries again
                log.warning("could not scan for orphaned games (%r)", exc)
                continue
            random.shuffle(orphans)
            for game_id in orphans:
                await self.take_over(game_id, "its node stopped renewing the lease")

    async def _listen(self, listening: asyncio.Event) -> None:
        """Handovers and roll calls from the other nodes."""
        while not self._closing:
            try:
                async with self.bus.subscribe(self.cluster_topic, maxsize=1024) as sub:
                    await sub.ready()
                    listening.set()
                    async for message in sub:
                        if not message.data:
                            continue  # a bus resync marker
                        try:
                            event = json.loads(message.data)
                            game_id = str(event["game_id"])
                        except (ValueError, TypeError, KeyError):
                            log.warning("pong cluster topic: unreadable message ignored")
                            continue
                        if event.get("op") == "handover" and event.get("from") != (
                            self.leases.node_id
                        ):
                            reason = f"handed over by node {event.get('from')}"
                            self._spawn(self.take_over(game_id, reason))
                        elif event.get("op") == "rollcall":
                            await self._answer_roll_call(game_id)
            except SubscriptionOverflow:
                log.warning("pong cluster topic overflowed its queue; listening again")
            except RuntimeError:
                return  # the bus is closed
            except BusUnavailable as exc:
                log.warning("pong cluster topic: %s", exc)

    async def _answer_roll_call(self, game_id: str) -> None:
        """The game changed node: tell its new owner which players follow it from here."""
        for conn, user_id in list(self.local_players.get(game_id, {}).items()):
            event = {"op": "joined", "user_id": user_id, "conn": conn}
            try:
                await self.bus.publish(input_topic(game_id), json.dumps(event).encode())
            except BusUnavailable:
                log.warning("game %s: could not answer the roll call", game_id)

    async def take_over(self, game_id: str, reason: str) -> bool:
        """Resume a game whose lease nobody holds, from its checkpoint. True when it runs
        here now (or was recorded as interrupted: its checkpoint was too old)."""
        if self._closing or game_id in self.rooms or game_id in self._taking:
            return False
        self._taking.add(game_id)
        try:
            if not await self.leases.acquire(game_id):
                return False
            return await self._resume(game_id, reason)
        except Exception as exc:  # the store, the bus or the database: the next scan retries
            log.warning("game %s: takeover failed (%r)", game_id, exc)
            room = self.rooms.pop(game_id, None)
            if room is not None:
                room.on_finish = None
                await room.stop()
            with contextlib.suppress(*LeaseErrors):
                await self.leases.release(game_id, forget=False)
            return False
        finally:
            self._taking.discard(game_id)

    async def _resume(self, game_id: str, reason: str) -> bool:
        loaded = await self.leases.load(game_id)
        match = await Match.get_or_none(id=game_id)
        if loaded is None or match is None or match.status != "running":
            await self.leases.release(game_id, forget=True)  # it ended: nothing to resume
            return False
        data, age = loaded
        room = self._restore(data)
        limit = self.orphan_after
        if limit is None:
            limit = self.grace + self.leases.ttl
        if age > limit:
            log.warning(
                "game %s: checkpoint %.0f s old, its players are gone; recorded interrupted",
                game_id,
                age,
            )
            await self._interrupt(room)
            return True
        log.warning(
            "game %s: taken over by node %s (%s) at %s-%s",
            game_id,
            self.leases.node_id,
            reason,
            room.engine.scores[Side.LEFT],
            room.engine.scores[Side.RIGHT],
        )
        if room.engine.finished:  # its node died between the last point and the record
            self.rooms[game_id] = room
            await self._finished(room)
            return True
        if data.get("held"):  # still waiting for its players: their sockets re-announce
            room.no_show = data.get("no_show")  # type: ignore[attr-defined]
            room.hold(
                [seat.side for seat in room.seats.values() if seat.user_id is not None],
                data.get("no_show"),
            )
        await self._adopt(room, away_for=self.grace)
        await self._checkpoint(room)
        await self.bus.publish_json(self.cluster_topic, {"op": "rollcall", "game_id": game_id})
        return True

    def _restore(self, data: dict[str, Any]) -> Room:
        engine = checkpoint.restore_engine(data)
        ai = None
        level = data.get("ai_level")
        if level and self.make_ai is not None:
            ai = self.make_ai(level)
        room = self._make_room(
            data["game_id"],
            engine,
            checkpoint.restore_seats(data),
            mode=data["mode"],
            keyboard=bool(data["keyboard"]),
            ai=ai,
        )
        if level:
            room.ai_level = level  # type: ignore[attr-defined]
        return room

    async def _hand_over(self, rooms: list[Room]) -> None:
        """Shutdown: checkpoint and release each game at once and announce it, so another
        node resumes it now rather than after the lease expires; record the rest."""
        left = rooms
        if self.leases.shared:
            for room in rooms:
                try:
                    await self.leases.save(room.id, checkpoint.capture(room))
                    await self.leases.release(room.id, forget=False)
                    event = {"op": "handover", "game_id": room.id, "from": self.leases.node_id}
                    await self.bus.publish_json(self.cluster_topic, event)
                except _STORE_ERRORS as exc:
                    log.warning("game %s: handover not announced (%s)", room.id, exc)
            pending = {room.id: room for room in rooms}
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.handover_wait
            # Another node's takeover has no event to await here: ask the store until the
            # lease has a new holder, or the wait is over.
            while pending and loop.time() < deadline:
                for game_id in list(pending):
                    try:
                        holder = await self.leases.holder(game_id)
                    except LeaseErrors:
                        holder = None
                    if holder is not None and holder != self.leases.node_id:
                        log.info("game %s handed over to node %s", game_id, holder)
                        pending.pop(game_id)
                if pending:
                    await asyncio.sleep(0.05)
            left = []
            for room in pending.values():
                try:
                    if not await self.leases.acquire(room.id):
                        continue  # taken just now
                except LeaseErrors:
                    pass  # the store is down: nobody can resume it, record it here
                left.append(room)
        for room in left:
            await self._interrupt(room)

    async def _interrupt(self, room: Room) -> None:
        """No node carries this game on: record it "paused and interrupted", and say so."""
        try:
            recorded = await record_interrupted(room)
        except Exception:
            log.exception("game %s: could not record it as interrupted", room.id)
            return
        if recorded:
            await live.announce(self.live, "ended", room.id)
            await self._interrupted(room.id)
            log.warning(
                "game %s: no node could take it over; recorded interrupted at %s-%s",
                room.id,
                room.engine.scores[Side.LEFT],
                room.engine.scores[Side.RIGHT],
            )
            try:
                state = {**room.state(), "interrupted": True}
                await self.deliver(game_topic(room.id), "pong.state", state)
            except Exception:
                log.warning("game %s: could not announce the interruption", room.id)
        await self._mark_players(room, False)
        with contextlib.suppress(*LeaseErrors):
            await self.leases.release(room.id, forget=True)

    # --- the end ------------------------------------------------------------------------

    async def _finished(self, room: Room) -> bool:
        """Record the finished match (retrying until the database answers), then tell the
        lobbies and run `on_finished` (ratings already moved, then the `match_finished`
        hook): only once the record is written. True when it is recorded (here or, found
        already finished, by another node). A game cancelled (a no-show, or a remote game
        abandoned before any point: records.py) is recorded "cancelled" instead."""
        engine = room.engine
        if room.cancelled is None and records.cancels(
            getattr(room, "mode", ""),
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

    async def _keep_finishing(self, room: Room) -> None:
        """While its record waits for the database, the game stays ours (and its checkpoint
        says it is finished), so no other node resumes it meanwhile."""
        await self.leases.renew(room.id, checkpoint.capture(room))

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
        if unfinished:
            await self._hand_over(unfinished)
        await self.leases.close()
        if self.registry is not None:
            self.registry.unregister(self.tick_seconds)
            self.registry.unregister(self.publish_seconds)
            self.registry = None


# Recording a finished match retries until the database answers: first after this many
# seconds, then twice as long each time up to the cap, for at most RECORD_GIVE_UP seconds in
# all; then the result is logged in full (JSON) for an operator to restore. Never lost quietly.
RECORD_RETRY_FIRST = 0.05
RECORD_RETRY_MAX = 5.0
RECORD_GIVE_UP = 600.0


class NotRecorded(Exception):
    """The database never took a finished match (its result was logged as JSON)."""


def finished_result(room: Room) -> dict[str, Any]:
    """The row's fields for a finished match (`ended_at` also marks this node's write)."""
    engine = room.engine
    return {
        "status": "finished",
        "left_score": engine.scores[Side.LEFT],
        "right_score": engine.scores[Side.RIGHT],
        "winner": engine.winner.value if engine.winner else None,
        "forfeit": engine.forfeited is not None,
        # `keyboard` stays in the record: what the game counts for depends on it (records.py).
        "record": {
            **engine.record(),
            "keyboard": bool(getattr(room, "keyboard", False)),
            "ai_level": getattr(room, "ai_level", None),  # a rematch plays the same AI
        },
        "ended_at": datetime.now(UTC),
    }


async def record(room: Room) -> Match:
    """Store the finished match (never lost: this is the one write that matters)."""
    await record_finished(room)
    return await Match.get(id=room.id)


async def record_finished(
    room: Room,
    *,
    give_up: float | None = None,
    between: Callable[[], Awaitable[None]] | None = None,
) -> Match | None:
    """Store the finished match and its rating change, retrying (capped backoff) until the
    database answers. The match, when this call recorded it; None when it was no longer
    running (another node recorded it). `between`: called between attempts (the lease kept).

    After `give_up` seconds (RECORD_GIVE_UP), or when cancelled (shutdown), the full result
    is logged as an error with its JSON and NotRecorded (or the cancellation) is raised.
    """
    result = finished_result(room)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (RECORD_GIVE_UP if give_up is None else give_up)
    delay = RECORD_RETRY_FIRST
    failures = 0
    try:
        while True:
            try:
                match = await _write_finished(room, result)
            except Exception as exc:  # the database: down, restarting, unreachable
                failures += 1
                if failures == 1:
                    log.warning(
                        "game %s: the database did not take the result (%r); retrying", room.id, exc
                    )
                if loop.time() + delay > deadline:
                    break
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECORD_RETRY_MAX)
                if between is not None:
                    with contextlib.suppress(Exception):
                        await between()
                continue
            if failures:
                log.warning("game %s: recorded after %d failed attempts", room.id, failures)
            return match
    except asyncio.CancelledError:
        _not_recorded(room, result, "the node stopped while the database was unavailable")
        raise
    _not_recorded(room, result, f"the database failed {failures} times")
    raise NotRecorded(room.id)


def _not_recorded(room: Room, result: dict[str, Any], why: str) -> None:
    data = {"id": room.id, **result, "ended_at": result["ended_at"].isoformat()}
    log.error(
        "game %s: FINISHED MATCH NOT RECORDED (%s); restore it from this JSON: %s",
        room.id,
        why,
        json.dumps(data, sort_keys=True, default=str),
    )


async def _write_finished(room: Room, result: dict[str, Any]) -> Match | None:
    """One attempt, in one transaction: claim the running match (the claim makes a retry, or
    a second node finishing the same game, write it once) and move the ratings."""
    from transcendence_pong import matchmaking  # it imports this module

    async with in_transaction() as connection:
        claimed = await (
            Match.filter(id=room.id, status="running").using_db(connection).update(**result)
        )
        if not claimed:
            # An earlier attempt of ours committed but its answer was lost: same `ended_at`.
            ours = Match.filter(id=room.id, status="finished", ended_at=result["ended_at"])
            if not await ours.using_db(connection).exists():
                return None
        match = await Match.get(id=room.id, using_db=connection)
        if claimed:  # the ratings move with the record, or neither does
            after = await matchmaking.apply_ratings(match, connection)
            await matchmaking.store_ratings(match, after, connection)
    setattr(match, matchmaking.RATED, True)  # `update_ratings` will not apply them again
    return match


async def record_interrupted(room: Room) -> bool:
    """Store a game no node could carry on: status "interrupted", the score so far and the
    rallies played; no winner. False when it was no longer running."""
    engine = room.engine
    data = {**engine.record(), "interrupted": True}
    updated = await Match.filter(id=room.id, status="running").update(
        status="interrupted",
        left_score=engine.scores[Side.LEFT],
        right_score=engine.scores[Side.RIGHT],
        record=data,
        ended_at=datetime.now(UTC),
    )
    return bool(updated)


async def record_cancelled(room: Room) -> bool:
    """Store a game that counts for no one (status "cancelled", why in `record.cancelled`):
    no winner, no rating change. False when it was no longer running."""
    engine = room.engine
    data = {
        **engine.record(),
        "keyboard": bool(getattr(room, "keyboard", False)),
        "cancelled": room.cancelled,
    }
    updated = await Match.filter(id=room.id, status="running").update(
        status="cancelled",
        left_score=engine.scores[Side.LEFT],
        right_score=engine.scores[Side.RIGHT],
        winner=None,
        forfeit=False,
        record=data,
        ended_at=datetime.now(UTC),
    )
    return bool(updated)


def parse_options(raw: dict[str, Any] | None) -> Options:
    try:
        return Options(**(raw or {}))
    except (TypeError, ValueError) as exc:
        raise GameError(400, "invalid_options", str(exc)) from None


# --- how many games one user holds (docs/pong.md, "Limits") ----------------------------

DEFAULT_MAX_LOCAL_GAMES = 3  # TRANSCENDENCE_PONG_MAX_LOCAL_GAMES
# Games with a seat for each player: a player is in one of these at a time.
REMOTE_MODES = ("remote", "tournament")


def max_local_games() -> int:
    """`TRANSCENDENCE_PONG_MAX_LOCAL_GAMES` (1..100, default 3): how many local and AI games
    one user may have running at once (each one is a game loop on a node's CPU)."""
    name = "TRANSCENDENCE_PONG_MAX_LOCAL_GAMES"
    raw = os.environ.get(name, "").strip()
    if not raw:
        return DEFAULT_MAX_LOCAL_GAMES
    try:
        limit = int(raw)
    except ValueError:
        raise ValueError(f"{name} is a whole number of games, e.g. 3") from None
    if not 1 <= limit <= 100:
        raise ValueError(f"{name} must be between 1 and 100 games")
    return limit


async def check_game_limits(user_ids: list[int], mode: str, max_local: int) -> None:
    """Refuse to start a game that one of these users may not join now (GameError, 409):
    `too_many_games` for a local or AI game beyond `max_local` running ones of its owner;
    `already_in_game` for a remote game while a player is in a remote or tournament game.
    Counted on the running matches in the database, so it holds whichever node they run on."""
    if mode in ("local", "ai"):
        running = await Match.filter(
            status="running", mode__in=("local", "ai"), left_user_id__in=user_ids
        ).count()
        if running >= max_local:
            raise GameError(
                409,
                "too_many_games",
                f"you have {running} local or AI games running (at most {max_local}): "
                "finish or leave one first",
            )
        return
    playing = (
        await Match.filter(
            Q(left_user_id__in=user_ids) | Q(right_user_id__in=user_ids),
            status="running",
            mode__in=REMOTE_MODES,
        )
        .first()
        .values("left_user_id", "right_user_id")
    )
    if playing:
        who = "you are" if user_ids[0] in playing.values() else "your opponent is"
        raise GameError(409, "already_in_game", f"{who} already playing a game")
