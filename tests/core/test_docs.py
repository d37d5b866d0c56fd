"""Docs are part of the feature: every hook is documented in the module guide."""

from __future__ import annotations

import inspect
from pathlib import Path

from transcendence import hookspecs

ROOT = Path(__file__).resolve().parents[2]


def hook_names() -> list[str]:
    return [
        name
        for name, func in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(func, "transcendence_spec")
    ]


def test_every_hook_has_a_docstring():
    for name in hook_names():
        assert inspect.getdoc(getattr(hookspecs, name)), name


def test_every_hook_is_in_the_module_guide():
    guide = (ROOT / "docs" / "modules.md").read_text()
    missing = [name for name in hook_names() if f"### {name}\n" not in guide]
    assert hook_names() and not missing, f"document these hooks in docs/modules.md: {missing}"
