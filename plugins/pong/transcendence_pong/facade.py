"""`Pong`, the pong module's per-app state: the games this node runs, and the ways to start
one. Its `startup` hook makes it; routes, realtime handlers and other modules reach it with
`state.facade(app)`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from transcendence.accounts.models import User
from transcendence.core import Core
from transcendence.hub import notify
from transcendence_pong import matchmaking, records
from transcendence_pong.engine import Side
from transcendence_pong.errors import GameError
from transcendence_pong.games import Games
from transcendence_pong.lease import (
    grace_period,
    lease_ttl,
    make_leases,
    queue_interval,
    snapshot_rate,
)
from transcendence_pong.limits import check_game_limits, max_games, max_local_games
from transcendence_pong.models import Invite, Match, QueueEntry
from transcendence_pong.options import parse_options
from transcendence_pong.seats import SECOND_PLAYER, ai_name

log = logging.getLogger("transcendence.pong.queue")


class Pong:
    """Per-app state of the module: the games this node runs, and the ways to start one."""

    def __init__(self, core: Core) -> None:
        self.app = core.app
        self.core = core
        hub = core.hub
        # Who runs which game (docs/pong.md, "Several nodes"): Redis leases when the node
        # shares Redis with others, local ones otherwise; keys scoped like the hub's.
        leases = make_leases(core.settings.redis_url, hub.namespace, lease_ttl())
        self.games = Games(
            core.bus,
            hub.deliver.to_topic,
            self._finished,
            in_game=hub.presence.set_in_game,
            registry=core.metrics.registry,
            leases=leases,
            namespace=hub.namespace,
            snapshot_rate=snapshot_rate(),
            grace=grace_period(),
        )
        self.games.make_ai = self._ai
        # Admission control (limits.max_games): new games past it are refused.
        self.games.max_games = max_games()
        self.games.on_joined = self._joined
        self.games.live = hub.deliver.to_topic  # the lobbies' live list (live.py)
        self.games.to_user = hub.deliver.to_user
        self.games.on_interrupted = self._interrupted
        metrics = core.metrics  # on /metrics; listed in docs/operations.md
        running = metrics.gauge("transcendence_pong_games_running", "Games running on this node")
        running.set_function(lambda: len(self.games.rooms))
        self.games_finished = metrics.counter(
            "transcendence_pong_games_finished", "Games finished and recorded", ["mode"]
        )
        # The queue's re-pairing (`start_pairing`): every `queue_interval` seconds, on the
        # time of `queue_clock` (tests move it on to widen the windows at once).
        self.queue_interval = queue_interval()
        self.queue_clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._pairing: asyncio.Task[None] | None = None
        self._pairing_failed = False
        # Games one user may hold (limits.check_game_limits); tests lower it.
        self.max_local_games = max_local_games()
        self._starts: dict[int, tuple[asyncio.Lock, list[int]]] = {}

    async def _joined(self, game_id: str, user_id: int) -> None:
        # Listeners may need the app (a game's task may have no context of its own).
        async with self.app.app_context():
            await self.core.call(
                "match_player_joined",
                game=records.GAME,
                match_id=game_id,
                user_id=user_id,
                core=self.core,
            )

    async def _interrupted(self, game_id: str) -> None:
        match = await Match.get_or_none(id=game_id)
        if match is not None:
            # Listeners may need the app (a start-up or a background task has no context).
            async with self.app.app_context():
                result = records.result_of(match)
                await self.core.call("match_interrupted", result=result, core=self.core)

    async def stop(self) -> None:
        if self._pairing is not None:
            self._pairing.cancel()
            await asyncio.gather(self._pairing, return_exceptions=True)
            self._pairing = None
        if self.games is not None:
            await self.games.shutdown()

    async def _finished(self, match: Match) -> None:
        self.games_finished.labels(match.mode).inc()
        # The ratings moved in the transaction that recorded the match (recording.py).
        async with self.app.app_context():
            result = records.result_of(match)
            await self.core.call("match_finished", result=result, core=self.core)

    # --- starting games ---------------------------------------------------------------

    async def create_game(
        self,
        user_id: int,
        mode: str,
        options: dict[str, Any],
        *,
        level: str = "normal",
        opponent_name: str = SECOND_PLAYER,
    ) -> Match:
        async with self._starting(user_id):  # count and create in turn, per user
            return await self._create_game(user_id, mode, options, level, opponent_name)

    @contextlib.asynccontextmanager
    async def _starting(self, user_id: int) -> AsyncIterator[None]:
        """One game start at a time per user on this node, so that parallel requests cannot
        all pass the count before any of them is created. (The games a node starts run on
        it: on several nodes each one's load from one user stays bounded too.)"""
        entry = self._starts.setdefault(user_id, (asyncio.Lock(), [0]))
        entry[1][0] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1][0] -= 1
            if not entry[1][0]:
                self._starts.pop(user_id, None)

    async def _create_game(
        self, user_id: int, mode: str, options: dict[str, Any], level: str, opponent_name: str
    ) -> Match:
        user = await User.get(id=user_id)
        parsed = parse_options(options)
        if mode in ("local", "ai"):
            await check_game_limits([user.id], mode, self.max_local_games)
        if mode == "local":
            return await self.games.create(
                "local", (user.id, user.display_name), (None, opponent_name), parsed
            )
        if mode == "ai":
            ai = self._ai(level)
            return await self.games.create(
                "ai",
                (user.id, user.display_name),
                (None, ai_name(level)),
                parsed,
                ai=ai,
                ai_level=level,
            )
        raise GameError(
            400,
            "invalid_mode",
            "create local or ai games; remote ones come from the queue or an invitation",
        )

    def _ai(self, level: str) -> Any:
        ai = self.core.hook("pong_ai_player")(side=Side.RIGHT, level=level)
        if ai is None:
            raise GameError(409, "ai_unavailable", "the ai module is disabled")
        return ai

    async def start_remote(
        self, left_id: int, right_id: int, options: dict[str, Any], mode: str = "remote"
    ) -> Match:
        left, right = await User.get(id=left_id), await User.get(id=right_id)
        # Held until both players have opened the game (every tab of both is sent there by
        # `pong.matched`), then a countdown; a player missing after the grace period
        # cancels it, for no one (docs/pong.md, "Lifecycle").
        match = await self.games.create(
            mode,
            (left.id, left.display_name),
            (right.id, right.display_name),
            parse_options(options),
            hold=True,
            no_show=self.games.grace
            if self.games.no_show_wait is None
            else self.games.no_show_wait,
        )
        deliver = self.core.hub.deliver
        for user, side, other in ((left, "left", right), (right, "right", left)):
            await deliver.to_user(
                user.id,
                "pong.matched",
                {
                    "game_id": str(match.id),
                    "side": side,
                    "mode": mode,
                    "opponent": {"id": other.id, "display_name": other.display_name},
                },
            )
        # Playing now: out of the queue, which cannot match them into a second game.
        await QueueEntry.filter(user_id__in=[left.id, right.id]).delete()
        return match

    async def join_queue(self, user_id: int, options: dict[str, Any]) -> str | None:
        """Pair the user now, or queue them (GameError `invalid_options`)."""
        user = await User.get(id=user_id)
        await check_game_limits([user.id], "remote", self.max_local_games)
        # Before the queue: a pair it makes takes the waiting player out of it.
        self.games.check_capacity()
        opponent = await matchmaking.join_queue(user, options, now=self.queue_clock())
        if opponent is None:
            return None
        return await self._start_paired(opponent, user.id)

    async def _start_paired(self, waited: QueueEntry, other_id: int) -> str:
        """The game of two players the queue paired; both get `pong.matched`."""
        # Both asked for these (normalised) options; the one who waited serves from the left.
        match = await self.start_remote(waited.user_id, other_id, waited.options)  # type: ignore[attr-defined]
        return str(match.id)

    async def pair_waiting(self) -> list[str]:
        """One re-pairing pass over the waiting players (their windows widen while they
        wait); the ids of the games it started."""
        started: list[str] = []
        if not self.games.has_capacity():  # they keep waiting, for a pass with room
            return started
        for waited, other in await matchmaking.pair_waiting(now=self.queue_clock()):
            try:
                started.append(await self._start_paired(waited, other.user_id))  # type: ignore[attr-defined]
            except Exception:  # e.g. a player deleted meanwhile: the other pairs go on
                log.exception("queue: could not start the game of a pair")
        return started

    def start_pairing(self) -> None:
        if self._pairing is None:
            loop = asyncio.get_running_loop()
            self._pairing = loop.create_task(self._keep_pairing(), name="pong-queue-pairing")

    async def _keep_pairing(self) -> None:
        while True:
            await asyncio.sleep(self.queue_interval)
            try:
                async with self.app.app_context():
                    await self.pair_waiting()
            except Exception as exc:  # the database: one warning per outage, not per pass
                if not self._pairing_failed:
                    log.warning("queue: re-pairing failed (%r); trying again", exc)
                self._pairing_failed = True
            else:
                if self._pairing_failed:
                    log.info("queue: re-pairing works again")
                self._pairing_failed = False

    async def invite(
        self,
        sender_id: int,
        recipient_id: int,
        options: dict[str, Any],
        *,
        rematch_of: str | None = None,
    ):
        parse_options(options)
        sender = await User.get(id=sender_id)
        invite = await matchmaking.create_invite(sender, recipient_id, options)
        data = {
            "invite_id": invite.id,
            "from": {"id": sender.id, "display_name": sender.display_name},
            "options": options,
        }
        if rematch_of is not None:
            data["rematch_of"] = rematch_of
        await notify(recipient_id, "pong.invite", data, app=self.app)
        return invite

    async def rematch(self, user_id: int, game_id: str) -> dict[str, Any]:
        """Play a finished game again with the same options: a local or AI game starts at
        once (`started`); a remote one is offered to the opponent as an invitation that
        says it is a rematch (`offered`), which they accept or decline."""
        match = await self.match(game_id)
        if match is None or match.status != "finished":
            raise GameError(404, "not_found", "no such finished game")
        side = self.side_of(match, user_id)
        if side is None:
            raise GameError(403, "forbidden", "you did not play this game")
        if match.mode in ("local", "ai"):
            record = match.record if isinstance(match.record, dict) else {}
            level = str(record.get("ai_level") or "normal")
            again = await self.create_game(
                user_id, match.mode, match.options, level=level, opponent_name=match.right_name
            )
            return {"status": "started", "game_id": str(again.id), "invite_id": None}
        if match.mode != "remote":
            raise GameError(400, "invalid_mode", "a tournament's match has no rematch")
        other = match.right_user_id if side == "left" else match.left_user_id  # type: ignore[attr-defined]
        if other is None:
            raise GameError(404, "not_found", "your opponent's account is gone")
        invite = await self.invite(user_id, other, match.options, rematch_of=game_id)
        return {"status": "offered", "game_id": None, "invite_id": invite.id}

    async def answer_invite(self, user_id: int, invite_id: int, accept: bool) -> str | None:
        user = await User.get(id=user_id)
        if accept:  # before the invitation is used up: refused, it can be accepted later
            pending = await Invite.filter(id=invite_id, recipient_id=user_id).first()
            if pending is not None:
                players = [user.id, pending.sender_id]  # type: ignore[attr-defined]
                await check_game_limits(players, "remote", self.max_local_games)
                self.games.check_capacity()  # refused: the invitation stays open
        invite = await matchmaking.answer_invite(user, invite_id, accept)
        if not accept:
            await notify(
                invite.sender_id,  # type: ignore[attr-defined]
                "pong.invite_declined",
                {"invite_id": invite.id, "by": user.display_name},
                app=self.app,
            )
            return None
        match = await self.start_remote(invite.sender_id, user.id, invite.options)  # type: ignore[attr-defined]
        invite.game_id = str(match.id)
        await invite.save(update_fields=["game_id"])
        return str(match.id)

    # --- reading ----------------------------------------------------------------------

    @staticmethod
    async def match(game_id: str) -> Match | None:
        try:
            return await Match.get_or_none(id=uuid.UUID(game_id))
        except ValueError:
            return None

    @staticmethod
    def side_of(match: Match, user_id: int) -> str | None:
        if match.left_user_id == user_id:  # type: ignore[attr-defined]
            return "left"
        if match.right_user_id == user_id:  # type: ignore[attr-defined]
            return "right"
        return None

    async def player_of(self, game_id: str, user_id: int) -> Match:
        """The running match this user plays in, or GameError `not_found` / `forbidden`:
        who may send keys to a game, asked the same way by REST and by `pong.input`."""
        match = await self.match(game_id)
        if match is None or match.status != "running":
            raise GameError(404, "not_found", "no such running game")
        if self.side_of(match, user_id) is None:
            raise GameError(403, "forbidden", "you are not playing this game")
        return match
