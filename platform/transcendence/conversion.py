"""quart-schema's conversion of what a view returns, without its per-response set-up.

quart-schema wraps `app.make_response` so that a view may return a pydantic model, a
dataclass, or a dict or list holding them. For a dict or a list it builds a new pydantic
`TypeAdapter(dict)` (or `list`) on every response, which costs about 130 µs (schema
generation), more than the rest of answering `/healthz`. This wrapper does the same
conversion with one adapter per type, built once; every other kind of value (a model, an
attrs or msgspec object, a `Response`) and any non-default conversion setting go through
quart-schema's own code as before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import is_dataclass
from functools import wraps
from typing import Any

from pydantic import TypeAdapter
from pydantic.dataclasses import is_pydantic_dataclass
from quart import Quart
from quart_schema.conversion import convert_response_return_value

_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


def _adapter(kind: type) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        adapter = _ADAPTERS[kind] = TypeAdapter(kind)
    return adapter


def _plain(value: Any) -> bool:
    """What quart-schema would dump with `TypeAdapter(type(value))` (dicts, lists, dataclasses)."""
    if type(value) in (dict, list):
        return True
    kind = type(value)
    # A pydantic dataclass goes through quart-schema's own path (a `RootModel`).
    return is_dataclass(kind) and not is_pydantic_dataclass(kind)


def _convert(result: Any) -> Any:
    """`convert_response_return_value` for `body`, `(body, status)`, `(body, headers)` and
    `(body, status, headers)`, with the adapters cached."""
    if isinstance(result, tuple):
        body, rest = result[0], result[1:]
        if _plain(body) and all(isinstance(x, int) or x is None for x in rest):
            return (_adapter(type(body)).dump_python(body), *rest)
    elif _plain(result):
        return _adapter(type(result)).dump_python(result)
    return convert_response_return_value(result)


def install(app: Quart) -> None:
    """Replace quart-schema's `make_response` wrapper (call after `QuartSchema(app)`)."""
    config = app.config
    if config["QUART_SCHEMA_CONVERT_CASING"] or config["QUART_SCHEMA_PYDANTIC_DUMP_OPTIONS"]:
        return  # settings the cached path does not apply: keep quart-schema's own
    if config["QUART_SCHEMA_CONVERSION_PREFERENCE"] == "msgspec":
        return
    make_response: Callable[[Any], Awaitable[Any]] = app.make_response.__wrapped__  # type: ignore[attr-defined]

    @wraps(make_response)
    async def converted(result: Any) -> Any:
        return await make_response(_convert(result))

    app.make_response = converted  # type: ignore[method-assign]
