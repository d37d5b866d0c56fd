"""The module system: discovery, introspection, toggles, requires, hooks."""

from __future__ import annotations

import asyncio
from importlib import metadata

import pytest

import transcendence
from transcendence.plugins import ENTRY_POINT_GROUP, ModuleError, load_modules
from transcendence.registry import read_enabled, stored_failures


def registry(app):
    return app.extensions["transcendence"].registry


async def test_api_modules_lists_what_each_module_registers(client):
    modules = {m["name"]: m for m in await (await client.get("/api/modules")).get_json()}
    sample = modules["sample"]
    assert sample["enabled"] is True
    assert sample["requires"] == []
    assert sample["version"] == "1.0"
    assert "GET /api/sample/notes" in sample["provides"]["routes"]
    assert "POST /api/sample/notes" in sample["provides"]["routes"]
    assert sample["provides"]["models"] == ["sample_note"]
    assert sample["provides"]["realtime"] == ["sample.echo"]
    assert sample["provides"]["commands"] == ["sample"]
    assert "sample_greeting" in sample["provides"]["hooks"]
    assert modules["sample_child"]["requires"] == ["sample"]
    # Its title and description in the other languages, for the browser (English: title).
    assert sample["title"] == "Sample"
    assert sample["translations"]["fr"]["title"] == "Exemple"
    assert set(sample["translations"]) == {"fr", "ru"}


@pytest.mark.modules("*")
async def test_every_built_in_module_names_itself_in_every_language(client):
    for module in await (await client.get("/api/modules")).get_json():
        if module["name"].startswith("sample"):
            continue
        for lang in ("fr", "ru"):
            texts = module["translations"][lang]
            assert texts["title"] and texts["description"], (module["name"], lang)


@pytest.mark.modules("*")
async def test_versions_come_from_the_package_metadata(client):
    """pyproject.toml is where a version is written: the built-in modules (one distribution)
    and the core report it; a module whose module_info() states one keeps its own."""
    installed = metadata.version("transcendence")
    modules = {m["name"]: m["version"] for m in await (await client.get("/api/modules")).get_json()}
    builtins = {
        ep.name
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)
        if ep.dist is not None and ep.dist.name == "transcendence"
    }
    assert builtins and {name: modules[name] for name in builtins} == dict.fromkeys(
        builtins, installed
    )
    assert modules["sample"] == "1.0"
    assert transcendence.__version__ == installed
    schema = await (await client.get("/openapi.json")).get_json()
    assert schema["info"]["version"] == installed


async def test_disabled_module_routes_answer_json_404(app, client):
    await registry(app).disable("sample", force=True)
    response = await client.get("/api/sample/notes")
    assert response.status_code == 404
    body = await response.get_json()
    assert body["error"]["code"] == "module_disabled"
    assert body["error"]["details"] == {"module": "sample"}
    listed = {m["name"]: m["enabled"] for m in await (await client.get("/api/modules")).get_json()}
    assert listed == {"sample": False, "sample_child": False}

    await registry(app).enable("sample")
    assert (await client.get("/api/sample/notes")).status_code == 200


async def test_disabling_keeps_the_data(app, client):
    await client.post("/api/sample/notes", json={"text": "kept"})
    await registry(app).disable("sample", force=True)
    await registry(app).enable("sample")
    items = (await (await client.get("/api/sample/notes")).get_json())["items"]
    assert [i["text"] for i in items] == ["kept"]


async def test_disabled_module_hookimpls_are_not_called(app, client):
    greetings = await (await client.get("/api/sample/greetings")).get_json()
    assert greetings["greetings"] == ["hello from sample", "hello from sample_child"]
    await registry(app).disable("sample_child")
    greetings = await (await client.get("/api/sample/greetings")).get_json()
    assert greetings["greetings"] == ["hello from sample"]


async def test_enabling_a_module_whose_requirement_is_off_fails_clearly(app):
    await registry(app).disable("sample", force=True)
    with pytest.raises(ModuleError, match="requires sample, which is disabled"):
        await registry(app).enable("sample_child")


