"""No text a reader sees bypasses the translations (no browser).

Every script of `web/js/` and of each module's `static/` is parsed (tree-sitter's JavaScript
grammar) and every place that puts text on the page is checked: `text`, `title`, `alt`,
`placeholder`, `aria-label`, `label` and `body` values (h()'s attributes, toasts, buttons),
h()'s text children, assignments to `textContent` / `title` / `placeholder` / `ariaLabel`,
`setAttribute` of those, `append(...)`-like calls and `confirm()`. A string literal there
that holds a word fails the test, unless it is a translation key (`area.key`) or on the small
allow-list of non-words below. Text comes from `t("...")`, from the server's data (names,
messages people wrote) or from numbers, never from an English literal.

`web/index.html` is checked the same way: its visible text and labels carry `data-i18n`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
import tree_sitter_javascript
from tree_sitter import Language, Node, Parser

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((ROOT / "web" / "js").rglob("*.js")) + sorted(
    ROOT.glob("plugins/*/transcendence_*/static/**/*.js")
)
WORD = re.compile(r"[A-Za-zÀ-ÿА-Яа-яЁё]{2,}")
KEY = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_-]+)+$")  # a translation key: t() reads it
# Words that are the same in every language: names of things, not sentences.
ALLOWED = {
    "Transcendence",  # the product's name
}
VISIBLE_KEYS = {"text", "title", "alt", "placeholder", "aria-label", "ariaLabel", "label", "body"}
VISIBLE_PROPERTIES = {"textContent", "innerText", "title", "placeholder", "ariaLabel", "alt"}
VISIBLE_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt"}
TEXT_CALLS = {"append", "prepend", "replaceChildren", "before", "after", "createTextNode"}
DIALOGS = {"confirm", "prompt"}

parser = Parser(Language(tree_sitter_javascript.language()))


def literal_text(node: Node) -> str | None:
    """The text of a string or template literal, without its `${...}` parts."""
    if node.type == "string":
        return "".join(c.text.decode() for c in node.children if c.type == "string_fragment")
    if node.type == "template_string":
        return " ".join(c.text.decode() for c in node.children if c.type == "string_fragment")
    return None


def literals(node: Node) -> Iterator[Node]:
    """The literals an expression may evaluate to: through `a ? b : c`, `a || b`, `a + b`,
    parentheses and arrays (h()'s children)."""
    if literal_text(node) is not None:
        yield node
    elif node.type in {"ternary_expression", "parenthesized_expression", "array"}:
        skip = node.child_by_field_name("condition")
        for child in node.named_children:
            if child != skip:
                yield from literals(child)
    elif node.type == "binary_expression":
        operator = node.child_by_field_name("operator")
        if operator is not None and operator.text.decode() in {"||", "??", "+"}:
            for side in ("left", "right"):
                child = node.child_by_field_name(side)
                if child is not None:
                    yield from literals(child)


def key_name(node: Node) -> str:
    return literal_text(node) if node.type == "string" else node.text.decode()  # type: ignore[return-value]


def callee_name(node: Node) -> str:
    function = node.child_by_field_name("function")
    if function is None:
        return ""
    if function.type == "member_expression":
        prop = function.child_by_field_name("property")
        return prop.text.decode() if prop is not None else ""
    return function.text.decode()


def visible_literals(tree_root: Node) -> Iterator[Node]:
    stack = [tree_root]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type == "pair":
            key, value = node.child_by_field_name("key"), node.child_by_field_name("value")
            if key is not None and value is not None and key_name(key) in VISIBLE_KEYS:
                yield from literals(value)
        elif node.type == "assignment_expression":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is not None and right is not None and left.type == "member_expression":
                prop = left.child_by_field_name("property")
                if prop is not None and prop.text.decode() in VISIBLE_PROPERTIES:
                    yield from literals(right)
        elif node.type == "call_expression":
            name = callee_name(node)
            arguments = node.child_by_field_name("arguments")
            args = arguments.named_children if arguments is not None else []
            if name == "h":
                for child in args[2:]:  # h(tag, attributes, ...children)
                    yield from literals(child)
            elif name == "setAttribute" and len(args) == 2:
                if literal_text(args[0]) in VISIBLE_ATTRIBUTES:
                    yield from literals(args[1])
            elif name in TEXT_CALLS or name in DIALOGS:
                if name == "append" and len(args) == 2 and literal_text(args[0]) is not None:
                    continue  # FormData / URLSearchParams: append(name, value)
                for child in args:
                    yield from literals(child)


def untranslated(text: str) -> bool:
    """Holds a word that is neither a translation key nor on the allow-list."""
    text = " ".join(text.split())
    if KEY.match(text):
        return False
    return any(word not in ALLOWED for word in WORD.findall(text))


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_visible_literal_bypasses_the_translations(path):
    tree = parser.parse(path.read_bytes())
    found = [
        f"line {node.start_point[0] + 1}: {node.text.decode()}"
        for node in visible_literals(tree.root_node)
        if untranslated(literal_text(node) or "")
    ]
    assert not found, "text shown without t():\n" + "\n".join(found)


def test_the_checker_finds_what_it_looks_for():
    """The patterns above, on code written to break every rule once."""
    code = """
      h("p", { text: "Hello", title: ok ? "Yes" : t("a.b") }, "Raw child", [`Row ${n} left`]);
      el.textContent = "Saved"; el.setAttribute("aria-label", "Close");
      box.append("Done"); window.confirm("Sure?"); form.append("avatar", file);
      h("p", { text: t("home.title"), class: "x", "aria-label": "chat.nav" }, "—", `${a} · ${b}`);
    """.encode()
    found = sorted(
        literal_text(node) or ""
        for node in visible_literals(parser.parse(code).root_node)
        if untranslated(literal_text(node) or "")
    )
    assert found == sorted(
        ["Hello", "Yes", "Raw child", "Row   left", "Saved", "Close", "Done", "Sure?"]
    )


class _Page(HTMLParser):
    """Text and labels of index.html that carry no data-i18n."""

    VOID = {"meta", "link", "img", "input", "br", "hr", "source"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name in VISIBLE_ATTRIBUTES:
            value = attributes.get(name)
            translated = f"data-i18n-{name}" in attributes
            if value and not translated and untranslated(value):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag not in self.VOID:
            self.stack.append((tag, attributes))

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        if not self.stack or self.stack[-1][0] in {"script", "style", "title"}:
            return
        # An element that declares its language (the <noscript> sentence, in each language).
        declared = any("lang" in attributes for _, attributes in self.stack[1:])
        if "data-i18n" not in self.stack[-1][1] and not declared and untranslated(data):
            self.found.append(f"<{self.stack[-1][0]}> {data.strip()!r}")


def test_the_page_translates_its_visible_text():
    page = _Page()
    page.feed((ROOT / "web" / "index.html").read_text(encoding="utf-8"))
    assert not page.found, page.found
