"""A third-party module tests itself with `transcendence.testing` alone.

`tests/support/guestbook` is laid out as a module's own project (its package, its
migrations, its tests). Its tests run here as a pytest run of their own, rooted in that
folder, with only that folder on the path: nothing of this suite (conftest.py, testkit,
the sample modules) is there to lean on.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

GUESTBOOK = Path(__file__).resolve().parents[1] / "support" / "guestbook"
TESTS = Path(__file__).resolve().parents[1]


def test_the_sample_modules_tests_pass_on_the_plugin_alone():
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env["PYTHONPATH"] = str(GUESTBOOK)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=GUESTBOOK,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # a hang guard, not a wait
    )
    # 0: tests ran and all passed (5 would be "no tests collected").
    assert run.returncode == 0, run.stdout + run.stderr
    assert " passed" in run.stdout.splitlines()[-1], run.stdout


def _imported(path: Path) -> set[str]:
    """The modules a file imports, `pytest_plugins = [...]` included."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
        elif isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "pytest_plugins"
            for target in node.targets
        ):
            names.update(ast.literal_eval(node.value))
    return names


def test_the_sample_module_uses_nothing_of_this_suite():
    # Whatever this suite could lend it: its helpers, sample modules and conftest files.
    ours = {p.stem for p in (TESTS / "support").iterdir() if p != GUESTBOOK} | {
        "conftest",
        "tests",
    }
    files = sorted(GUESTBOOK.rglob("*.py"))
    assert files
    borrowed = {
        f"{path.relative_to(GUESTBOOK)}: {name}"
        for path in files
        for name in _imported(path)
        if name.split(".")[0] in ours
    }
    assert not borrowed
    conftest = _imported(GUESTBOOK / "tests" / "conftest.py")
    assert "transcendence.testing" in conftest
