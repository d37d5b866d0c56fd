"""Faults under live traffic, and a graceful shutdown.

The fault test never touches the machine's shared PostgreSQL and Redis (other runs use
them): it starts a PostgreSQL cluster and a redis-server of its own on free ports, two
`transcendence serve` nodes on them, and drives chat and remote Pong through both while
Redis is killed and restarted, then PostgreSQL is stopped and started. The nodes are never
restarted: they must report not-ready during each outage, recover by themselves, refuse
work during the outage with a clear `unavailable` error, and lose nothing they
acknowledged.

The shutdown test sends SIGTERM to a node serving a slow request and a socket.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from servers import PrivatePostgres, PrivateRedis, server_env, start_node, wait_for

pytestmark = pytest.mark.system

QUICK_GAME = {"score_limit": 1, "paddle_height": 20}
# The slowest ball: its one point takes several seconds, long enough to stop a service
# between the start of the game and its end.
SLOW_GAME = {**QUICK_GAME, "ball_speed": 100, "ball_speed_max": 100}
PASSWORD = "a proper pass!"
OUTAGE_TIMEOUT = 30  # how long a node may take to notice an outage, or a recovery
SEND_PACE = 0.15  # the chat traffic's rate (one message per this many seconds), not a wait
RETRY_PACE = 0.3  # a client's pause before retrying after an error, as a browser's would


class Tab:
    """One browser tab's socket: answers pings, matches replies to requests, keeps pushes,
    and opens a new socket (authenticating again) whenever the server closed the last one."""

    _ids = itertools.count(1)

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.ws: ClientConnection | None = None
        self.pushed: list[dict[str, Any]] = []
        self.closes: list[tuple[int | None, str | None]] = []
        self._replies: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._arrived = asyncio.Condition()
        self._reader: asyncio.Task[None] | None = None

    async def open(self) -> Tab:
        if self.ws is not None and self._reader is not None and not self._reader.done():
            return self
        ws = await connect(self.url, ping_interval=None, open_timeout=10, max_size=2**22)
        self.ws = ws
        self._reader = asyncio.create_task(self._read(ws))
        welcome = await self.request("auth", {"token": self.token})
        if welcome["type"] != "auth":
            raise ConnectionError(f"auth refused: {welcome}")
        return self

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                frame = json.loads(raw)
                if frame["type"] == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                    continue
                waiter = self._replies.pop(frame.get("re") or "", None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(frame)
                    continue
                if frame["type"] == "pong.state" and frame["data"].get("phase") != "finished":
                    continue  # 30 a second: only the end matters here
                async with self._arrived:
                    self.pushed.append(frame)
                    self._arrived.notify_all()
        except ConnectionClosed:
            pass
        finally:
            self.closes.append((ws.close_code, ws.close_reason))
            for waiter in self._replies.values():
                if not waiter.done():
                    waiter.set_exception(ConnectionError("socket closed"))
            self._replies.clear()
            async with self._arrived:
                self._arrived.notify_all()

    async def request(self, type_: str, data: Any, timeout: float = 15) -> dict[str, Any]:
        assert self.ws is not None
        frame_id = f"r{next(self._ids)}"
        waiter = self._replies[frame_id] = asyncio.get_running_loop().create_future()
        await self.ws.send(json.dumps({"type": type_, "id": frame_id, "data": data}))
        async with asyncio.timeout(timeout):
            return await waiter

    async def push(
        self, match: Callable[[dict[str, Any]], bool], timeout: float = 30
    ) -> dict[str, Any]:
        """The first push (already received or still to come) that `match` accepts."""
        async with asyncio.timeout(timeout), self._arrived:
            while True:
                for frame in self.pushed:
                    if match(frame):
                        return frame
                await self._arrived.wait()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.wait([self._reader])


class ChatTraffic:
    """Alice writes to a chat over her socket, one message after another, as a client that
    retries (same `client_id`, so a retry is stored once) until each is acknowledged."""

    def __init__(self, tab: Tab, chat_id: int) -> None:
        self.tab = tab
        self.chat_id = chat_id
        self.acked: dict[str, int] = {}  # client_id -> message id
        self.errors: list[str] = []  # error codes and socket failures, in order
        self.stopping = asyncio.Event()
        self.progress = asyncio.Condition()
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        try:
            for n in itertools.count(1):
                if self.stopping.is_set():
                    return
                client_id = f"fault-{n}"
                while not await self._send_once(client_id, f"message {n}"):
                    await asyncio.sleep(RETRY_PACE)
                await asyncio.sleep(SEND_PACE)
        finally:
            async with self.progress:  # wakes `until` when the traffic fails
                self.progress.notify_all()

    async def _send_once(self, client_id: str, text: str) -> bool:
        try:
            await self.tab.open()
            reply = await self.tab.request(
                "chat.send", {"chat_id": self.chat_id, "text": text, "client_id": client_id}
            )
        except (ConnectionError, OSError, TimeoutError, WebSocketException) as exc:
            await self._note(f"socket: {type(exc).__name__}")
            return False
        if reply["type"] == "chat.send":
            async with self.progress:
                self.acked[client_id] = reply["data"]["id"]
                self.progress.notify_all()
            return True
        assert reply["type"] == "error", reply
        await self._note(reply["error"]["code"])
        return False

    async def _note(self, what: str) -> None:
        async with self.progress:
            self.errors.append(what)
            self.progress.notify_all()

    async def until(self, check: Callable[[], bool], what: str, timeout: float = 60) -> None:
        assert self.task is not None
        try:
            async with asyncio.timeout(timeout), self.progress:
                await self.progress.wait_for(lambda: check() or self.task.done())
        except TimeoutError:
            raise AssertionError(
                f"chat traffic: {what} (acked {len(self.acked)}, errors {self.errors[-10:]})"
            ) from None
        if self.task.done():
            self.task.result()  # the traffic failed: say why
            raise AssertionError(f"chat traffic stopped before {what}")

    async def more_acks(self, count: int, what: str) -> None:
        target = len(self.acked) + count
        await self.until(lambda: len(self.acked) >= target, f"{count} more acks {what}")

    async def stop(self) -> None:
        self.stopping.set()
        assert self.task is not None
        async with asyncio.timeout(90):
            await self.task


def signup(base: str, name: str) -> dict[str, Any]:
    body = {"username": name, "email": f"{name}@example.test", "password": PASSWORD}
    with httpx.Client(base_url=base, timeout=30) as http:
        created = http.post("/api/auth/signup", json=body)
        assert created.status_code == 201, created.text
        login = http.post("/api/auth/login", json=body)
        assert login.status_code == 200, login.text
        return login.json()


def readyz(node) -> tuple[int, dict[str, Any]]:
    response = httpx.get(f"{node.url}/readyz", timeout=10)
    return response.status_code, response.json()


def wait_not_ready(node, dependency: str) -> dict[str, Any]:
    def down():
        status, body = readyz(node)
        if status == 503 and body["error"]["details"][dependency].startswith("unavailable"):
            return body
        return None

    return wait_for(down, timeout=OUTAGE_TIMEOUT, what=f"{dependency} down on {node.url}")


def wait_ready(node) -> None:
    wait_for(lambda: readyz(node)[0] == 200, timeout=OUTAGE_TIMEOUT, what=f"{node.url} ready")


async def start_remote_game(
    left: Tab, right: Tab, right_user_id: int, options: dict[str, Any] = QUICK_GAME
) -> str:
    """Left invites right and both join; nobody moves, so a one-point game ends by itself."""
    invited = await left.request("pong.invite", {"user_id": right_user_id, "options": options})
    assert invited["type"] == "pong.invite", invited
    answered = await right.request(
        "pong.answer", {"invite_id": invited["data"]["invite_id"], "accept": True}
    )
    assert answered["type"] == "pong.answer", answered
    game_id = answered["data"]["game_id"]
    for tab in (left, right):
        joined = await tab.request("pong.join", {"game_id": game_id})
        assert joined["data"]["game_id"] == game_id, joined
    return game_id


async def final_frame(tab: Tab, game_id: str) -> dict[str, Any]:
    frame = await tab.push(
        lambda f: (
            f["type"] == "pong.state"
            and f["data"].get("game_id") == game_id
            and f["data"]["phase"] == "finished"
        ),
        timeout=90,
    )
    return frame["data"]


async def play_remote_game(left: Tab, right: Tab, right_user_id: int) -> str:
    game_id = await start_remote_game(left, right, right_user_id)
    for tab in (left, right):
        await final_frame(tab, game_id)
    return game_id


async def recorded(base: str, token: str, game_id: str) -> None:
    """Until the match shows as finished in the player's history. The final snapshot goes
    out once the record is written, unless the database is slow to answer (then it says
    `recorded: false` and a second one follows): so wait for the history itself."""
    async with (
        httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=10
        ) as http,
        asyncio.timeout(30),
    ):
        while True:
            items = (await http.get("/api/pong/matches")).json()["items"]
            if any(m["id"] == game_id and m["status"] == "finished" for m in items):
                return
            await asyncio.sleep(0.1)  # polled: the write has no event a client can await


@pytest.fixture
def private_services(tmp_path):
    """PostgreSQL and Redis of this test alone, whatever TEST_DATABASE_URL says."""
    postgres = PrivatePostgres()
    redis = PrivateRedis(tmp_path)
    try:
        postgres.init()
        postgres.start()
        redis.start()
        yield postgres, redis
    finally:
        redis.kill()
        postgres.destroy()


@pytest.fixture
def fault_nodes(private_services, tmp_path):
    postgres, redis = private_services
    env = server_env(
        database_url=postgres.url,
        redis_url=redis.url,
        var_dir=tmp_path / "var",
        extra_modules=[],
    )
    env["TRANSCENDENCE_MODULES"] = "pong,chat"
    env["TRANSCENDENCE_CHAT_RATE_LIMIT"] = "1000/1"  # the traffic is fast on purpose
    nodes = []
    try:
        nodes.append(start_node(env, tmp_path, name="a", timeout=120))
        nodes.append(start_node(env, tmp_path, name="b", timeout=120))
        yield nodes
    finally:
        for node in nodes:
            node.stop()


async def stored(postgres: PrivatePostgres, query: str, *args: Any) -> list[Any]:
    conn = await asyncpg.connect(postgres.url.replace("postgres://", "postgresql://", 1))
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def test_redis_then_postgres_outage_under_live_traffic(private_services, fault_nodes):
    postgres, redis = private_services
    a, b = fault_nodes
    pids = [node.process.pid for node in fault_nodes]
    people = {}
    for name in ("alice", "bob", "carol", "dave"):
        people[name] = await asyncio.to_thread(signup, a.url, name)
    token = {name: who["access"] for name, who in people.items()}
    user_id = {name: who["user"]["id"] for name, who in people.items()}

    async with httpx.AsyncClient(
        base_url=a.url, headers={"Authorization": f"Bearer {token['alice']}"}, timeout=30
    ) as alice_http:
        created = await alice_http.post(
            "/api/chats/create_private/", json={"user_id": user_id["bob"]}
        )
        assert created.status_code == 201, created.text
        chat_id = created.json()["id"]

        # Alice writes on node A; Bob reads on node B; Carol (A) and Dave (B) play.
        alice = await Tab(f"ws://127.0.0.1:{a.port}/ws", token["alice"]).open()
        bob = await Tab(f"ws://127.0.0.1:{b.port}/ws", token["bob"]).open()
        carol = await Tab(f"ws://127.0.0.1:{a.port}/ws", token["carol"]).open()
        dave = await Tab(f"ws://127.0.0.1:{b.port}/ws", token["dave"]).open()
        traffic = ChatTraffic(alice, chat_id)
        traffic.start()
        games = []
        try:
            await traffic.more_acks(3, "before any fault")
            games.append(await play_remote_game(carol, dave, user_id["dave"]))
            await recorded(a.url, token["carol"], games[-1])
            # Live across nodes: what Alice sends on A reaches Bob's socket on B.
            first = next(iter(traffic.acked.values()))
            await bob.push(lambda f: f["type"] == "chat.message" and f["data"]["id"] == first)

            # --- Redis: killed, as in a crash, and started again on the same port ---------
            # A game is in play through the outage: it goes on on its node, and is recorded.
            games.append(await start_remote_game(carol, dave, user_id["dave"], SLOW_GAME))
            await asyncio.to_thread(redis.kill)
            for node in (a, b):
                body = await asyncio.to_thread(wait_not_ready, node, "bus")
                assert body["error"]["code"] == "not_ready"
                assert body["error"]["details"]["database"] == "ok"
            # Messages are still stored and acknowledged (their live push waits for the bus).
            await traffic.more_acks(3, "while Redis is down")
            await asyncio.to_thread(redis.start)
            for node in (a, b):
                await asyncio.to_thread(wait_ready, node)
            # The bus reconnected and resubscribed by itself: Bob's socket, opened before the
            # outage, is told to re-read what it missed, then gets live messages again.
            await bob.push(lambda f: f["type"] == "resync")
            await traffic.more_acks(2, "after Redis came back")
            latest = max(traffic.acked.values())
            await bob.push(lambda f: f["type"] == "chat.message" and f["data"]["id"] == latest)
            await recorded(a.url, token["carol"], games[-1])  # the game played through it
            games.append(await play_remote_game(carol, dave, user_id["dave"]))
            await recorded(a.url, token["carol"], games[-1])

            # --- PostgreSQL: a fast shutdown, then started again ---------------------------
            # A game ends during the outage: its players see the result (not yet recorded),
            # and it is recorded once PostgreSQL is back.
            in_outage = await start_remote_game(carol, dave, user_id["dave"], SLOW_GAME)
            games.append(in_outage)
            errors_before = len(traffic.errors)
            await asyncio.to_thread(postgres.stop)
            for node in (a, b):
                body = await asyncio.to_thread(wait_not_ready, node, "database")
                assert body["error"]["details"]["bus"] == "ok"
            # Requests meanwhile get a clear 503, not a traceback...
            listed = await alice_http.get("/api/chats/")
            assert listed.status_code == 503, listed.text
            assert listed.json()["error"]["code"] == "unavailable"
            assert listed.headers["retry-after"]
            # ... and so do socket frames: the traffic sees `unavailable` and keeps retrying.
            await traffic.until(
                lambda: "unavailable" in traffic.errors[errors_before:],
                "an `unavailable` error while PostgreSQL is down",
            )
            result = await final_frame(carol, in_outage)
            assert result["recorded"] is False, result  # it ended while the database was away
            await asyncio.to_thread(postgres.start)
            for node in (a, b):
                await asyncio.to_thread(wait_ready, node)
            await traffic.more_acks(3, "after PostgreSQL came back")
            await recorded(a.url, token["carol"], in_outage)
            games.append(await play_remote_game(carol, dave, user_id["dave"]))
            await recorded(a.url, token["carol"], games[-1])
            assert (await alice_http.get("/api/chats/")).status_code == 200
        finally:
            if traffic.task is not None and not traffic.task.done():
                await traffic.stop()
            for tab in (alice, bob, carol, dave):
                await tab.close()

    # Never restarted: the same processes recovered by themselves.
    assert [node.process.pid for node in fault_nodes] == pids
    assert all(node.process.poll() is None for node in fault_nodes)
    # Outages were reported as such, never as internal errors.
    assert not [e for e in traffic.errors if e not in {"unavailable"} and "socket" not in e], (
        traffic.errors
    )
    for node in fault_nodes:
        # No request or frame failed as a bug (the app logs those as "unhandled error"
        # and "... failed" with a traceback; outages are one-line warnings).
        for marker in ("unhandled error", "realtime handler for", "authenticating a socket"):
            assert marker not in node.output(), node.output()[-4000:]
    assert any("reconnected to Redis" in node.output() for node in fault_nodes)

    # Nothing acknowledged is lost: every acked message is stored exactly once...
    rows = await stored(
        postgres,
        "SELECT client_id, id FROM chat_message WHERE conversation_id = $1 AND sender_id = $2",
        chat_id,
        user_id["alice"],
    )
    in_db = {row["client_id"]: row["id"] for row in rows}
    assert len(in_db) == len(rows)
    missing = {cid: mid for cid, mid in traffic.acked.items() if in_db.get(cid) != mid}
    assert not missing, f"acknowledged but not stored: {missing}"
    assert len(traffic.acked) >= 11
    # ... and every finished match is recorded as finished.
    matches = await stored(
        postgres, "SELECT id::text, status FROM pong_match WHERE id::text = ANY($1)", games
    )
    assert sorted((r["id"], r["status"]) for r in matches) == sorted((g, "finished") for g in games)


@pytest.fixture
def shutdown_node(cluster_env, tmp_path):
    env = dict(cluster_env)
    env["TRANSCENDENCE_EXTRA_MODULES"] += ",transcendence_opsample"
    node = start_node(env, tmp_path, name="graceful", timeout=120)
    try:
        yield node
    finally:
        node.stop()


async def test_sigterm_drains_then_stops(shutdown_node):
    node = shutdown_node
    who = await asyncio.to_thread(signup, node.url, "erin")
    tab = await Tab(f"ws://127.0.0.1:{node.port}/ws", who["access"]).open()
    async with httpx.AsyncClient(base_url=node.url, timeout=60) as http:
        slow = asyncio.create_task(http.get("/api/opsample/slow", params={"seconds": 3}))
        await asyncio.to_thread(
            wait_for,
            lambda: httpx.get(f"{node.url}/api/opsample/in-flight").json()["in_flight"] == 1,
            timeout=30,
            what="the slow request in flight",
        )
        node.process.send_signal(signal.SIGTERM)
        # The module's shutdown hook ran first, while the socket and the bus still worked...
        bye = await tab.push(lambda f: f["type"] == "opsample.bye")
        assert bye["data"]["sockets"] == 1
        # ... then the socket got a close frame with a reason...
        assert tab._reader is not None
        async with asyncio.timeout(30):
            await asyncio.wait([tab._reader])
        assert tab.closes == [(1001, "server shutting down")]
        # ... and the request in flight was answered in full.
        response = await slow
        assert response.status_code == 200
        assert response.json() == {"slept": 3.0}
    exit_code = await asyncio.to_thread(node.process.wait, 60)
    assert exit_code == 0, node.output()
    assert "draining" in node.output()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{node.url}/healthz", timeout=2)
