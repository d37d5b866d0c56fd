"""Monitoring as shipped in deploy/monitoring/, run with Debian's `prometheus` package.

promtool accepts the compose configuration and the alert rules, and the rules' own unit
tests pass. Then a Prometheus with the same rules and scrape settings (static targets
instead of Docker's DNS, a 1 s interval) scrapes two live `transcendence serve` nodes
while a little traffic runs (HTTP with a 401, two sockets, a chat message delivered live,
a Pong game, a module toggle), and every panel of the Grafana dashboard, its expression
sent to Prometheus's HTTP API as Grafana would send it, returns data.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import yaml
from websockets.asyncio.client import connect

from servers import ROOT, cli, free_port, running_nodes, wait_for

pytestmark = pytest.mark.system
MONITORING = ROOT / "deploy" / "monitoring"
DASHBOARD = MONITORING / "grafana" / "dashboards" / "transcendence.json"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
# What Grafana puts in place of its variables; the window holds many 1 s scrapes.
GRAFANA_VARIABLES = {"$__rate_interval": "30s", "$__interval": "1s", "$__range": "5m"}
# Prometheus scrapes once a second here; a minute covers a loaded machine's slowest start.
SAMPLES_DEADLINE = 90.0


@pytest.fixture(scope="module")
def binaries() -> None:
    for binary in (PROMETHEUS, PROMTOOL):
        if not Path(binary).exists():
            pytest.fail(f"{binary} is not installed (apt-get install prometheus)")


def promtool(*args: str) -> str:
    result = subprocess.run(
        [PROMTOOL, *args], cwd=MONITORING, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"promtool {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout + result.stderr


def test_promtool_accepts_the_configuration_the_rules_and_their_tests(binaries):
    assert "SUCCESS" in promtool("check", "config", "prometheus.yml")
    checked = promtool("check", "rules", "alerts.yml")
    assert "SUCCESS: 5 rules found" in checked
    assert "SUCCESS" in promtool("test", "rules", "alerts_test.yml")


def test_every_alert_the_operations_guide_promises_is_defined():
    rules = yaml.safe_load((MONITORING / "alerts.yml").read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    assert alerts == {
        "TranscendenceNodeDown",
        "TranscendenceHigh5xxRate",
        "TranscendenceTickOverBudget",
        "TranscendenceBusDisconnected",
        "TranscendenceDatabaseUnavailable",
    }
    guide = (ROOT / "docs" / "operations.md").read_text()
    assert all(alert in guide for alert in alerts)


def panels() -> list[dict]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [p for p in dashboard["panels"] if p["type"] != "row"]


def grafana_expr(expr: str) -> str:
    for name, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(name, value)
    return expr


def test_the_dashboard_covers_what_a_maintainer_watches():
    titles = {p["title"] for p in panels()}
    assert {
        "HTTP requests per second",
        "HTTP errors per second",
        "HTTP latency",
        "Sockets open",
        "Deliveries and drops",
        "Games running",
        "Tick time",
        "Database and bus reachable",
        "Module toggles",
    } <= titles
    for panel in panels():
        assert panel["datasource"]["uid"] == "prometheus", panel["title"]
        assert panel["targets"] and all(t["expr"] for t in panel["targets"]), panel["title"]
    provisioned = yaml.safe_load(
        (MONITORING / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )
    assert [d["uid"] for d in provisioned["datasources"]] == ["prometheus"]


# --- what the alerts read, without Prometheus -------------------------------------------


def sample(text: str, line_start: str) -> float:
    for line in text.splitlines():
        if line.startswith(line_start + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{line_start} is not on /metrics:\n{text}")


async def test_metrics_say_which_dependency_the_node_cannot_reach(app, client, monkeypatch):
    """What TranscendenceBusDisconnected and TranscendenceDatabaseUnavailable read."""
    from transcendence.bus import BusUnavailable

    text = await (await client.get("/metrics")).get_data(as_text=True)
    assert sample(text, 'transcendence_dependency_up{dependency="database"}') == 1
    assert sample(text, 'transcendence_dependency_up{dependency="bus"}') == 1

    async def down() -> None:
        raise BusUnavailable("Redis at redis://x is unavailable")

    monkeypatch.setattr(app.extensions["transcendence"].bus, "ping", down)
    text = await (await client.get("/metrics")).get_data(as_text=True)
    assert sample(text, 'transcendence_dependency_up{dependency="bus"}') == 0
    assert sample(text, 'transcendence_dependency_up{dependency="database"}') == 1
    # /readyz probes the same way and says the same.
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert (await ready.get_json())["error"]["details"]["bus"] == "unavailable: BusUnavailable"


async def test_a_toggle_is_counted_once_per_module_and_state(app, client):
    registry = app.extensions["transcendence"].registry
    text = await (await client.get("/metrics")).get_data(as_text=True)
    toggled = 'transcendence_module_toggles_total{module="sample_child",state="disabled"}'
    assert sample(text, toggled) == 0  # the node's first read of the table is no toggle
    await registry.disable("sample_child")
    await registry.enable("sample_child")
    text = await (await client.get("/metrics")).get_data(as_text=True)
    assert sample(text, toggled) == 1
    assert sample(text, toggled.replace("disabled", "enabled")) == 1
    assert sample(text, toggled.replace("sample_child", "sample")) == 0


# --- Prometheus scraping two live nodes -------------------------------------------------


def scrape_config(targets: list[str], rules: Path) -> dict:
    """The shipped configuration with the compose-only parts swapped: static targets for
    Docker's DNS, the rules file by absolute path, a 1 s interval for a short test."""
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    config["rule_files"] = [str(rules)]
    [job] = config["scrape_configs"]
    assert job["dns_sd_configs"][0]["names"] == ["app"]  # every replica of the compose app
    del job["dns_sd_configs"]
    job["static_configs"] = [{"targets": targets}]
    job["scrape_timeout"] = "1s"
    return config


