"""`transcendence play` in a pseudo-terminal against a real `transcendence serve`.

User A plays from the terminal client (a real process on a real pty, keys typed into it);
user B is a web user, played here by a plain `websockets` client that invites or accepts
and then idles. Games use tiny paddles and one point, so they end within seconds.
"""

from __future__ import annotations

import asyncio
import fcntl
import itertools
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from servers import ROOT, cli, free_port, start_node
from transcendence_pong.terminal import (
    KeyHolder,
    KeyParser,
    Plan,
    PlayError,
    PongClient,
    find_game,
    play_game,
)

pytestmark = pytest.mark.system
QUICK = {"score_limit": 1, "paddle_height": 20}  # idle paddles lose the first point
PASSWORD = "pong-in-a-terminal-42"
PING_INTERVAL, IDLE_TIMEOUT = 0.25, 1.5
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")
ALTERNATE_SCREEN = re.compile(rb"\x1b\[\?1049h.*?(\x1b\[\?1049l|$)", re.DOTALL)


# --- the terminal side: a CLI process on a pseudo-terminal -----------------------------


def _take_controlling_tty() -> None:
    # In the child, after setsid(): the pty becomes its controlling terminal, as in a
    # real terminal (getpass reads the hidden password from /dev/tty).
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """`transcendence ...` running on a pty; its output is read as it comes."""

    def __init__(self, env: dict[str, str], *args: str, cols: int = 100, rows: int = 30):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "transcendence_cli.main", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**env, "TERM": "xterm", "LINES": str(rows), "COLUMNS": str(cols)},
            cwd=ROOT,
            start_new_session=True,
            preexec_fn=_take_controlling_tty,
        )
        os.close(slave)
        self.master = master
        self.output = bytearray()
        self.eof = asyncio.Event()
        self._more = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(master, self._readable)

    def _readable(self) -> None:
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: every copy of the slave side is closed
            chunk = b""
        if chunk:
            self.output += chunk
        else:
            self._loop.remove_reader(self.master)
            self.eof.set()
        self._more.set()

    @property
    def text(self) -> str:
        """Everything printed, escape codes left out."""
        return ANSI.sub(b"", bytes(self.output)).decode("utf-8", "replace")

    @property
    def left_on_screen(self) -> str:
        """What stays once the game's alternate screen is gone: what the user reads after."""
        normal = ALTERNATE_SCREEN.sub(b"", bytes(self.output))
        return ANSI.sub(b"", normal).decode("utf-8", "replace")

    async def expect(self, needle: str, timeout: float = 30) -> None:
        """Wait until `needle` has been printed (escape codes ignored)."""
        try:
            async with asyncio.timeout(timeout):
                while needle not in self.text:
                    if self.eof.is_set():
                        raise AssertionError(f"exited before printing {needle!r}")
                    self._more.clear()
                    await self._more.wait()
        except (TimeoutError, AssertionError) as exc:
            raise AssertionError(f"{exc or 'timeout'}; output so far:\n{self.text}") from None

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    async def exit_code(self, timeout: float = 60) -> int:
        try:
            code = await asyncio.to_thread(self.process.wait, timeout)
            async with asyncio.timeout(10):
                await self.eof.wait()  # everything it printed has been read
        except (subprocess.TimeoutExpired, TimeoutError):
            raise AssertionError(f"still running after {timeout}s:\n{self.text}") from None
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if not self.eof.is_set():
            self._loop.remove_reader(self.master)
        os.close(self.master)


def summary(term: Terminal) -> list[str]:
    """The lines a finished `play` leaves in the terminal."""
    text = term.left_on_screen
    assert "Traceback" not in text, text
    return [line.strip() for line in text.splitlines() if line.strip()]


async def run_in_terminal(env: dict[str, str], *args: str, timeout: float = 60):
    """Run a command that needs no typing; its exit code and what it printed."""
    term = Terminal(env, *args)
    try:
        return await term.exit_code(timeout), term.left_on_screen
    finally:
        term.close()


# --- the web side: a user speaking the realtime protocol with `websockets` -------------


