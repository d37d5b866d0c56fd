"""Validation problems as data a client can translate: field, constraint and its limits.

A `validation_error` lists each problem as `{"loc", "msg", "type", "field", "constraint",
...limits}`. `msg` is pydantic's English sentence, for people reading the raw API; a client
shows the problem in its reader's language from `field` and `constraint` (and the limits:
`limit`, `min`, `max`, `expected`, `prefix`), never from `msg`.

Hand-written rules (a validator function) raise `rule_error(constraint, message, **limits)`
so that their problems carry a constraint too, instead of pydantic's opaque `value_error`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic_core import PydanticCustomError

# pydantic's error types → the constraint a client translates, and the context key holding
# the constraint's one limit (renamed `limit`).
_BUILT_IN: dict[str, tuple[str, str | None]] = {
    "missing": ("required", None),
    "string_too_short": ("min_length", "min_length"),
    "string_too_long": ("max_length", "max_length"),
    "too_short": ("min_items", "min_length"),
    "too_long": ("max_items", "max_length"),
    "string_pattern_mismatch": ("pattern", None),
    "greater_than_equal": ("min", "ge"),
    "greater_than": ("min", "gt"),
    "less_than_equal": ("max", "le"),
    "less_than": ("max", "lt"),
    "literal_error": ("choice", None),
    "enum": ("choice", None),
    "extra_forbidden": ("unknown_field", None),
    "value_error": ("invalid", None),
    "assertion_error": ("invalid", None),
}
# Context values a client may put in its sentence (numbers and short words only).
_LIMITS = ("limit", "min", "max", "expected", "prefix")


def rule_error(constraint: str, message: str, **limits: int | str) -> PydanticCustomError:
    """A validator's refusal with a constraint name (`pattern`, `reserved`...) and limits.

    `message` is the English text of `msg` and may use the limits: `"{min} to {max} letters"`.
    """
    return PydanticCustomError(constraint, message, limits)


def _constraint(error_type: str) -> tuple[str, str | None]:
    if error_type in _BUILT_IN:
        return _BUILT_IN[error_type]
    if error_type.endswith(("_type", "_parsing")) or error_type.startswith("url_"):
        return "type", None  # "a number", "a string", "a date"...
    return error_type, None  # a rule_error: its constraint is its type


def _field(loc: Iterable[Any]) -> str | None:
    names = [part for part in loc if isinstance(part, str)]
    return names[-1] if names else None


def _scalar(value: Any) -> bool:
    return isinstance(value, (int, float, str)) and not isinstance(value, bool)


def problem(error: Mapping[str, Any]) -> dict[str, Any]:
    """One pydantic error (from `errors(include_context=True)`) as a translatable problem."""
    error_type = str(error.get("type", ""))
    constraint, limit_key = _constraint(error_type)
    context = error.get("ctx") or {}
    out: dict[str, Any] = {
        "loc": list(error.get("loc", ())),
        "msg": error.get("msg"),
        "type": error_type,
        "field": _field(error.get("loc", ())),
        "constraint": constraint,
    }
    if limit_key is not None and _scalar(context.get(limit_key)):
        out["limit"] = context[limit_key]
    for key in _LIMITS:
        if key not in out and _scalar(context.get(key)):
            out[key] = context[key]
    return out


def problems(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [problem(error) for error in errors]
