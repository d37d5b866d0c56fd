"""The one rule for database ids in requests: `DbId` in models, `<id:name>` in paths.

Every integer primary key is Tortoise's `IntField`: a 32-bit column on PostgreSQL (and
the range SQLite's driver can bind). A bigger number names nothing, but handed to the
database it is an error (asyncpg refuses it, SQLite overflows past 2**63), so it is
refused at the edge: a body, query or socket field typed `DbId` answers 400
`validation_error` / `invalid_data`, and a path with an out-of-range `<id:...>` is the
usual 404 `not_found`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, Map, ValidationError

# Ids are 32-bit integer columns on PostgreSQL (`fields.IntField`).
DB_INT = 2**31 - 1

DbId = Annotated[int, Field(ge=1, le=DB_INT)]


class IdConverter(IntegerConverter):
    """`<id:name>`: a positive integer that fits an id column, else 404."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(url_map, min=1, max=DB_INT)

    def to_python(self, value: str) -> Any:
        # Not werkzeug's ValidationError ("no match"): its matcher checks a rule's methods
        # before converting, so a POST to an id path that also has a GET rule would be a
        # 405 naming GET. No id out of this range exists: the answer is 404.
        try:
            return super().to_python(value)
        except ValidationError:
            raise NotFound() from None


CONVERTERS = {"id": IdConverter}
