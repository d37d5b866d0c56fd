"""The glue: `play_game()` feeds keys to the client and states to a display until the match
ends (reconnecting after a dropped socket), `play()` logs in, gets a seat and plays in the
terminal, restoring it before it returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from transcendence_pong.terminal.keys import DEFAULT_HOLD_MS, KeyHolder
from transcendence_pong.terminal.protocol import ConnectionLost, PlayError, PongClient
from transcendence_pong.terminal.screen import Display, Screen, Terminal
from transcendence_pong.terminal.seat import Game, Plan, find_game

# Close codes after which the client should come back (docs/realtime.md), and how long it
# tries: the room gives an absent player 30 s before they forfeit.
RECONNECT_CODES = {1001, 1006, 1011, 1012, 1013, 4408}
RECONNECT_FOR = 25.0
# A running room sends a state at least every second (even paused): this much silence
# means the game is gone (its node restarted, say).
STALL_AFTER = 10.0


@dataclass
class Outcome:
    game: Game
    scores: dict[str, int]
    winner: str | None
    forfeit: str | None = None  # the side that gave up
    interrupted: bool = False
    cancelled: bool = False  # counts for no one (a no-show, or abandoned before any point)

    def summary(self) -> list[str]:
        names = self.game.names
        line = (
            f"Final score: {names['left']} {self.scores.get('left', 0)} - "
            f"{self.scores.get('right', 0)} {names['right']}"
        )
        if self.cancelled:
            return [line, "Game cancelled: it counts for no one"]
        if self.winner is None:
            return [line, "Winner: none"]
        who = names.get(self.winner, self.winner)
        you = " (you)" if self.winner == self.game.side else ""
        how = ""
        if self.forfeit:
            quitter = names.get(self.forfeit, self.forfeit)
            how = f", {quitter} left the game"
        return [line, f"Winner: {who}{you}{how}"]


def _outcome(game: Game, state: dict[str, Any], forfeit: str | None) -> Outcome:
    if state.get("cancelled"):
        return Outcome(game, dict(state.get("scores") or {}), None, cancelled=True)
    return Outcome(game, dict(state.get("scores") or {}), state.get("winner"), forfeit)


async def _recorded_outcome(client: PongClient, game: Game, forfeit: str | None) -> Outcome:
    """The result as the server stored it (a few tenths of a second after the last frame)."""
    deadline = time.monotonic() + 5
    while True:
        body = await client.game(game.game_id)
        live = body.get("live") or {}
        if body.get("status") == "cancelled":
            return Outcome(game, dict(body.get("score") or {}), None, cancelled=True)
        if body.get("status") == "finished":
            quitter = forfeit
            if body.get("forfeit") and quitter is None and body.get("winner"):
                quitter = "left" if body["winner"] == "right" else "right"
            return Outcome(game, dict(body.get("score") or {}), body.get("winner"), quitter)
        # A game given up at 0-0 may still become "cancelled" as it is recorded: only a
        # score (or the cancellation itself) makes the live frame final.
        if live.get("phase") == "finished" and (
            live.get("cancelled") or any((live.get("scores") or {}).values())
        ):
            return _outcome(game, live, forfeit)
        if time.monotonic() > deadline:
            raise PlayError("the game did not finish on the server")
        await asyncio.sleep(0.1)  # the record is written right after the last frame


async def _send_keys(
    client: PongClient, game: Game, seq: itertools.count, events: list[tuple[str, bool]]
) -> None:
    for key, pressed in events:
        with contextlib.suppress(PlayError):  # best effort: a reconnection may be under way
            await client.send(
                "pong.input",
                {"game_id": game.game_id, "key": key, "pressed": pressed, "seq": next(seq)},
            )


async def _rejoin(client: PongClient, game: Game, display: Display) -> bool:
    """Reconnect after a dropped socket; False when the game ended meanwhile."""
    deadline = time.monotonic() + RECONNECT_FOR
    delay = 0.5
    while True:
        display.flash("Connection lost: reconnecting...")
        try:
            await client.disconnect()
            await client.connect()
            await client.request("pong.join", {"game_id": game.game_id})
            display.flash("Reconnected")
            return True
        except PlayError as exc:
            if exc.code == "not_found":
                return False
            if time.monotonic() + delay > deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 4.0)


async def play_game(
    client: PongClient,
    game: Game,
    display: Display,
    keys: asyncio.Queue[str],
    *,
    hold: float = DEFAULT_HOLD_MS / 1000,
) -> Outcome:
    """Play until the match ends (or the player leaves): keys in, states out."""
    loop = asyncio.get_running_loop()
    holder = KeyHolder(hold)
    seq = itertools.count(1)
    forfeit: list[str | None] = [None]

    async def keyboard() -> str:
        while True:
            deadline = holder.next_deadline()
            timeout = None if deadline is None else max(0.0, deadline - loop.time())
            try:
                async with asyncio.timeout(timeout):
                    key = await keys.get()
            except TimeoutError:
                await _send_keys(client, game, seq, holder.expire(loop.time()))
                continue
            if key in ("quit", "interrupt"):
                await _send_keys(client, game, seq, holder.release_all())
                return key
            if key == "power":
                await _send_keys(client, game, seq, [("power", True)])
            elif key in ("up", "down"):
                await _send_keys(client, game, seq, holder.press(key, loop.time()))

    async def frames() -> Outcome:
        heard = loop.time()  # when the last state came: a running room sends one a second
        while True:
            try:
                async with asyncio.timeout_at(heard + STALL_AFTER):
                    frame = await client.next_event()
            except ConnectionLost as exc:
                if exc.close_code not in RECONNECT_CODES:
                    raise
                if not await _rejoin(client, game, display):
                    return await _recorded_outcome(client, game, forfeit[0])
                heard = loop.time()
                continue
            except TimeoutError:
                if (await client.game(game.game_id)).get("status") == "finished":
                    return await _recorded_outcome(client, game, forfeit[0])
                raise PlayError(
                    f"the game stopped: no news from the server for {STALL_AFTER:g} s"
                ) from None
            kind = frame.get("type")
            data = frame.get("data") or {}
            if kind == "pong.state" and data.get("game_id", game.game_id) == game.game_id:
                heard = loop.time()
                for event in data.get("events") or ():
                    if event.get("kind") == "forfeit":
                        forfeit[0] = event.get("side")
                display.show(game, data)
                if data.get("phase") == "finished":
                    return _outcome(game, data, forfeit[0])
            elif kind == "error":
                error = frame.get("error") or {}
                display.flash(str(error.get("message") or error.get("code") or "error"))

    playing = asyncio.create_task(frames(), name="play-frames")
    typing = asyncio.create_task(keyboard(), name="play-keys")
    try:
        await asyncio.wait({playing, typing}, return_when=asyncio.FIRST_COMPLETED)
        if playing.done():
            return playing.result()
        key = typing.result()
        # Leaving: the opponent wins by forfeit. The server stops sending us the game's
        # frames as it answers, so the result is read back over REST.
        display.flash("Leaving the game...")
        with contextlib.suppress(PlayError):
            await client.request("pong.leave", {"game_id": game.game_id})
        if playing.done() and playing.exception() is None:
            outcome = playing.result()
        else:
            outcome = await _recorded_outcome(client, game, game.side)
        outcome.interrupted = key == "interrupt"
        return outcome
    finally:
        for task in (playing, typing):
            task.cancel()
        for task in (playing, typing):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


class Cancelled(Exception):
    """The player quit before a game started."""


async def _until_quit(keys: asyncio.Queue[str]) -> str:
    while (key := await keys.get()) not in ("quit", "interrupt"):
        pass
    return key


async def play(
    client: PongClient,
    plan: Plan,
    *,
    username: str,
    password: str,
    second_factor: Callable[[], str] | None = None,
    invitee: str | None = None,
    hold: float = DEFAULT_HOLD_MS / 1000,
    terminal: Terminal | None = None,
) -> Outcome:
    """Log in, get a seat, play in the terminal; the terminal is restored before returning."""
    try:
        await client.login(username, password, second_factor=second_factor)
        heading = f"Logged in as {client.display_name}"
        if invitee is not None:
            target = await client.find_user(invitee)
            if target.get("id") == client.user.get("id"):
                raise PlayError("you cannot invite yourself")
            plan.user_id = int(target["id"])
            heading += f"; inviting {target.get('display_name') or target.get('username')}"
        await client.connect()
        keys: asyncio.Queue[str] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        with terminal or Terminal() as term:
            screen = Screen(term, heading=heading)
            stop_reading = term.read_keys(keys.put_nowait)
            for sig in (signal.SIGTERM, signal.SIGHUP):
                loop.add_signal_handler(sig, keys.put_nowait, "interrupt")
            loop.add_signal_handler(signal.SIGWINCH, screen.redraw)
            drawing = asyncio.create_task(screen.run(), name="play-screen")
            try:
                seat = asyncio.create_task(find_game(client, plan, screen.status))
                quitting = asyncio.create_task(_until_quit(keys))
                await asyncio.wait({seat, quitting}, return_when=asyncio.FIRST_COMPLETED)
                if not seat.done():
                    seat.cancel()
                    with contextlib.suppress(asyncio.CancelledError, PlayError):
                        await seat
                    if plan.how == "queue":
                        with contextlib.suppress(PlayError):
                            await client.request("pong.unqueue", within=2)
                    raise Cancelled()
                quitting.cancel()
                return await play_game(client, seat.result(), screen, keys, hold=hold)
            finally:
                drawing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await drawing
                stop_reading()
                for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGWINCH):
                    loop.remove_signal_handler(sig)
    finally:
        await client.close()