async def test_disabling_a_required_module_fails_unless_forced(app):
    with pytest.raises(ModuleError, match="sample_child require"):
        await registry(app).disable("sample")
    assert registry(app).is_enabled("sample")
    changed = await registry(app).disable("sample", force=True)
    assert sorted(changed) == ["sample", "sample_child"]
    assert await read_enabled(registry(app).modules) == set()


async def test_unknown_module_is_a_clear_error(app):
    with pytest.raises(ModuleError, match="no module named 'nope' is installed"):
        await registry(app).enable("nope")


async def test_disabled_module_static_files_are_hidden(client):
    response = await client.get("/modules/sample/static/index.js")
    assert response.status_code == 404
    assert (await response.get_json())["error"]["code"] == "not_found"


def test_only_named_modules_load():
    with pytest.raises(ModuleError, match="not installed: ghost"):
        load_modules(["ghost"], [])


def test_extra_module_that_fails_to_import_is_a_clear_error():
    with pytest.raises(ModuleError, match="failed to import"):
        load_modules([], ["no_such_package_anywhere"])


def test_importing_platform_still_reaches_the_standard_library():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", "import platform; print(platform.system())"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() in {"Linux", "Darwin", "Windows"}


async def test_a_toggle_nobody_announced_still_reaches_the_node(app):
    """Whatever the bus, a node re-reads the module table every
    TRANSCENDENCE_MODULE_SYNC_INTERVAL: a toggle stored by a process that could not announce
    it (a CLI without REDIS_URL, or while Redis was down) is not lost."""
    from transcendence.registry import disable

    core = app.extensions["transcendence"]
    changed = asyncio.Event()
    core.registry.on_change(lambda enabled: changed.set())
    assert await disable(core.modules, "sample_child") == ["sample_child"]  # announced to no one
    async with asyncio.timeout(30):  # a hang guard: the re-read comes every 0.2 s here
        await changed.wait()
    assert not core.registry.is_enabled("sample_child")


# --- hook isolation, tracing and the lifecycle, with the "flaky" test module ---------------


@pytest.fixture
async def flaky_app(settings, request):
    """The sample modules plus "flaky" (requires "sample"; its startup fails on demand)."""
    import transcendence_flaky
    import transcendence_sample
    from testkit import empty_tables
    from transcendence.app import create_app

    transcendence_flaky.FAIL_STARTUP = False
    transcendence_sample.LIFECYCLE.clear()
    extra = {"extra_modules": [*settings.extra_modules, "transcendence_flaky"]}
    extra.update(getattr(request, "param", {}))
    app = create_app(settings.model_copy(update=extra))
    async with app.test_app():
        await empty_tables()
        await registry(app).refresh()
        yield app
    transcendence_flaky.FAIL_STARTUP = False


async def test_a_failing_hook_implementation_does_not_stop_the_others(flaky_app, caplog):
    """flaky's `sample_noted` raises; sample_child's (called after it) still runs, and the
    request succeeds. The failure is logged with the module's name, not shown to the user."""
    client = flaky_app.test_client()
    response = await client.post("/api/sample/notes", json={"text": "hi"})
    assert response.status_code == 201
    body = await response.get_json()
    assert body["noted_by"] == ["sample_child"]
    assert "flaky broke" not in await response.get_data(as_text=True)
    failures = [r for r in caplog.records if r.name == "transcendence.plugins"]
    assert [r.getMessage() for r in failures] == ["module flaky: hook sample_noted failed"]
    assert failures[0].exc_info is not None  # the traceback is in the log, for the operator


@pytest.mark.parametrize("flaky_app", [{"trace_hooks": True}], indirect=True)
async def test_trace_hooks_logs_each_call_with_its_module(flaky_app, caplog):
    """TRANSCENDENCE_TRACE_HOOKS: every hook call, the core's one-module calls (startup)
    included, is logged with its module and how long it took."""
    caplog.set_level("INFO", logger="transcendence.hooks")
    client = flaky_app.test_client()
    await client.get("/api/sample/greetings")
    await registry(flaky_app).disable("flaky")
    await registry(flaky_app).enable("flaky")
    traced = [r.getMessage() for r in caplog.records if r.name == "transcendence.hooks"]
    assert any(m.startswith("hook sample_greeting: module sample_child, sample, ") for m in traced)
    assert any(m.startswith("hook startup: module flaky, ") for m in traced), traced
    assert all(m.endswith(" ms") or m.endswith(" ms (awaited)") for m in traced), traced


