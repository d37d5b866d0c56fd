"""Docs are part of the feature: the module guide documents every hook as it is.

The hooks are read from a live plugin manager with every installed module loaded, so the
hooks modules declare (`add_hookspecs`) count as much as the core's, and a hookspec that
changes, appears or goes fails here until docs/modules.md says so.
"""

from __future__ import annotations

import ast
import inspect
import re
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from transcendence.plugins import ENTRY_POINT_GROUP, load_modules

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "modules.md"
CORE_SPECS = "transcendence.hookspecs"


class _Written:
    """An annotation as the hookspec's source writes it (they are strings under
    `from __future__ import annotations`, and may name types imported for type checking
    only): rendered bare, where `inspect` would quote it."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _bare(annotation: Any) -> Any:
    return _Written(annotation) if isinstance(annotation, str) else annotation


def signature_line(name: str, function: Any) -> str:
    """`name(arg: Type, ...) -> Return`, as `inspect.signature` renders the spec (a spec
    declared on a class loses its `self`, as pluggy's calls do)."""
    signature = inspect.signature(function)
    parameters = [
        parameter.replace(annotation=_bare(parameter.annotation))
        for parameter in signature.parameters.values()
        if parameter.name != "self"
    ]
    signature = signature.replace(
        parameters=parameters, return_annotation=_bare(signature.return_annotation)
    )
    return f"{name}{signature}"


def _live_hooks():
    modules = load_modules()  # every installed module: their hookspecs are added too
    hooks = {
        name: caller
        for name, caller in vars(modules.pm.hook).items()
        if getattr(caller, "spec", None) is not None
    }
    builtin = {
        ep.name
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)
        if ep.dist is not None and ep.dist.name == "transcendence"
    }
    # A module's name by the top-level package of its plugin (where its hookspecs live).
    packages = {m.plugin.__name__.partition(".")[0]: m.name for m in modules}
    return hooks, builtin, packages


HOOKS, BUILTIN, PACKAGES = _live_hooks()


def guide_sections() -> dict[str, dict[str, str]]:
    """`{"## title": {"### hook": text}}` for the guide's hook sections."""
    sections: dict[str, dict[str, str]] = {}
    for part in re.split(r"^## ", GUIDE.read_text(), flags=re.MULTILINE)[1:]:
        title, _, body = part.partition("\n")
        if title.startswith("Hooks"):
            hooks = re.split(r"^### ", body, flags=re.MULTILINE)[1:]
            sections[title] = {h.partition("\n")[0].strip(): h.partition("\n")[2] for h in hooks}
    return sections


def documented() -> dict[str, str]:
    return {name: text for hooks in guide_sections().values() for name, text in hooks.items()}


def _line(text: str, prefix: str) -> str | None:
    return next((line for line in text.splitlines() if line.startswith(prefix)), None)


def test_the_live_hooks_include_those_modules_declare():
    # Otherwise the checks below would cover the core's hooks only.
    assert {CORE_SPECS} < {caller.spec.namespace.__name__ for caller in HOOKS.values()}


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_every_hook_has_a_docstring(name):
    assert inspect.getdoc(HOOKS[name].spec.function), name


def test_the_guide_documents_every_hook_and_no_other():
    guide = set(documented())
    assert not set(HOOKS) - guide, f"document these hooks in docs/modules.md: {set(HOOKS) - guide}"
    assert not guide - set(HOOKS), (
        f"docs/modules.md documents hooks that are gone: {guide - set(HOOKS)}"
    )


def test_core_hooks_and_module_hooks_are_in_their_own_sections():
    sections = guide_sections()
    assert set(sections) == {"Hooks", "Hooks declared by modules"}
    core = {n for n, caller in HOOKS.items() if caller.spec.namespace.__name__ == CORE_SPECS}
    assert set(sections["Hooks"]) == core
    assert set(sections["Hooks declared by modules"]) == set(HOOKS) - core


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_the_guide_gives_each_hook_its_signature(name):
    expected = f"`{signature_line(name, HOOKS[name].spec.function)}`"
    text = documented().get(name, "")
    first = next((line for line in text.splitlines() if line.strip()), "")
    assert first == expected, f"docs/modules.md, ### {name}: the first line should read {expected}"


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_the_guide_names_the_built_in_modules_implementing_each_hook(name):
    modules = sorted({impl.plugin_name for impl in HOOKS[name].get_hookimpls()} & BUILTIN)
    expected = "Implemented by: " + (
        ", ".join(modules) + "." if modules else "none of the built-in modules."
    )
    line = _line(documented().get(name, ""), "Implemented by:")
    assert line == expected, f"docs/modules.md, ### {name}: should say {expected!r}"


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_the_guide_names_the_module_declaring_a_hook(name):
    namespace = HOOKS[name].spec.namespace.__name__
    if namespace == CORE_SPECS:
        return
    owner = PACKAGES[namespace.partition(".")[0]]
    expected = f"Declared by: {owner} (`{namespace}`)."
    line = _line(documented().get(name, ""), "Declared by:")
    assert line == expected, f"docs/modules.md, ### {name}: should say {expected!r}"


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_each_hooks_example_is_an_implementation_the_spec_accepts(name):
    """The example defines the hook and takes only arguments the spec has (pluggy refuses
    an implementation that names one it lacks)."""
    blocks = re.findall(r"```python\n(.*?)```", documented().get(name, ""), flags=re.DOTALL)
    assert blocks, f"docs/modules.md, ### {name}: give an example"
    definitions = [
        node
        for block in blocks
        for node in ast.walk(ast.parse(block))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name
    ]
    assert definitions, f"docs/modules.md, ### {name}: the example should define {name}()"
    accepted = set(HOOKS[name].spec.argnames)
    for definition in definitions:
        assert {a.arg for a in definition.args.args} <= accepted, (name, accepted)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_writing_a_game_quotes_the_second_game_as_it_is():
    """The guide's "Writing a game" is built from tests/support/transcendence_nim: each
    example is a passage of its code or tests, as they stand (indentation aside)."""
    section = re.split(r"^## ", GUIDE.read_text(), flags=re.MULTILINE)
    [body] = [part for part in section if part.startswith("Writing a game\n")]
    blocks = re.findall(r"```python\n(.*?)```", body, flags=re.DOTALL)
    assert len(blocks) >= 5
    sources = [*(ROOT / "tests" / "support" / "transcendence_nim").glob("*.py")]
    code = "\n".join(
        "\n".join(_lines(path.read_text()))
        for path in [*sources, ROOT / "tests" / "games" / "test_nim.py"]
    )
    for block in blocks:
        assert "\n".join(_lines(block)) in code, f"not in the second game:\n{block}"
