"""The import-linter contracts (pyproject.toml, run by `make lint`) follow `requires`."""

from __future__ import annotations

import tomllib
from pathlib import Path

from transcendence.plugins import load_modules

ROOT = Path(__file__).resolve().parents[2]


def test_each_module_may_import_exactly_the_modules_it_requires():
    """A module's contract forbids every installed module it does not require: a new
    `requires` (or a new module) needs its contract changed with it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    modules = load_modules()
    packages = {m.name: f"transcendence_{m.name}" for m in modules}
    assert set(packages.values()) <= set(config["root_packages"])
    forbidden = {  # each module's own contract (pong's API one may list a single module too)
        tuple(c["source_modules"]): set(c["forbidden_modules"])
        for c in config["contracts"]
        if c["type"] == "forbidden" and not c["name"].endswith("only transcendence_pong.api")
    }
    assert forbidden[("transcendence",)] == {"transcendence_cli", *packages.values()}
    for module in modules:
        allowed = {module.name, *module.requires}
        expected = {"transcendence_cli"} | {packages[n] for n in packages if n not in allowed}
        assert forbidden[(packages[module.name],)] == expected, module.name


def test_every_pong_module_but_its_api_is_closed_to_the_modules_requiring_it():
    """pong's public API is `transcendence_pong.api`; the contract lists every other pong
    module, so a new one is closed too."""
    import pkgutil

    import transcendence_pong

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contract = next(
        c for c in config["contracts"] if c["name"].endswith("import only transcendence_pong.api")
    )
    requiring = {f"transcendence_{m.name}" for m in load_modules() if "pong" in m.requires}
    assert set(contract["source_modules"]) == requiring
    inside = {
        f"transcendence_pong.{m.name}" for m in pkgutil.iter_modules(transcendence_pong.__path__)
    }
    assert set(contract["forbidden_modules"]) == inside - {"transcendence_pong.api"}


def test_every_pong_module_has_a_place_in_pong_s_layers():
    """pong's layers contract places each of its modules, so a new one is placed too (and
    `make lint` then checks what it imports). Outside it: the hookspecs, the migrations and
    the terminal client (a package with its own contract)."""
    import pkgutil

    import transcendence_pong

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contract = next(c for c in config["contracts"] if c["name"].startswith("pong's layers"))
    placed = {
        name.strip() for layer in contract["layers"] for name in layer.replace(":", "|").split("|")
    }
    inside = {m.name for m in pkgutil.iter_modules(transcendence_pong.__path__)}
    assert placed == inside - {"hookspecs", "migrations", "terminal"}
