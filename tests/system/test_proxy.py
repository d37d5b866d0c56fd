"""The production topology without Docker: two app nodes on PostgreSQL and Redis behind
Debian's nginx with a self-signed certificate, driven over https:// and wss://: a chat
message and a remote game (nginx spreads the requests and sockets over both nodes), the
client's own address behind the proxy, a reload in Chromium on a port other than 443,
metrics kept private, one HSTS header.

Distinct clients are distinct source addresses (127.0.0.2, 127.0.0.3: all of 127/8 is this
machine), so nginx sees, and forwards, a different address for each, as on the internet.

Needs real PostgreSQL and Redis (two nodes share them): CI's second pass sets both.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import shutil
import ssl
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from servers import ROOT, cluster_environment, free_port, start_node, wait_for

pytestmark = pytest.mark.system
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def shared_services(pg_url, redis_url):
    if not (pg_url and redis_url):
        pytest.skip(
            "two nodes behind a proxy share PostgreSQL and Redis: set "
            "TEST_DATABASE_URL and TEST_REDIS_URL"
        )
    if not Path(NGINX).exists():
        pytest.fail("nginx is not installed (apt-get install nginx)")
    return pg_url, redis_url


def nginx_version() -> tuple[int, ...]:
    banner = subprocess.run([NGINX, "-v"], capture_output=True, text=True).stderr
    return tuple(int(part) for part in re.search(r"nginx/([\d.]+)", banner)[1].split("."))


def for_this_nginx(site: str) -> str:
    """The template targets nginx ≥ 1.25.1 (the compose image); Debian 12 ships 1.22, which
    knows HTTP/2 only as the older `listen ... ssl http2` form: the same thing, spelled so."""
    if nginx_version() >= (1, 25, 1):
        return site
    assert "    http2 on;\n" in site
    site = site.replace("    http2 on;\n", "")
    return re.sub(r"(listen \S+ ssl);", r"\1 http2;", site)


def write_certificate(directory: Path) -> tuple[Path, Path]:
    from transcendence_cli.certs_commands import _certificate

    cert, key = _certificate(2)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "cert.pem").write_bytes(cert)
    (directory / "key.pem").write_bytes(key)
    return directory / "cert.pem", directory / "key.pem"


@pytest.fixture(scope="module")
def proxy(shared_services, tmp_path_factory):
    """Two nodes and nginx, started once for this file (each test uses accounts of its own)."""
    pg_url, redis_url = shared_services
    tmp_path = tmp_path_factory.mktemp("proxy")
    env = cluster_environment(tmp_path, pg_url, redis_url)
    env["TRANSCENDENCE_MODULES"] = "pong,chat"
    env["TRANSCENDENCE_BEHIND_TLS_PROXY"] = "true"
    # nginx reaches the nodes from 127.0.0.1: the one peer whose X-Forwarded-* count.
    env["TRANSCENDENCE_TRUSTED_PROXIES"] = "127.0.0.1"
    nodes = [start_node(env, tmp_path, name="a"), start_node(env, tmp_path, name="b")]
    cert, key = write_certificate(tmp_path / "certs")
    http_port, https_port = free_port(), free_port()
    template = (ROOT / "deploy" / "nginx" / "transcendence.conf.template").read_text()
    values = {
        "TRANSCENDENCE_UPSTREAM": " ".join(f"server 127.0.0.1:{n.port};" for n in nodes),
        "TRANSCENDENCE_HTTP_LISTEN": f"127.0.0.1:{http_port}",
        "TRANSCENDENCE_HTTPS_LISTEN": f"127.0.0.1:{https_port}",
        "TRANSCENDENCE_HTTPS_REDIRECT_PORT": f":{https_port}",
        "TRANSCENDENCE_CERT": str(cert),
        "TRANSCENDENCE_KEY": str(key),
        # Docker's DNS in compose; unused here (these upstream servers are addresses).
        "TRANSCENDENCE_RESOLVER": "127.0.0.1",
    }
    site = for_this_nginx(template)
    for name, value in values.items():
        site = site.replace("${" + name + "}", value)
    prefix = tmp_path / "nginx"
    (prefix / "logs").mkdir(parents=True)
    conf = prefix / "nginx.conf"
    conf.write_text(
        "worker_processes 1;\n"
        f"pid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'logs' / 'error.log'} warn;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        f"  access_log {prefix / 'logs' / 'access.log'};\n"
        f"  client_body_temp_path {prefix / 'body'};\n"
        f"  proxy_temp_path {prefix / 'proxy'};\n"
        f"  fastcgi_temp_path {prefix / 'fastcgi'};\n"
        f"  uwsgi_temp_path {prefix / 'uwsgi'};\n"
        f"  scgi_temp_path {prefix / 'scgi'};\n"
        f"{site}\n}}\n"
    )
    process = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"https://localhost:{https_port}"
    context = ssl.create_default_context(cafile=str(cert))
    deadline = time.monotonic() + 20
    while True:  # nginx binds and forks its worker: ask until it answers
        try:
            if httpx.get(base + "/healthz", verify=context, timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode() if process.stdout else ""
                raise AssertionError(f"nginx did not start: {output}") from None
            time.sleep(0.1)
    try:
        yield {
            "port": https_port,
            "base": base,
            "http": f"http://localhost:{http_port}",
            "ssl": context,
            "wss": f"wss://localhost:{https_port}/ws",
            "nodes": nodes,
        }
    finally:
        process.terminate()
        process.wait(timeout=10)
        for node in nodes:
            node.stop()


_names = itertools.count(1)


def unique(prefix: str) -> str:
    """A username no other test of this file has used (they share one database)."""
    return f"{prefix}{next(_names)}"


def account(base: str, context, prefix: str) -> dict:
    name = unique(prefix)
    body = {"username": name, "email": f"{name}@example.test", "password": "a proper pass!"}
    with httpx.Client(base_url=base, verify=context) as http:
        assert http.post("/api/auth/signup", json=body).status_code == 201
        login = http.post("/api/auth/login", json=body)
        assert login.status_code == 200
        assert "Secure" in login.headers["set-cookie"]  # behind TLS, the cookie says so
        return login.json()


def test_http_is_redirected_and_https_carries_hsts(proxy):
    response = httpx.get(proxy["http"] + "/api/modules", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"].startswith("https://localhost:")
    with httpx.Client(base_url=proxy["base"], verify=proxy["ssl"]) as http:
        for path in ("/", "/api/modules", "/api/no-such-route"):
            response = http.get(path)
            assert response.status_code < 500
            # One header: from the app, which saw X-Forwarded-Proto https; nginx adds none.
            hsts = response.headers.get_list("strict-transport-security")
            assert len(hsts) == 1, (path, hsts)
            assert hsts[0].startswith("max-age=")


async def request(ws, type_: str, data: dict, frame_id: str) -> dict:
    await ws.send(json.dumps({"type": type_, "id": frame_id, "data": data}))
    async with asyncio.timeout(10):
        while True:
            frame = json.loads(await ws.recv())
            if frame.get("re") == frame_id:
                return frame


async def next_of(ws, type_: str, timeout: float = 30) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == type_:
                return frame


def open_sockets(node) -> int:
    """`transcendence_ws_connections` on one node, read from it directly (not the proxy)."""
    text = httpx.get(f"{node.url}/metrics", timeout=5).text
    line = next(x for x in text.splitlines() if x.startswith("transcendence_ws_connections "))
    return int(float(line.split()[1]))


async def tab(proxy, token: str):
    ws = await connect(proxy["wss"], ssl=proxy["ssl"])
    welcome = await request(ws, "auth", {"token": token}, "auth")
    assert welcome["type"] == "auth", welcome
    return ws


async def tabs_on_both_nodes(proxy, first: str, second: str):
    """Two sockets through the proxy, one on each node: nginx deals connections out in
    turn, so a second socket that landed with the first is opened again."""
    # An earlier test's sockets are gone once the nodes have processed their close.
    await asyncio.to_thread(
        wait_for,
        lambda: sum(open_sockets(node) for node in proxy["nodes"]) == 0,
        timeout=10,
        what="earlier tests' sockets to close",
    )
    a = await tab(proxy, first)
    for _ in range(4):
        b = await tab(proxy, second)
        if [open_sockets(node) for node in proxy["nodes"]] == [1, 1]:
            return a, b
        await b.close()
        # The node counts the close once it has processed it: no event to await here.
        await asyncio.to_thread(
            wait_for,
            lambda: sum(open_sockets(node) for node in proxy["nodes"]) == 1,
            timeout=10,
            what="the extra socket to close",
        )
    raise AssertionError("nginx never put the two sockets on different nodes")


async def test_a_remote_game_through_wss_across_two_nodes(proxy):
    alice = account(proxy["base"], proxy["ssl"], "alice")
    bob = account(proxy["base"], proxy["ssl"], "bob")
    # One socket on each node: the game's frames cross Redis to reach one of them.
    a, b = await tabs_on_both_nodes(proxy, alice["access"], bob["access"])
    async with a, b:
        quick = {"score_limit": 1, "paddle_height": 20}
        sent = await request(
            a, "pong.invite", {"user_id": bob["user"]["id"], "options": quick}, "inv"
        )
        invite_id = sent["data"]["invite_id"]
        answered = await request(b, "pong.answer", {"invite_id": invite_id, "accept": True}, "ans")
        game_id = answered["data"]["game_id"]
        for ws in (a, b):
            joined = await request(ws, "pong.join", {"game_id": game_id}, "join")
            assert joined["data"]["game_id"] == game_id
        async with asyncio.timeout(30):
            while True:
                frame = await next_of(b, "pong.state")
                if frame["data"]["phase"] == "finished":
                    break
    with httpx.Client(base_url=proxy["base"], verify=proxy["ssl"]) as http:
        history = http.get(
            "/api/pong/matches", headers={"Authorization": f"Bearer {alice['access']}"}
        ).json()
    assert history["items"][0]["id"] == game_id
    assert history["items"][0]["status"] == "finished"


async def test_a_chat_message_sent_over_https_arrives_live_over_wss(proxy):
    alice = account(proxy["base"], proxy["ssl"], "alice")
    bob = account(proxy["base"], proxy["ssl"], "bob")
    async with connect(proxy["wss"], ssl=proxy["ssl"]) as tab:
        welcome = await request(tab, "auth", {"token": bob["access"]}, "auth")
        assert welcome["type"] == "auth", welcome
        headers = {"Authorization": f"Bearer {alice['access']}"}
        async with httpx.AsyncClient(
            base_url=proxy["base"], verify=proxy["ssl"], headers=headers
        ) as http:
            chat = await http.post(
                "/api/chats/create_private/", json={"user_id": bob["user"]["id"]}
            )
            assert chat.status_code == 201, chat.text
            sent = await http.post(
                "/api/messages/", json={"chat": chat.json()["id"], "text": "через nginx"}
            )
            assert sent.status_code == 201, sent.text
        frame = await next_of(tab, "chat.message")
        assert frame["data"]["text"] == "через nginx"
        assert frame["data"]["chat_id"] == chat.json()["id"]


def client_at(proxy, address: str, **options) -> httpx.Client:
    """An HTTPS client whose connections leave from `address` (what nginx sees as the peer)."""
    transport = httpx.HTTPTransport(local_address=address, verify=proxy["ssl"])
    return httpx.Client(base_url=proxy["base"], transport=transport, **options)


def test_one_clients_failed_logins_do_not_stop_another_clients_login(proxy):
    with client_at(proxy, "127.0.0.3") as other:
        name = unique("bob")
        body = {"username": name, "email": f"{name}@example.test", "password": "a proper pass!"}
        assert other.post("/api/auth/signup", json=body).status_code == 201
    # 25 wrong passwords from one client, over many names (each name's own lock is
    # another matter): only that client's address may be throttled, never the proxy's.
    with client_at(proxy, "127.0.0.2") as guesser:
        for attempt in range(25):
            wrong = {"username": f"guess{attempt}", "password": "not the password"}
            assert guesser.post("/api/auth/login", json=wrong).status_code in (401, 429)
    # Another client, through the same nginx; a made-up X-Forwarded-For does not stick.
    with client_at(proxy, "127.0.0.3", headers={"X-Forwarded-For": "198.51.100.1"}) as other:
        login = other.post("/api/auth/login", json=body)
        assert login.status_code == 200, login.text
        sessions = other.get(
            "/api/auth/sessions", headers={"Authorization": f"Bearer {login.json()['access']}"}
        )
    assert [s["ip"] for s in sessions.json()["items"]] == ["127.0.0.3"]


def test_metrics_are_not_reachable_through_the_proxy(proxy):
    with httpx.Client(verify=proxy["ssl"]) as http:
        # nginx matches the normalised path, so no spelling of it slips through. (Whole
        # URLs: against a base URL, httpx would read "//metrics" as a host name.)
        for path in ("/metrics", "/metrics/", "//metrics", "/%6Detrics", "/metrics?name=x"):
            response = http.get(proxy["base"] + path)
            assert response.status_code == 404, path
            assert response.json()["error"]["code"] == "not_found"
            assert "transcendence_" not in response.text
    # Each node still serves them on the private side, for Prometheus.
    assert "transcendence_http_requests_total" in httpx.get(proxy["nodes"][0].url + "/metrics").text


@pytest.mark.browser
def test_a_page_reload_in_chromium_keeps_the_user_logged_in(proxy):
    """nginx on a port other than 443: the page's Origin carries that port, and so must the
    Host the app compares it with, or the reload's refresh is refused and the user is out."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: apt-get install -y chromium")
    assert proxy["port"] != 443
    from playwright.sync_api import expect, sync_playwright

    name = unique("carol")
    body = {"username": name, "email": f"{name}@example.test", "password": "a proper pass!"}
    with httpx.Client(base_url=proxy["base"], verify=proxy["ssl"]) as http:
        assert http.post("/api/auth/signup", json=body).status_code == 201
    refreshes: list[int] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            # The certificate is self-signed: the browser is told to accept it.
            context = browser.new_context(base_url=proxy["base"], ignore_https_errors=True)
            context.set_default_timeout(15_000)
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on(
                "response",
                lambda r: (
                    refreshes.append(r.status) if r.url.endswith("/api/auth/refresh") else None
                ),
            )
            page.goto("/login")
            page.get_by_label("Username or email").fill(name)
            page.get_by_label("Password").fill(body["password"])
            page.get_by_role("button", name="Log in", exact=True).click()
            # As long as the browser tests wait: a loaded CI machine, never a fixed sleep.
            menu = page.locator("#account-menu")
            expect(menu).to_be_visible(timeout=15_000)
            page.reload()
            expect(menu).to_be_visible(timeout=15_000)
            expect(page.locator("#connection")).to_have_attribute(
                "data-state", "online", timeout=15_000
            )
        finally:
            browser.close()
    assert refreshes and all(status == 200 for status in refreshes), refreshes
    assert not errors, errors
