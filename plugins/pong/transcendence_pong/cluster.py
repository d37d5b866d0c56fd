"""The part of a node's games that spans nodes: ownership leases, checkpoints, takeovers of
orphaned games, roll calls and handovers (docs/pong.md, "Several nodes").

A room runs on exactly one node, the holder of its ownership lease (lease.py): at first the
one that created it. The owner renews its leases every ttl / 3 and writes a checkpoint
(checkpoint.py) with each renewal and at every point. Every node scans for games whose
lease expired (their node died) every ttl / 4 or so, with jitter, and takes them over from
their checkpoint, paused until the players' sockets show up; a roll call on the cluster
topic asks every node to announce the players' sockets it holds. On shutdown the owner
checkpoints, releases and announces each game at once (a handover); a game nobody takes is
recorded with the status "interrupted", never silently lost.

`Cluster` is the base of `Games` (games.py), which runs the rooms: what it needs of it is
declared below, and the rooms it resumes are made and adopted by `Games`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from transcendence.bus import Bus, BusUnavailable, SubscriptionOverflow
from transcendence_pong import checkpoint, live
from transcendence_pong.engine import Engine, Side
from transcendence_pong.lease import HELD, LOST, MISSING, LeaseErrors, Leases, LocalLeases
from transcendence_pong.live import Deliver
from transcendence_pong.models import Match
from transcendence_pong.recording import record_interrupted
from transcendence_pong.room import Room, Seat
from transcendence_pong.topics import cluster_topic, game_topic, input_topic

log = logging.getLogger("transcendence.pong")

HANDOVER_WAIT = 3.0  # seconds a stopping node waits for another one to take its games
# A running match this old (seconds) that no lease nor checkpoint covers has no node left:
# its node was killed before its first checkpoint, or it never had a lease (AI against AI).
ABANDONED_AFTER = 60.0
# With local leases, a match still "running" from before this process started is one its
# killed predecessor left behind: nothing else could carry it on.
PROCESS_STARTED = datetime.now(UTC)
# Problems talking to the lease store or the bus: a node keeps its games running through them.
_STORE_ERRORS: tuple[type[BaseException], ...] = (*LeaseErrors, BusUnavailable)


class Cluster:
    """Leases, checkpoints, takeovers and handovers of the games this node runs."""

    # Kept by `Games` (games.py): the bus, the rooms running here and their input followers,
    # the grace period, where snapshots and the lobbies' news go.
    bus: Bus
    rooms: dict[str, Room]
    _followers: dict[str, asyncio.Task[None]]
    grace: float
    deliver: Deliver
    live: Deliver | None

    def __init__(self, leases: Leases | None, namespace: str) -> None:
        # Ownership across nodes (lease.py): who runs which game, and where it stands.
        self.leases: Leases = leases or LocalLeases()
        self.cluster_topic = cluster_topic(namespace)
        self.handover_wait = HANDOVER_WAIT
        # A checkpoint older than this when found is not resumed (its players are long
        # gone): the game is recorded as interrupted. None: the grace period plus the ttl.
        self.orphan_after: float | None = None
        # `make_ai(level)`: an AI player again, for a game taken over from another node.
        self.make_ai: Callable[[str], Any] | None = None
        # A match this node recorded "interrupted" (no node could carry it on), while it
        # runs: `await on_interrupted(game_id)` (the tournament calls the match again).
        self.on_interrupted: Callable[[str], Awaitable[None]] | None = None
        # Players' sockets on this node, per game: {game_id: {conn: user_id}} (roll calls).
        self.local_players: dict[str, dict[str, int]] = {}
        self._background: list[asyncio.Task[None]] = []
        self._closing = False
        self._taking: set[str] = set()

    # --- what `Games` provides (games.py) -----------------------------------------------

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
        raise NotImplementedError

    async def _adopt(self, room: Room, *, away_for: float | None = None) -> None:
        raise NotImplementedError

    async def _finished(self, room: Room) -> bool:
        raise NotImplementedError

    async def _mark_players(self, room: Room, playing: bool) -> None:
        raise NotImplementedError

    def _spawn(self, job: Coroutine[Any, Any, Any]) -> None:
        raise NotImplementedError

    # --- leases, checkpoints, takeovers (lease.py, checkpoint.py) ------------------------

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
        return self._make_room(
            data["game_id"],
            engine,
            checkpoint.restore_seats(data),
            mode=data["mode"],
            keyboard=bool(data["keyboard"]),
            ai=ai,
            ai_level=level,
        )

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

    async def _keep_finishing(self, room: Room) -> None:
        """While its record waits for the database, the game stays ours (and its checkpoint
        says it is finished), so no other node resumes it meanwhile."""
        await self.leases.renew(room.id, checkpoint.capture(room))