class WebUser:
    """A browser tab's socket: a reader answers pings (counting them) and keeps the rest."""

    def __init__(self, ws: Any, user_id: int) -> None:
        self.ws = ws
        self.id = user_id
        self.ids = itertools.count(1)
        self.frames: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.kept: list[dict[str, Any]] = []  # pushes seen while waiting for a reply
        self.pings = 0
        self._pinged = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                if frame["type"] == "ping":
                    await self.ws.send(json.dumps({"type": "pong"}))
                    self.pings += 1
                    self._pinged.set()
                else:
                    self.frames.put_nowait(frame)
        finally:
            self.frames.put_nowait(None)

    async def next(self) -> dict[str, Any]:
        frame = await self.frames.get()
        assert frame is not None, (
            f"bob's socket closed: {self.ws.close_code} {self.ws.close_reason}"
        )
        return frame

    async def heard_pings(self, count: int, timeout: float = 30) -> None:
        async with asyncio.timeout(timeout):
            while self.pings < count:
                self._pinged.clear()
                await self._pinged.wait()

    async def request(self, type_: str, data: dict[str, Any], timeout: float = 10):
        frame_id = f"b{next(self.ids)}"
        await self.ws.send(json.dumps({"type": type_, "id": frame_id, "data": data}))
        async with asyncio.timeout(timeout):
            while (frame := await self.next()).get("re") != frame_id:
                self.kept.append(frame)
        assert frame["type"] == type_, frame
        return frame["data"]

    async def expect(self, wanted, timeout: float = 30) -> dict[str, Any]:
        for frame in self.kept:
            if wanted(frame):
                self.kept.remove(frame)
                return frame
        async with asyncio.timeout(timeout):
            while not wanted(frame := await self.next()):
                pass
        return frame

    async def close(self) -> None:
        await self.ws.close()
        await self.reader


async def web_user(node, username: str) -> WebUser:
    access, user = await login(node, username)
    ws = await connect(f"ws://127.0.0.1:{node.port}/ws", ping_interval=None, open_timeout=10)
    await ws.send(json.dumps({"type": "auth", "id": "a", "data": {"token": access}}))
    async with asyncio.timeout(10):
        welcome = json.loads(await ws.recv())
    assert welcome["type"] == "auth", welcome
    return WebUser(ws, user["id"])


class Recorder:
    """A display for `play_game` without a terminal: it remembers what it was shown."""

    def __init__(self) -> None:
        self.states: list[dict[str, Any]] = []
        self.flashes: list[str] = []
        self._changed = asyncio.Event()

    def status(self, text: str) -> None:
        self._changed.set()

    def show(self, game: Any, state: dict[str, Any]) -> None:
        self.states.append(state)
        self._changed.set()

    def flash(self, text: str) -> None:
        self.flashes.append(text)
        self._changed.set()

    async def until(self, check, timeout: float = 10) -> None:
        async with asyncio.timeout(timeout):
            while not check():
                self._changed.clear()
                await self._changed.wait()


def is_type(type_: str):
    return lambda frame: frame["type"] == type_


def is_invite(frame: dict[str, Any]) -> bool:
    return frame["type"] == "notify" and frame["data"]["kind"] == "pong.invite"


# --- the server and the accounts -------------------------------------------------------


@pytest.fixture
def env(cluster_env):
    env = dict(cluster_env)
    env["TRANSCENDENCE_MODULES"] = "pong,ai"
    # Quick heartbeats: a client that does not answer pings is dropped within about 1 s.
    env["TRANSCENDENCE_WS_PING_INTERVAL"] = str(PING_INTERVAL)
    env["TRANSCENDENCE_WS_IDLE_TIMEOUT"] = str(IDLE_TIMEOUT)
    return env


@pytest.fixture
def node(env, tmp_path):
    started = start_node(env, tmp_path, name="play")
    try:
        yield started
    finally:
        started.stop()


# Over httpx's async client: the test's event loop keeps reading the pty and answering
# pings while the server hashes passwords.


async def signup(node, username: str) -> int:
    async with httpx.AsyncClient(base_url=node.url, timeout=10) as http:
        answer = await http.post(
            "/api/auth/signup",
            json={"username": username, "email": f"{username}@example.test", "password": PASSWORD},
        )
    assert answer.status_code == 201, answer.text
    return answer.json()["user"]["id"]


