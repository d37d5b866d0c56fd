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
    forbidden = {
        tuple(c["source_modules"]): set(c["forbidden_modules"])
        for c in config["contracts"]
        if c["type"] == "forbidden"
    }
    assert forbidden[("transcendence",)] == {"transcendence_cli", *packages.values()}
    for module in modules:
        allowed = {module.name, *module.requires}
        expected = {"transcendence_cli"} | {packages[n] for n in packages if n not in allowed}
        assert forbidden[(packages[module.name],)] == expected, module.name
