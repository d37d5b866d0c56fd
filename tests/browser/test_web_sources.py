"""Static checks of web/: translations complete, no HTML from strings, no inline code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
LANGUAGES = ("en", "fr", "ru")
PLURAL = re.compile(r"\.(zero|one|two|few|many|other)$")
SCRIPTS = sorted(WEB.joinpath("js").rglob("*.js")) + sorted(
    (ROOT / "tests" / "support").rglob("static/*.js")
)


def load(lang: str) -> dict[str, str]:
    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        duplicated = {k for k in keys if keys.count(k) > 1}
        assert not duplicated, f"{lang}.json repeats {sorted(duplicated)}"
        return dict(pairs)

    return json.loads((WEB / "i18n" / f"{lang}.json").read_text(), object_pairs_hook=no_duplicates)


def base_keys(entries: dict[str, str]) -> set[str]:
    return {PLURAL.sub("", key) for key in entries}


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_every_language_has_every_string(lang):
    english, other = load("en"), load(lang)
    assert base_keys(other) == base_keys(english)
    for key, text in english.items():
        plain = PLURAL.sub("", key)
        variants = [v for k, v in other.items() if PLURAL.sub("", k) == plain]
        assert variants, key
        for variant in variants:
            assert placeholders(variant) <= placeholders(text) | {"count"}, (lang, key)
    for key in other:
        if PLURAL.search(key):
            assert PLURAL.sub(".other", key) in other, f"{lang}: {key} needs an .other form"


def test_every_string_the_code_asks_for_exists():
    english = base_keys(load("en"))
    used = set()
    for path in SCRIPTS:
        if "support" in path.parts:
            continue  # modules bring their own strings
        used |= set(re.findall(r'\bt\("([a-z_]+\.[a-z_.]+)"', path.read_text()))
    html = (WEB / "index.html").read_text()
    used |= set(re.findall(r'data-i18n(?:-aria-label)?="([^"]+)"', html))
    assert used, "no translation keys found: the pattern is out of date"
    assert used - english == set()


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_html_is_built_from_strings(path):
    source = path.read_text()
    for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        # dom.js names them only to refuse them.
        if path.name == "dom.js" and risky in {"innerHTML", "outerHTML"}:
            continue
        assert risky not in source, f"{path.name} uses {risky}"


@pytest.mark.parametrize("page", ["index.html", "docs.html"])
def test_the_page_has_no_inline_script_or_style(page):
    html = (WEB / page).read_text()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, tag
    bodies = re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S)
    assert bodies and not any(body.strip() for body in bodies), "inline script"
    assert "<style" not in html and " style=" not in html and "javascript:" not in html
    assert "http://" not in html and "https://" not in html, "code from elsewhere"
    if page == "index.html":
        assert 'data-bs-theme="dark"' in html


def test_bootstrap_is_vendored_with_its_version_and_licence():
    vendor = WEB / "vendor"
    readme = (vendor / "README").read_text()
    assert "5.3.9" in readme and "MIT" in readme
    assert (vendor / "bootstrap" / "LICENSE").read_text().startswith("The MIT License")
    css = (vendor / "bootstrap" / "css" / "bootstrap.min.css").read_text()
    js = (vendor / "bootstrap" / "js" / "bootstrap.bundle.min.js").read_text()
    assert "Bootstrap  v5.3.9" in css and "Bootstrap v5.3.9" in js


def test_swagger_ui_is_vendored_with_its_version_and_licence():
    vendor = WEB / "vendor"
    readme = (vendor / "README").read_text()
    assert "Swagger UI 5.36.0" in readme and "Apache-2.0" in readme
    assert "Apache License" in (vendor / "swagger-ui" / "LICENSE").read_text()
    assert (vendor / "swagger-ui" / "NOTICE").read_text().startswith("swagger-ui")
    bundle = (vendor / "swagger-ui" / "swagger-ui-bundle.js").read_text()
    assert 'PACKAGE_VERSION:"5.36.0"' in bundle
    docs = (WEB / "docs.html").read_text()
    assert "%ASSETS%/vendor/swagger-ui/swagger-ui-bundle.js" in docs
    assert "%ASSETS%/js/docs.js" in docs


@pytest.mark.parametrize(
    "path",
    sorted(p for p in (WEB / "vendor").rglob("*") if p.suffix in {".js", ".css"}),
    ids=lambda p: str(p.relative_to(WEB)),
)
def test_vendored_files_point_at_no_missing_source_map(path):
    # A sourceMappingURL makes an open developer console fetch a map we do not ship (404).
    text = path.read_text()
    for found in re.findall(r"sourceMappingURL=(\S+?)(?:\s|\*/|$)", text):
        assert (path.parent / found).is_file(), f"{path.name} names {found}, not shipped"


def test_every_relative_import_resolves():
    for path in SCRIPTS:
        for target in re.findall(r'(?:from|import)\s*\(?\s*"(\.{1,2}/[^"]+)"', path.read_text()):
            assert (path.parent / target).resolve().is_file(), f"{path.name} imports {target}"