async def test_trace_hooks_is_off_by_default(flaky_app, caplog):
    caplog.set_level("INFO", logger="transcendence.hooks")
    await flaky_app.test_client().get("/api/sample/greetings")
    assert not [r for r in caplog.records if r.name == "transcendence.hooks"]


async def test_a_module_whose_startup_fails_stays_off_until_the_next_toggle(flaky_app):
    import transcendence_flaky

    core = flaky_app.extensions["transcendence"]
    client = flaky_app.test_client()
    assert (await client.get("/api/flaky/ping")).status_code == 200
    await core.registry.disable("flaky")

    transcendence_flaky.FAIL_STARTUP = True
    assert await core.registry.enable("flaky") == ["flaky"]  # stored: the table says enabled
    response = await client.get("/api/flaky/ping")
    assert response.status_code == 404
    assert (await response.get_json())["error"]["code"] == "module_disabled"
    listed = {m["name"]: m for m in await (await client.get("/api/modules")).get_json()}
    assert listed["flaky"]["enabled"] is False
    assert listed["flaky"]["startup_error"] == "RuntimeError: flaky could not reach its service"
    assert listed["sample"]["startup_error"] is None
    detail = await (await client.get("/api/modules/flaky")).get_json()
    assert detail["startup_error"] == "RuntimeError: flaky could not reach its service"
    # Stored under this node's name, for the CLI (which sees no node's memory).
    stored = (await stored_failures())["flaky"]
    assert [(f["node"], f["error"]) for f in stored] == [
        (core.registry.node, "RuntimeError: flaky could not reach its service")
    ]

    # A re-read of an unchanged table does not retry it; the next toggle does.
    transcendence_flaky.FAIL_STARTUP = False
    await core.registry.refresh()
    assert (await client.get("/api/flaky/ping")).status_code == 404
    await core.registry.disable("flaky")
    await core.registry.enable("flaky")
    assert (await client.get("/api/flaky/ping")).status_code == 200
    detail = await (await client.get("/api/modules/flaky")).get_json()
    assert detail["enabled"] is True
    assert detail["startup_error"] is None
    assert await stored_failures() == {}


async def test_hooks_that_run_with_the_app_are_handed_its_core(flaky_app):
    import transcendence_sample
    from transcendence.core import core_of
    from transcendence.hub import current_hub, get_hub

    core = core_of(flaky_app)
    assert transcendence_sample.CORES["register_realtime"] is core
    assert transcendence_sample.CORES["startup"] is core
    assert core.app is flaky_app and core.hub is get_hub(flaky_app)
    assert transcendence_sample.CORES["hub when registering"] is core.hub
    # No process-wide "last hub serving": outside the app's context there is no current hub.
    assert current_hub() is None
    async with flaky_app.app_context():
        assert current_hub() is core.hub
    await core.registry.disable("sample", force=True)
    assert transcendence_sample.CORES["shutdown"] is core


async def test_startup_follows_requires_and_shutdown_runs_in_reverse(flaky_app):
    """ "flaky" sorts before "sample" but requires it: it starts after it, stops before it."""
    import transcendence_sample
    from transcendence.registry import disable, enable

    core = flaky_app.extensions["transcendence"]
    transcendence_sample.LIFECYCLE.clear()
    await disable(core.modules, "sample", force=True)  # as another node would: table only
    await core.registry.refresh()
    assert transcendence_sample.LIFECYCLE == ["stop flaky", "stop sample"]

    transcendence_sample.LIFECYCLE.clear()
    for name in ("sample", "flaky", "sample_child"):
        await enable(core.modules, name)
    await core.registry.refresh()  # one re-read sees all three: the order is the core's
    assert transcendence_sample.LIFECYCLE == ["start sample", "start flaky"]
