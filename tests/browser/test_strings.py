"""Every string catalog of the browser code: the shell's and each module's (no browser).

A catalog is a folder of `<lang>.json` files, flat "area.key" → text: `web/i18n/` for the
shell, `static/i18n/` for each module (docs/frontend.md, "Translations"). One test checks them
all, so a module added tomorrow is checked without a new parser.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
LANGUAGES = ("en", "fr", "ru")
PLURAL = re.compile(r"\.(zero|one|two|few|many|other)$")
USED = re.compile(r'\bt\("([a-z0-9_]+\.[a-z0-9_.]+)"')


def module_catalogs() -> list[Path]:
    statics = sorted(ROOT.glob("plugins/*/transcendence_*/static")) + sorted(
        (ROOT / "tests" / "support").glob("*/static")
    )
    return [static / "i18n" for static in statics]


CATALOGS = [WEB / "i18n", *module_catalogs()]


def load(path: Path) -> dict[str, str]:
    def no_duplicates(pairs: list[tuple[str, str]]) -> dict[str, str]:
        keys = [key for key, _ in pairs]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        assert not repeated, f"{path} repeats {repeated}"
        return dict(pairs)

    entries = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=no_duplicates)
    assert isinstance(entries, dict) and entries, f"{path} is not an object of strings"
    assert all(isinstance(text, str) for text in entries.values()), path
    return entries


def base(key: str) -> str:
    return PLURAL.sub("", key)


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


def used_keys(catalog: Path) -> set[str]:
    """Literal `t("area.key")` in the catalog's code (and `data-i18n` in the shell's page)."""
    if catalog.parent == WEB:
        scripts = sorted((WEB / "js").rglob("*.js"))
        html = (WEB / "index.html").read_text()
        keys = set(re.findall(r'data-i18n(?:-aria-label)?="([^"]+)"', html))
    else:
        scripts = sorted(catalog.parent.rglob("*.js"))
        keys = set()
    for script in scripts:
        keys |= set(USED.findall(script.read_text(encoding="utf-8")))
    return keys


def test_modules_with_browser_code_have_a_catalog():
    for catalog in module_catalogs():
        assert (catalog.parent / "index.js").is_file(), catalog
    assert len(module_catalogs()) >= 6  # chat, oauth42, pong, stats, tournament, sample


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_language_has_every_string_with_its_placeholders(catalog):
    tables = {lang: load(catalog / f"{lang}.json") for lang in LANGUAGES}
    # The placeholders of a key: those of its English text (all plural forms together).
    wanted: dict[str, set[str]] = {}
    for key, text in tables["en"].items():
        wanted.setdefault(base(key), set()).update(placeholders(text))
    for lang, entries in tables.items():
        assert {base(key) for key in entries} == set(wanted), (
            f"{lang}: missing {sorted(set(wanted) - {base(k) for k in entries})}, "
            f"extra {sorted({base(k) for k in entries} - set(wanted))}"
        )
        for key, text in entries.items():
            assert placeholders(text) == wanted[base(key)], f"{lang}: {key} has {text!r}"
            if PLURAL.search(key):
                assert PLURAL.sub(".other", key) in entries, f"{lang}: {key} needs an .other form"
    # Every key the code asks for by name exists (a module may use the shell's strings).
    known = set(wanted) | {base(key) for key in load(WEB / "i18n" / "en.json")}
    used = used_keys(catalog)
    assert used, "no translation keys found in the code: the pattern is out of date"
    assert used <= known, sorted(used - known)