@pytest.fixture
def nodes(cluster_env, tmp_path):
    cluster_env["TRANSCENDENCE_MODULES"] = "pong,chat"
    cluster_env["TRANSCENDENCE_WS_IDLE_TIMEOUT"] = "300"  # the test's sockets do not answer pings
    with running_nodes(cluster_env, tmp_path) as started:
        yield started


@pytest.fixture
def prometheus(binaries, nodes, tmp_path):
    config = scrape_config([f"127.0.0.1:{node.port}" for node in nodes], MONITORING / "alerts.yml")
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    promtool("check", "config", str(path))
    port = free_port()
    log = tmp_path / "prometheus.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={path}",
                f"--storage.tsdb.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        # An external process binding its port: no event to await, ask until it answers.
        wait_for(
            lambda: (
                process.poll() is None and httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
            ),
            timeout=60,
            what="prometheus to be ready",
        )
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def account(node, name: str) -> dict:
    body = {"username": name, "email": f"{name}@example.test", "password": "a proper pass!"}
    with httpx.Client(base_url=node.url, timeout=10) as http:
        assert http.post("/api/auth/signup", json=body).status_code == 201
        login = http.post("/api/auth/login", json=body)
        assert login.status_code == 200
        return login.json()


async def request(ws, type_: str, data: dict, frame_id: str) -> dict:
    await ws.send(json.dumps({"type": type_, "id": frame_id, "data": data}))
    async with asyncio.timeout(10):
        while True:
            frame = json.loads(await ws.recv())
            if frame.get("re") == frame_id:
                return frame


async def tab(node, token: str):
    ws = await connect(f"ws://127.0.0.1:{node.port}/ws")
    welcome = await request(ws, "auth", {"token": token}, "auth")
    assert welcome["type"] == "auth", welcome
    return ws


async def query(http: httpx.AsyncClient, expr: str) -> list[dict]:
    response = await http.get("/api/v1/query", params={"query": expr})
    body = response.json()
    assert response.status_code == 200 and body["status"] == "success", (expr, body)
    return body["data"]["result"]


