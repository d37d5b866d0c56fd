"""A game room: one engine, its players' inputs, pauses and forfeits, and the task that
runs the game's life (waiting, countdowns, pauses, the end); while the game is in play, a
ticker steps it at 60 Hz (ticker.py: one for all the rooms of a node).

Transport-agnostic: the room receives key events (`input`) and connection changes
(`disconnected` / `reconnected`) and hands every frame it wants sent to `publish`. The
realtime handlers and the REST API feed it; the clock is injected so tests run whole games
faster than real time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from transcendence_pong.clock import Clock, LoopClock
from transcendence_pong.engine import TICK_RATE, Engine, Key, Side
from transcendence_pong.ticker import Ticker

log = logging.getLogger("transcendence.pong.room")

# Seconds counted down (3-2-1, the snapshot's `countdown`) before the first serve, once
# every player is in, and before the game goes on after a pause.
RESUME_COUNTDOWN = 3.0
MAX_INPUTS_PER_SECOND = 40  # a human presses far fewer keys; a flood is capped, not queued
# The final snapshot waits this long for the match to be recorded (milliseconds, normally);
# with the database away, the result goes out anyway ("recorded": false), and once more
# ("recorded": true) when the record is finally written.
RECORD_WAIT = 3.0


@dataclass
class Seat:
    side: Side
    user_id: int | None  # None: a local second player or the AI
    connected: bool = True
    last_seq: int = 0
    disconnected_at: float | None = None
    recent_inputs: deque[float] = field(default_factory=deque)
    remote: bool = True  # a remote seat pauses the game when it drops


@dataclass
class Pause:
    side: Side
    deadline: float  # the clock time at which the absent side forfeits


Publisher = Callable[[str, dict[str, Any]], Awaitable[None]]


class Room:
    """One game. What the node tells it comes in through the constructor: its mode, whether
    one keyboard drives both paddles, the AI's level, and the callbacks (`on_finish`,
    `on_tick`, `on_point`, `on_arrived`, the timing observers)."""

    def __init__(
        self,
        game_id: str,
        engine: Engine,
        seats: list[Seat],
        *,
        publish: Publisher,
        on_finish: Callable[[Room], Awaitable[Any]] | None = None,
        clock: Clock | None = None,
        snapshot_rate: int = 30,
        grace: float = 30.0,
        on_tick: Callable[[Room], None] | None = None,
        mode: str = "local",
        keyboard: bool = False,
        ai_level: str | None = None,
        on_point: Callable[[Room], None] | None = None,
        on_arrived: Callable[[Room, int], None] | None = None,
        observe_tick: Callable[[float], None] | None = None,
        observe_publish: Callable[[float], None] | None = None,
        ticker: Ticker | None = None,
    ):
        self.id = game_id
        self.engine = engine
        self.seats = {seat.side: seat for seat in seats}
        self.publish = publish
        self.on_finish = on_finish
        self.clock = clock or LoopClock()
        # What steps the game while it is in play: the node's one ticker for all its rooms
        # (ticker.py), or one of its own for a room on its own (tests, headless matches).
        self.ticker = ticker or Ticker(self.clock)
        self.snapshot_every = max(1, TICK_RATE // max(1, min(snapshot_rate, TICK_RATE)))
        self.grace = grace
        self.on_tick = on_tick
        self.mode = mode  # local, remote, ai or tournament (what the game counts for)
        # Both paddles are driven from the left player's keyboard (local games, and local
        # tournaments); kept in the record, since what the game counts for depends on it.
        self.keyboard = keyboard
        self.ai_level = ai_level  # the AI's level, to make it again after a takeover
        # The sockets through which each seat's player follows the game, on any node
        # (`join` / `leave`): the seat is away when its last one goes.
        self.sockets: dict[Side, set[str]] = {}
        # A player's first arrival at a held game: `on_arrived(room, user_id)` (the node
        # reports it to the tournaments).
        self.on_arrived = on_arrived
        self.pause: Pause | None = None
        self.resume_at: float | None = None
        # Sides whose player has not arrived yet (`hold`): no tick runs, the snapshots name
        # them (`waiting`); the last arrival starts the countdown. Past `no_show_at`, the
        # game is cancelled (`cancelled`): it counts for no one.
        self.waiting: set[Side] = set()
        self.no_show_at: float | None = None
        self.no_show: float | None = None  # the seconds given when held (a checkpoint keeps them)
        self.cancelled: dict[str, Any] | None = None
        self.spectators: set[str] = set()  # sockets watching without a seat
        self.started_at: float | None = None
        # Set when the room's task has something to do: a pause, a return, an arrival, the
        # end… The ticker stops stepping a room whose event is set.
        self.wake = asyncio.Event()
        # What a tick raised (the ticker keeps stepping the other rooms): the room's task
        # raises it, as a tick of its own would have.
        self.failure: BaseException | None = None
        self._task: asyncio.Task[None] | None = None
        self.ticks_run = 0
        # Snapshots leave in order through one sender; the loop only enqueues. A snapshot is
        # the whole state, so when a slow transport lets the queue fill, the oldest one is
        # superseded by the newer ones behind it (counted in `superseded`).
        self._outbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=120)
        self.superseded = 0
        # The node's timing histograms (timings.py, docs/performance.md): seconds per tick
        # (step, AI, snapshot built and queued) and per snapshot published.
        self.observe_tick = observe_tick
        self.observe_publish = observe_publish
        # Called after a tick that scored a point: the node checkpoints the game then, so a
        # handover to another node loses at most the rally being played (lease.py).
        self.on_point = on_point
        # The end: `on_finish` runs as its own task (`recording`); the snapshots of the
        # finished game are held (their events kept) until it is written or RECORD_WAIT.
        self.record_wait = RECORD_WAIT
        self.recording: asyncio.Task[Any] | None = None
        self._final_events: list[Any] = []
        self._final_sent = False
        # Publishing: a failing transport (Redis away) is logged once per outage.
        self.publish_failures = 0
        # The snapshot's acks, kept while no key arrives (`state`).
        self._acks_key: tuple[int, int] | None = None
        self._acks: dict[str, int] = {}

    # --- from the players -------------------------------------------------------------

    def seat_of(self, user_id: int) -> Seat | None:
        return next((s for s in self.seats.values() if s.user_id == user_id), None)

    def side_for(self, user_id: int, wanted: str | None = None) -> Side | None:
        """Which paddle a user's key moves: their seat, or either one (`wanted`) when one
        keyboard drives both."""
        if self.keyboard:
            if self.seats[Side.LEFT].user_id == user_id:
                return Side(wanted) if wanted in ("left", "right") else Side.LEFT
            return None
        seat = self.seat_of(user_id)
        return seat.side if seat else None

    def join(self, user_id: int, conn: str) -> None:
        """A player's socket follows the game: at a held game, an arrival (the first one of
        the seat is reported to `on_arrived`); otherwise a return after a drop."""
        seat = self.seat_of(user_id)
        if seat is None:
            return
        sockets = self.sockets.setdefault(seat.side, set())
        first = not sockets
        sockets.add(conn)
        if seat.side in self.waiting:
            self.arrive(seat.side)
            if first and self.on_arrived is not None:
                self.on_arrived(self, user_id)
        else:
            self.reconnected(seat.side)

    def leave(self, user_id: int, conn: str) -> None:
        """A player's socket stopped following the game; when it was their last one, they
        are away (a game still held waits for them again)."""
        seat = self.seat_of(user_id)
        if seat is None:
            return
        sockets = self.sockets.setdefault(seat.side, set())
        sockets.discard(conn)
        if sockets:
            return
        if self.waiting:  # the other player is not here yet: wait for both again
            self.unarrive(seat.side)
        else:
            self.disconnected(seat.side)

    def input(self, side: Side, key: Key, pressed: bool, seq: int = 0) -> bool:
        """Apply a key event now (between ticks). False when the rate cap refused it."""
        seat = self.seats[side]
        now = self.clock.now()
        window = seat.recent_inputs
        while window and now - window[0] > 1.0:
            window.popleft()
        if len(window) >= MAX_INPUTS_PER_SECOND:
            return False
        window.append(now)
        if seq and seq <= seat.last_seq:
            return True  # a duplicate or reordered event: already applied
        seat.last_seq = max(seat.last_seq, seq)
        (self.engine.press if pressed else self.engine.release)(side, key)
        return True

    def disconnected(self, side: Side) -> None:
        seat = self.seats[side]
        if not seat.connected or self.engine.finished:
            return
        seat.connected = False
        seat.disconnected_at = self.clock.now()
        self.engine.release_all(side)
        if seat.remote and self.pause is None:
            self.pause = Pause(side, self.clock.now() + self.grace)
            self.resume_at = None
        self.wake.set()

    def reconnected(self, side: Side) -> None:
        seat = self.seats[side]
        if seat.connected:
            return
        seat.connected = True
        seat.disconnected_at = None
        if self.pause is not None and self.pause.side is side:
            others_away = [s for s in self.seats.values() if not s.connected and s.remote]
            if others_away:
                self.pause = Pause(others_away[0].side, self.pause.deadline)
            else:
                self.pause = None
                self.resume_at = self.clock.now() + RESUME_COUNTDOWN
        self.wake.set()

    def away_until_back(self, seconds: float) -> None:
        """After a handover: every player counts as away until their socket shows up here
        (`reconnected`); the game stays paused, then resumes after the usual countdown. A
        player still away after `seconds` loses by forfeit, as after any disconnection."""
        now = self.clock.now()
        away = [seat for seat in self.seats.values() if seat.user_id is not None]
        for seat in away:
            self.engine.release_all(seat.side)
            seat.connected = False
            seat.disconnected_at = now
        if away and not self.engine.finished:
            self.pause = Pause(away[0].side, now + seconds)
            self.resume_at = None
        self.wake.set()

    def hold(self, sides: list[Side], no_show_after: float | None = None) -> None:
        """Wait for these players before the first serve; after `no_show_after` seconds
        with one of them still missing, cancel the game (None: wait until told otherwise,
        e.g. a tournament's own no-show deadline ends it with a forfeit)."""
        self.waiting = set(sides)
        self.resume_at = None
        self.no_show = no_show_after
        self.no_show_at = None if no_show_after is None else self.clock.now() + no_show_after
        self.wake.set()

    def arrive(self, side: Side) -> None:
        """A held game's player is here; the last one starts the countdown."""
        if side not in self.waiting:
            return
        self.waiting.discard(side)
        if not self.waiting and not self.engine.finished:
            self.no_show_at = None
            self.resume_at = self.clock.now() + RESUME_COUNTDOWN
        self.wake.set()

    def unarrive(self, side: Side) -> None:
        """A player who had arrived at a game still waiting for the other one left again."""
        if self.waiting and side not in self.waiting and not self.engine.finished:
            self.waiting.add(side)
            self.wake.set()

    def hold_still(self, on: bool) -> None:
        """A local or AI game paused by its player (P or Escape): no deadline, nobody
        forfeits; going on again counts down first."""
        if self.engine.finished:
            return
        if on and self.pause is None:
            for side in self.seats:
                self.engine.release_all(side)
            self.pause = Pause(Side.LEFT, math.inf)
            self.resume_at = None
        elif not on and self.pause is not None and math.isinf(self.pause.deadline):
            self.pause = None
            self.resume_at = self.clock.now() + RESUME_COUNTDOWN
        self.wake.set()

    def forfeit(self, side: Side) -> None:
        if self.engine.finished:
            return
        self.engine.forfeit(side)
        self._send_snapshot(self.engine.events[-1:])  # the forfeit event itself
        self.wake.set()

    # --- the loop -----------------------------------------------------------------------

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The room's loop, once started (it records the match when the game ends)."""
        return self._task

    def start(self) -> asyncio.Task[None]:
        self._task = asyncio.create_task(self.run(), name=f"pong-room-{self.id}")
        return self._task

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def run(self) -> None:
        """Run the game until the match ends (the ticker steps it at 60 Hz while in play),
        then report it once."""
        self.started_at = self.clock.now()
        if not self.waiting and self.pause is None and self.engine.tick == 0:
            self.resume_at = self.started_at + RESUME_COUNTDOWN  # before the first serve
        sender = asyncio.create_task(self._sender(), name=f"pong-room-{self.id}-sender")
        try:
            self._send_snapshot()
            while not self.engine.finished:
                now = self.clock.now()
                if self.waiting:
                    if self.no_show_at is not None and now >= self.no_show_at:
                        missing = sorted(side.value for side in self.waiting)
                        log.info("room %s: %s did not arrive; cancelled", self.id, missing)
                        self.cancelled = {"reason": "no_show", "sides": missing}
                        break
                    await self._idle(now, self.no_show_at)
                    continue
                if self.pause is not None:
                    await self._paused(now)
                    continue
                if self.resume_at is not None:
                    if now < self.resume_at:
                        self._send_snapshot()
                        await self.clock.sleep_until(min(self.resume_at, now + 0.5))
                        continue
                    self.resume_at = None
                await self._play()
        finally:
            try:
                if self.engine.finished or self.cancelled is not None:
                    await self._finish()
            finally:
                if self._outbox.full():
                    self._outbox.get_nowait()
                    self.superseded += 1
                self._outbox.put_nowait(None)  # flush what is queued, then stop the sender
                try:
                    await asyncio.wait_for(sender, timeout=5)
                except TimeoutError:
                    log.warning("room %s: snapshots still queued after 5 s were dropped", self.id)
        if self.recording is not None and not self.recording.done():
            # The database is away: the players have their result ("recorded": false); once
            # it is written, they get it again as recorded.
            await self._after_record(self.recording)

    async def _play(self) -> None:
        """In play: the ticker steps the game until something needs this task (the end, a
        pause, a player leaving a held game…)."""
        self.wake.clear()
        self.ticker.add(self)
        try:
            await self.wake.wait()
        finally:
            self.ticker.discard(self)
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure

    async def _finish(self) -> None:
        """Record the match, then send the final snapshot: a player who sees the result
        finds the match in their history (the record takes milliseconds). The snapshot
        waits at most `record_wait`, so an outage never hides the result from the players."""
        recorded: bool | None = None
        if self.on_finish is not None:
            self.recording = asyncio.ensure_future(self.on_finish(self))
            await asyncio.wait({self.recording}, timeout=self.record_wait)
            recorded = self._recorded(self.recording) if self.recording.done() else False
        self._final_sent = True
        self._send_snapshot(self._final_events, recorded=recorded)

    def _recorded(self, recording: asyncio.Task[Any]) -> bool:
        if recording.cancelled():
            return False
        if (exc := recording.exception()) is not None:
            log.error("room %s: recording the match failed", self.id, exc_info=exc)
            return False
        return recording.result() is not False

    async def _after_record(self, recording: asyncio.Task[Any]) -> None:
        await asyncio.wait({recording})  # the recording is not cancelled with the room
        if self._recorded(recording):
            try:
                await self.publish("pong.state", self.state(recorded=True))
            except Exception as exc:
                log.warning("room %s: the recorded result was not published (%r)", self.id, exc)

    def tick(self) -> None:
        started = time.perf_counter()
        events = self.engine.step()
        self.ticks_run += 1
        if self.on_tick is not None:
            self.on_tick(self)
        # Most ticks have no event: `events and` spares them two generators (profiled).
        important = events and any(e.kind in {"point", "finished", "forfeit"} for e in events)
        if important or self.engine.tick % self.snapshot_every == 0:
            self._send_snapshot(events)
        if self.on_point is not None and events and any(e.kind == "point" for e in events):
            self.on_point(self)
        if self.observe_tick is not None:
            self.observe_tick(time.perf_counter() - started)

    async def _paused(self, now: float) -> None:
        pause = self.pause
        assert pause is not None
        if now >= pause.deadline:
            log.info("room %s: %s did not come back; forfeit", self.id, pause.side)
            self.pause = None
            self.forfeit(pause.side)
            return
        await self._idle(now, pause.deadline)

    async def _idle(self, now: float, deadline: float | None) -> None:
        """Nothing moves (paused, or waiting for a player): one snapshot, then sleep until
        someone arrives or comes back, the deadline, or a second later (the countdown)."""
        self._send_snapshot()
        self.wake.clear()
        until = now + 1.0 if deadline is None else min(deadline, now + 1.0)
        sleeper = asyncio.ensure_future(self.clock.sleep_until(until))
        waker = asyncio.ensure_future(self.wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()

    def state(
        self, events: list[Any] | None = None, *, recorded: bool | None = None
    ) -> dict[str, Any]:
        state = self.engine.snapshot()
        state["game_id"] = self.id
        state["server_time"] = time.time()  # when this state was taken (Unix seconds)
        left, right = self.seats[Side.LEFT].last_seq, self.seats[Side.RIGHT].last_seq
        if self._acks_key != (left, right):  # shared while no key arrives (never mutated)
            self._acks_key = (left, right)
            self._acks = {"left": left, "right": right}
        state["acks"] = self._acks
        if self.pause is None and self.resume_at is None and not self.waiting:
            # In play, nearly every snapshot: none of the clock's arithmetic below.
            state["paused"] = None
            state["countdown"] = None
            state["waiting"] = []
            state["spectators"] = len(self.spectators)
        else:
            self._pending_state(state)
        if self.cancelled is not None:  # nobody won: the game counts for no one
            state["cancelled"] = self.cancelled
            state["winner"] = None
            state["phase"] = "finished"  # over, for clients that only know the phases
        if events:
            state["events"] = [
                {"kind": e.kind, "side": e.side.value if e.side else None} for e in events
            ]
        if recorded is not None:  # the final snapshot: is the match in the history yet?
            state["recorded"] = recorded
        return state

    def _pending_state(self, state: dict[str, Any]) -> None:
        """A snapshot's fields about a pause, a countdown or the players awaited."""
        now = self.clock.now()
        state["paused"] = (
            {
                "side": self.pause.side.value,
                # None: paused by its player (a local or AI game), no deadline
                "seconds_left": None
                if math.isinf(self.pause.deadline)
                else round(self.pause.deadline - now, 1),
            }
            if self.pause
            else None
        )
        state["countdown"] = round(self.resume_at - now, 1) if self.resume_at is not None else None
        state["waiting"] = sorted(side.value for side in self.waiting)
        state["spectators"] = len(self.spectators)
        if self.no_show_at is not None and self.waiting:
            state["waiting_seconds_left"] = round(max(0.0, self.no_show_at - now), 1)

    def _send_snapshot(
        self, events: list[Any] | None = None, *, recorded: bool | None = None
    ) -> None:
        if self.engine.finished and not self._final_sent:
            # The game just ended: its snapshot follows the record (`_finish`).
            self._final_events.extend(events or [])
            return
        if self._outbox.full():
            self._outbox.get_nowait()
            self.superseded += 1
        self._outbox.put_nowait(self.state(events, recorded=recorded))

    async def _sender(self) -> None:
        while True:
            state = await self._outbox.get()
            if state is None:
                return
            started = time.perf_counter()
            try:
                await self.publish("pong.state", state)
            except Exception as exc:
                # The transport is away (Redis down): the game goes on, its snapshots are
                # dropped (each one is the whole state: the next one after the outage
                # catches everyone up). One line per outage, not one per snapshot.
                if not self.publish_failures:
                    log.warning(
                        "room %s: snapshots not published (%r); the game goes on", self.id, exc
                    )
                self.publish_failures += 1
                continue
            if self.publish_failures:
                log.warning(
                    "room %s: snapshots published again (%d dropped meanwhile)",
                    self.id,
                    self.publish_failures,
                )
                self.publish_failures = 0
            if self.observe_publish is not None:
                self.observe_publish(time.perf_counter() - started)