async def login(node, username: str) -> tuple[str, dict[str, Any]]:
    async with httpx.AsyncClient(base_url=node.url, timeout=10) as http:
        answer = await http.post(
            "/api/auth/login", json={"username": username, "password": PASSWORD}
        )
    assert answer.status_code == 200, answer.text
    return answer.json()["access"], answer.json()["user"]


async def finished_matches(node, access: str) -> dict[str, dict[str, Any]]:
    async with httpx.AsyncClient(base_url=node.url, timeout=10) as http:
        answer = await http.get("/api/pong/matches", headers={"Authorization": f"Bearer {access}"})
    assert answer.status_code == 200, answer.text
    return {m["id"]: m for m in answer.json()["items"]}


async def recorded(node, game_id: str, *usernames: str) -> dict[str, Any]:
    """The finished match, as each player's history shows it (written after the last frame)."""
    tokens = [(await login(node, name))[0] for name in usernames]
    async with asyncio.timeout(10):
        while True:
            histories = [await finished_matches(node, token) for token in tokens]
            if all(game_id in history for history in histories):
                break
            await asyncio.sleep(0.1)  # the record has no event to await
    matches = [history[game_id] for history in histories]
    assert all(m == matches[0] for m in matches)
    return matches[0]


def cli_args(node, username: str, *more: str) -> list[str]:
    return ["play", "--server", node.url, "--username", username, *more]


# --- the tests -------------------------------------------------------------------------


async def test_accepting_an_invitation_and_playing_to_the_end(node, env):
    alice_id = await signup(node, "alice")
    await signup(node, "bob")
    term = Terminal(env, *cli_args(node, "alice", "--accept"))
    try:
        # The password is asked without echo (getpass prints its space once echo is off).
        await term.expect("Password: ")
        term.type(PASSWORD.encode() + b"\n")
        await term.expect("Waiting for an invitation")

        bob = await web_user(node, "bob")
        # Twice the idle timeout with nothing from the waiting client but its answers to
        # the server's pings: it would have been dropped (4408) without them.
        await bob.heard_pings(round(2 * IDLE_TIMEOUT / PING_INTERVAL))
        sent = await bob.request("pong.invite", {"user_id": alice_id, "options": QUICK})
        assert sent["invite_id"] > 0
        matched = await bob.expect(is_type("pong.matched"))
        game_id = matched["data"]["game_id"]
        assert matched["data"]["side"] == "left"  # the one who invited serves from the left
        assert (await bob.request("pong.join", {"game_id": game_id}))["side"] == "left"

        await term.expect("alice (you)")  # the field is drawn: alice plays the right paddle
        term.type(b"w")
        term.type(b"\x1b[A")  # up arrow
        term.type(b"s")
        term.type(b"\x1b[B")  # down arrow

        acks, last = 0, None
        async with asyncio.timeout(90):
            while True:
                frame = await bob.expect(is_type("pong.state"))
                acks = max(acks, frame["data"]["acks"]["right"])
                if frame["data"]["phase"] == "finished":
                    last = frame["data"]
                    break
        assert acks >= 1, "the terminal's key presses never reached the game"

        assert await term.exit_code() == 0, term.text
        winner = {"left": "bob", "right": "alice (you)"}[last["winner"]]
        score = f"bob {last['scores']['left']} - {last['scores']['right']} alice"
        # Once the game's screen is gone: the prompt, then the result.
        assert summary(term) == ["Password:", f"Final score: {score}", f"Winner: {winner}"]
        assert PASSWORD not in term.text  # never echoed
        await bob.close()
    finally:
        term.close()

    match = await recorded(node, game_id, "alice", "bob")
    assert match["status"] == "finished" and match["mode"] == "remote"
    assert match["winner"] == last["winner"] and not match["forfeit"]
    assert match["options"]["score_limit"] == 1
    assert match["right"]["user_id"] == alice_id