def value(result: list[dict]) -> float:
    return sum(float(sample["value"][1]) for sample in result)


async def test_every_dashboard_panel_has_data_from_two_live_nodes(prometheus, nodes, cluster_env):
    a, b = nodes
    alice, bob = account(a, "alice"), account(b, "bob")
    assert httpx.get(f"{b.url}/api/me/", timeout=10).status_code == 401  # an error to count
    # A module toggled off and on again from the CLI: both nodes apply (and count) it.
    cli(cluster_env, "modules", "disable", "chat")
    wait_for(
        lambda: all(httpx.get(f"{n.url}/api/chats/").status_code == 404 for n in nodes),
        timeout=10,
        what="chat to be disabled on both nodes",
    )
    cli(cluster_env, "modules", "enable", "chat")
    wait_for(
        lambda: all(httpx.get(f"{n.url}/api/chats/").status_code == 401 for n in nodes),
        timeout=10,
        what="chat to be enabled again on both nodes",
    )

    alice_tab, bob_tab = await tab(a, alice["access"]), await tab(b, bob["access"])
    async with alice_tab, bob_tab:
        created = await request(alice_tab, "pong.create", {"mode": "local"}, "game")
        assert created["type"] == "pong.create", created
        # A chat message posted on bob's node reaches his socket there: a delivery.
        headers = {"Authorization": f"Bearer {alice['access']}"}
        async with httpx.AsyncClient(base_url=b.url, headers=headers, timeout=10) as http:
            chat = await http.post(
                "/api/chats/create_private/", json={"user_id": bob["user"]["id"]}
            )
            assert chat.status_code == 201, chat.text
            sent = await http.post("/api/messages/", json={"chat": chat.json()["id"], "text": "hi"})
            assert sent.status_code == 201, sent.text

        expressions = [
            (panel["title"], grafana_expr(target["expr"]))
            for panel in panels()
            for target in panel["targets"]
        ]
        # What the traffic above must show once Prometheus has scraped it.
        expected = {
            'up{job="transcendence"}': 2,
            'transcendence_dependency_up{dependency=~"database|bus"}': 4,
            # Gauges at their highest since the start: the local game may end meanwhile.
            "sum(max_over_time(transcendence_ws_connections[5m]))": 2,
            "sum(max_over_time(transcendence_pong_games_running[5m]))": 1,
            'count(transcendence_http_requests_total{route="/api/auth/signup",status="201"})': 2,
            'sum(transcendence_http_requests_total{route="/api/me/",status="401"})': 1,
            "sum(transcendence_ws_frames_out_total)": 1,
            'min(transcendence_module_toggles_total{module="chat",state="disabled"})': 1,
            'min(transcendence_module_toggles_total{module="chat",state="enabled"})': 1,
        }
        async with httpx.AsyncClient(base_url=prometheus, timeout=10) as http:
            deadline = time.monotonic() + SAMPLES_DEADLINE
            while True:
                # Prometheus scrapes on its own schedule: poll its API until the samples
                # are in (bounded), then every panel is asked once more below.
                empty = [t for t, e in expressions if not await query(http, e)]
                short = {e: v for e, v in expected.items() if value(await query(http, e)) < v}
                if not empty and not short:
                    break
                if time.monotonic() > deadline:
                    raise AssertionError(f"no data for panels {empty}; below expected: {short}")
                await asyncio.sleep(0.5)

            for title, expr in expressions:
                result = await query(http, expr)
                assert result, f"panel {title!r}: no data for {expr}"
            instances = {
                s["metric"]["instance"] for s in await query(http, "transcendence_ws_connections")
            }
            assert instances == {f"127.0.0.1:{n.port}" for n in nodes}
            # Healthy nodes raise none of the alerts.
            alerts = (await http.get("/api/v1/alerts")).json()["data"]["alerts"]
            assert [x["labels"]["alertname"] for x in alerts if x["state"] == "firing"] == []
