"""Cursor pagination: `{"items": [...], "next": <cursor or null>}`, at most 50 items a page.

A cursor is opaque to clients (base64url of a small JSON value: the sort key of the last
item sent), so a page never repeats or skips rows when others are inserted meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, TypeVar

from pydantic import BaseModel, Field

from transcendence.errors import APIError
from transcendence.ids import DB_INT

MAX_LIMIT = 50
DEFAULT_LIMIT = 20
T = TypeVar("T")


class PageQuery(BaseModel):
    cursor: str | None = Field(None, max_length=512, description="`next` of the previous page")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


def encode_cursor(value: Any) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, kind: type[T]) -> T | None:
    """The value inside a cursor, None for the first page; 400 `invalid_cursor` if forged."""
    if not cursor:
        return None
    invalid = APIError(400, "invalid_cursor", "this cursor is not valid; start again")
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise invalid from exc
    if not isinstance(value, kind) or isinstance(value, bool):
        raise invalid
    if isinstance(value, int) and not -DB_INT <= value <= DB_INT:
        raise invalid  # the database would refuse to compare with it
    return value


def page(items: list[Any], limit: int, key: Any) -> tuple[list[Any], str | None]:
    """Cut a list fetched with `limit + 1` rows into a page and the cursor of the next one."""
    if len(items) <= limit:
        return items, None
    kept = items[:limit]
    return kept, encode_cursor(key(kept[-1]))