async def test_inviting_by_username_then_leaving_with_q(node, env):
    alice_id = await signup(node, "alice")
    await signup(node, "bob")
    bob = await web_user(node, "bob")
    env = {**env, "TRANSCENDENCE_PLAY_PASSWORD": PASSWORD}
    # Full-height paddles: nobody can score, so only leaving ends this game.
    args = cli_args(node, "alice", "--invite", "BOB", "--score-limit", "3")
    term = Terminal(env, *args, "--paddle-height", "600")
    try:
        note = await bob.expect(is_invite)
        invite = note["data"]["data"]
        assert invite["from"]["id"] == alice_id
        assert invite["options"]["score_limit"] == 3
        assert invite["options"]["paddle_height"] == 600
        await term.expect("waiting for an answer")
        answer = await bob.request(
            "pong.answer", {"invite_id": invite["invite_id"], "accept": True}
        )
        game_id = answer["game_id"]
        await bob.request("pong.join", {"game_id": game_id})

        await term.expect("alice (you)")
        term.type(b"q")
        last = await bob.expect(
            lambda f: f["type"] == "pong.state" and f["data"]["phase"] == "finished"
        )
        # Left before any point: a loss for no one, the game is cancelled.
        assert last["data"]["winner"] is None
        assert last["data"]["cancelled"] == {"reason": "abandoned", "sides": ["left"]}

        assert await term.exit_code() == 0, term.text
        assert summary(term) == [
            "Final score: alice 0 - 0 bob",
            "Game cancelled: it counts for no one",
        ]
        await bob.close()
    finally:
        term.close()

    access = (await login(node, "bob"))[0]
    async with httpx.AsyncClient(base_url=node.url, timeout=10) as http:
        game = await http.get(
            f"/api/pong/games/{game_id}", headers={"Authorization": f"Bearer {access}"}
        )
    assert game.json()["status"] == "cancelled" and game.json()["winner"] is None
    assert await finished_matches(node, access) == {}  # in no one's history


async def test_a_game_against_the_ai(node, env):
    alice_id = await signup(node, "alice")
    env = {**env, "TRANSCENDENCE_PLAY_PASSWORD": PASSWORD}
    args = cli_args(node, "alice", "--ai", "hard", "--score-limit", "1", "--paddle-height", "20")
    term = Terminal(env, *args)
    try:
        await term.expect("alice (you)")
        assert await term.exit_code() == 0, term.text
        score, winner = summary(term)
        assert score.startswith("Final score: alice ") and score.endswith(" AI (hard)")
        assert winner in ("Winner: alice (you)", "Winner: AI (hard)")
    finally:
        term.close()
    (match,) = (await finished_matches(node, (await login(node, "alice"))[0])).values()
    assert match["mode"] == "ai" and match["left"]["user_id"] == alice_id


async def test_bad_input_is_one_readable_line_and_a_failing_exit(node, env):
    await signup(node, "alice")
    await signup(node, "bob")
    env = {**env, "TRANSCENDENCE_PLAY_PASSWORD": PASSWORD}

    def one_error_line(output: str) -> str:
        lines = [line for line in output.splitlines() if line.strip()]
        assert "Traceback" not in output, output
        assert len(lines) == 1, output
        return lines[0]

    code, out = await run_in_terminal(
        {**env, "TRANSCENDENCE_PLAY_PASSWORD": "not-the-password"},
        *cli_args(node, "alice", "--accept"),
    )
    assert code == 1
    assert one_error_line(out).startswith("error: login failed:"), out

    code, out = await run_in_terminal(env, *cli_args(node, "alice", "--invite", "nobody"))
    assert code == 1
    assert one_error_line(out) == "error: no user named 'nobody'", out

    code, out = await run_in_terminal(env, *cli_args(node, "alice", "--invite", "424242"))
    assert code == 1 and one_error_line(out) == "error: no user with id 424242", out

    code, out = await run_in_terminal(env, *cli_args(node, "alice", "--invite", "alice"))
    assert code == 1 and one_error_line(out) == "error: you cannot invite yourself", out

    nowhere = f"http://127.0.0.1:{free_port()}"
    code, out = await run_in_terminal(
        env, "play", "--server", nowhere, "--username", "alice", "--queue"
    )
    assert code == 1
    assert one_error_line(out).startswith(f"error: cannot reach {nowhere}"), out

    # Usage errors exit 2; without a terminal, one line and exit 1.
    code, out = await run_in_terminal(env, *cli_args(node, "alice", "--queue", "--accept"))
    assert code == 2 and "choose exactly one of" in out and "Traceback" not in out
    piped = cli(env, *cli_args(node, "alice", "--queue"), check=False)
    assert piped.returncode == 1
    assert one_error_line(piped.stderr) == (
        "error: play needs an interactive terminal (stdin and stdout must be a TTY)"
    )

    # A disabled ai module refuses AI games; the command is the pong module's and refuses
    # to run while pong is disabled.
    cli(env, "modules", "disable", "ai")
    code, out = await run_in_terminal(env, *cli_args(node, "alice", "--ai", "easy"))
    assert code == 1 and one_error_line(out) == "error: the ai module is disabled", out
    cli(env, "modules", "disable", "pong")
    gone = cli(env, *cli_args(node, "alice", "--queue"), check=False)
    assert gone.returncode == 1
    assert one_error_line(gone.stderr) == (
        "error: the pong module is disabled: `transcendence modules enable pong` turns it on"
    )


