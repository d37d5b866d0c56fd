"""The module system: discovery, introspection, toggles, requires, hooks."""

from __future__ import annotations

import asyncio

import pytest

from transcendence.plugins import ModuleError, load_modules
from transcendence.registry import read_enabled


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
