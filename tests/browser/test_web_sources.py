"""Static checks of web/: no HTML from strings, no inline code, vendored files, imports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
SCRIPTS = sorted(WEB.joinpath("js").rglob("*.js")) + sorted(
    (ROOT / "tests" / "support").rglob("static/*.js")
)


# The translations are checked with every module's by test_strings.py.


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_html_is_built_from_strings(path):
    source = path.read_text()
    for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        # dom.js names them only to refuse them.
        if path.name == "dom.js" and risky in {"innerHTML", "outerHTML"}:
            continue
        assert risky not in source, f"{path.name} uses {risky}"


def import_map() -> dict[str, str]:
    """The import map of index.html: the one inline script (the server sends its hash)."""
    html = (WEB / "index.html").read_text()
    found = re.findall(r'<script type="importmap">(.*?)</script>', html, flags=re.S)
    assert len(found) == 1, "index.html has one import map"
    return json.loads(found[0])["imports"]


@pytest.mark.parametrize("page", ["index.html", "docs.html"])
def test_the_page_has_no_inline_script_or_style(page):
    html = (WEB / page).read_text()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or tag == '<script type="importmap">', tag
    bodies = re.findall(r"<script(?![^>]*importmap)\b[^>]*>(.*?)</script>", html, flags=re.S)
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


MODULE_SCRIPTS = sorted(ROOT.glob("plugins/*/transcendence_*/static/**/*.js"))


def test_the_import_map_names_the_shell_api_and_modules_import_only_it():
    imports = import_map()
    assert set(imports) == {"@transcendence/shell"}
    for target in imports.values():
        assert target.startswith("%ASSETS%/"), target
        assert (WEB / target.removeprefix("%ASSETS%/")).is_file(), target
    bare = re.compile(r'(?:from|import)\s*\(?\s*"([^"./][^"]*)"')
    for path in SCRIPTS + MODULE_SCRIPTS:
        for name in bare.findall(path.read_text()):
            assert name in imports, f"{path.name} imports {name}, which the import map lacks"


def test_every_relative_import_resolves():
    for path in SCRIPTS + MODULE_SCRIPTS:
        for target in re.findall(r'(?:from|import)\s*\(?\s*"(\.{1,2}/[^"]+)"', path.read_text()):
            assert (path.parent / target).resolve().is_file(), f"{path.name} imports {target}"