async def test_the_protocol_client_on_its_own(node):
    alice_id, bob_id = await signup(node, "alice"), await signup(node, "bob")
    wrong = PongClient(node.url)
    with pytest.raises(PlayError, match=r"^login failed: "):
        await wrong.login("alice", "not-the-password")
    await wrong.close()

    client = PongClient(node.url, timeout=5)
    try:
        assert (await client.login("alice", PASSWORD))["id"] == alice_id
        assert (await client.find_user("BOB"))["id"] == bob_id
        assert (await client.find_user(str(bob_id)))["username"] == "bob"
        assert (await client.connect())["user_id"] == alice_id
        await client.refresh()  # a new access token from the refresh cookie, sent as `auth`
        with pytest.raises(PlayError) as refused:
            await client.request("pong.join", {"game_id": "no-such-game"})
        assert refused.value.code == "not_found"

        bob = await web_user(node, "bob")
        seat = asyncio.create_task(find_game(client, Plan("accept")))
        endless = {"score_limit": 1, "paddle_height": 600}
        await bob.request("pong.invite", {"user_id": alice_id, "options": endless})
        async with asyncio.timeout(10):
            game = await seat
        assert (game.side, game.me, game.opponent) == ("right", "alice", "bob")

        await client.send(
            "pong.input", {"game_id": game.game_id, "key": "up", "pressed": True, "seq": 7}
        )
        async with asyncio.timeout(10):
            while True:
                frame = await client.next_event()
                if frame["type"] == "pong.state" and frame["data"]["acks"]["right"] == 7:
                    break

        # The game loop, with a display that only records: a socket that drops (no close
        # frame: 1006) is reopened and the game joined again; then alice leaves.
        display, keys = Recorder(), asyncio.Queue()
        playing = asyncio.create_task(play_game(client, game, display, keys))
        await display.until(lambda: len(display.states) >= 3)
        client._ws.transport.abort()
        await display.until(lambda: "Reconnected" in display.flashes)
        seen = len(display.states)
        await display.until(lambda: len(display.states) >= seen + 3)
        keys.put_nowait("quit")
        async with asyncio.timeout(10):
            outcome = await playing
        # Left before any point (and before Bob even opened it): cancelled, for no one.
        assert outcome.summary() == [
            "Final score: bob 0 - 0 alice",
            "Game cancelled: it counts for no one",
        ]
        assert outcome.cancelled and not outcome.interrupted
        await bob.close()
    finally:
        await client.close()
    access = (await login(node, "bob"))[0]
    assert await finished_matches(node, access) == {}  # in no one's history


def test_keys_are_parsed_and_releases_simulated():
    parser = KeyParser()
    assert parser.feed(b"wW\x1b[A\x1bOAsS\x1b[B q\x03") == [
        *("up",) * 4,
        *("down",) * 3,
        "power",
        "quit",
        "interrupt",
    ]
    assert parser.feed(b"\x1b[") == []  # a sequence cut in two
    assert parser.feed(b"1;2A\x1bx") == ["up"]  # modifiers ignored; a lone Escape too

    holder = KeyHolder(0.12)
    assert holder.press("up", 0.0) == [("up", True)]
    assert holder.press("up", 0.05) == []  # autorepeat keeps it pressed
    assert holder.expire(0.16) == []
    assert holder.next_deadline() == pytest.approx(0.17)
    assert holder.expire(0.17) == [("up", False)]  # released after the last repeat
    assert holder.press("down", 1.0) == [("down", True)]
    assert holder.press("up", 1.01) == [("down", False), ("up", True)]  # no two at once
    assert holder.release_all() == [("up", False)]
    assert holder.next_deadline() is None
