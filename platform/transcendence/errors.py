"""JSON errors: every failure answers `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field
from quart import Quart, Request, Response, jsonify
from quart_schema import RequestSchemaValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from tortoise.exceptions import DBConnectionError
from werkzeug.exceptions import HTTPException

from transcendence.bus import BusUnavailable
from transcendence.validation import problems

log = logging.getLogger("transcendence.errors")

# Werkzeug's status codes, named the way our clients read them.
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


class ErrorDetail(BaseModel):
    code: str = Field(description="What went wrong, for programs (`not_found`...)")
    message: str = Field(description="What went wrong, for people")
    details: Any = Field(
        description="More about it: for `validation_error` a list of problems, each with "
        "`field`, `constraint` (`required`, `min_length`, `max_length`, `pattern`, `min`, "
        "`max`, `choice`, `type`, or a rule's name) and its limits (`limit`, `min`, `max`...)"
    )


class ErrorResponse(BaseModel):
    """Every error answers this body, with its status."""

    error: ErrorDetail


class APIError(Exception):
    """Raise from any route or service to answer with a JSON error."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def error_response(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    response = jsonify(error_body(code, message, details))
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _outage_types() -> dict[str, tuple[type[BaseException], ...]]:
    database: tuple[type[BaseException], ...] = (DBConnectionError,)
    try:
        import asyncpg  # PostgreSQL's driver: an optional install

        database += (
            asyncpg.PostgresConnectionError,  # includes "connection does not exist"
            asyncpg.CannotConnectNowError,  # starting up or shutting down
            asyncpg.OperatorInterventionError,  # "terminating connection": a fast shutdown
            asyncpg.InterfaceError,  # "connection is closed", "pool is closing"
            # "cannot switch to state 15; another operation (2) is in progress": a COMMIT
            # on a connection the server terminated mid-operation (seen during a fast
            # shutdown; the transaction is not committed, so a retry is safe).
            asyncpg.InternalClientError,
        )
    except ImportError:  # SQLite-only installs
        pass
    return {
        "bus": (BusUnavailable, RedisConnectionError, RedisTimeoutError),
        "database": database,
    }


def outage_of(error: BaseException) -> str | None:
    """The dependency ("database" or "bus") an exception says is unreachable, else None.

    Walks the chain of causes: Tortoise and the bus wrap the driver's error.
    """
    types = _outage_types()
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for name, kinds in types.items():
            if isinstance(current, kinds):
                return name
        if isinstance(current, ConnectionError):
            # A refused or reset socket below a query: the database (the bus's own errors
            # are matched above, before their socket-level cause).
            return "database"
        current = current.__cause__ or current.__context__
    return None


UNAVAILABLE_MESSAGE = "the {} is unavailable right now; try again in a few seconds"
RETRY_AFTER = "5"


def _validation_details(error: Exception) -> Any:
    inner = getattr(error, "validation_error", None)
    errors = getattr(inner, "errors", None)
    if callable(errors):
        # Each problem with its field, constraint and limits: clients translate those.
        return problems(errors(include_url=False, include_context=True, include_input=False))
    return str(inner) if inner is not None else None


TOO_DEEP = "JSON nested too deeply"


def loads_json(text: str | bytes) -> Any:
    """`json.loads` where nesting too deep for the decoder is a `ValueError` like any bad JSON.

    The standard decoder recurses once per `[` or `{`: a body of a thousand of them (2 KB)
    exhausts Python's recursion limit, and a `RecursionError` is not a `ValueError`, so
    every caller that turns bad JSON into a 400 would let it through as a 500.
    """
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(TOO_DEEP) from None


class JSONRequest(Request):
    def on_json_loading_failed(self, error: Exception) -> Any:
        raise APIError(400, "invalid_json", "the request body is not valid JSON")

    async def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        try:
            return await super().get_json(force=force, silent=silent, cache=cache)
        except UnicodeDecodeError:
            # Quart decodes the body before parsing it: bytes that are not UTF-8 end here.
            if silent:
                return None
            raise APIError(400, "invalid_json", "the body is not valid UTF-8 JSON") from None
        except RecursionError:
            # Quart only hands ValueError to on_json_loading_failed (see loads_json).
            if silent:
                return None
            raise APIError(400, "invalid_json", f"the body is not valid JSON: {TOO_DEEP}") from None


def install(app: Quart) -> None:
    app.request_class = JSONRequest

    @app.errorhandler(APIError)
    async def _api_error(error: APIError) -> Response:
        return error_response(error.status, error.code, error.message, error.details, error.headers)

    @app.errorhandler(RequestSchemaValidationError)
    async def _validation(error: RequestSchemaValidationError) -> Response:
        return error_response(
            400,
            "validation_error",
            "the request does not match its schema",
            _validation_details(error),
        )

    @app.errorhandler(HTTPException)
    async def _http(error: HTTPException) -> Response:
        status = error.code or 500
        code = _CODES.get(status, "http_error")
        details = None
        headers = {}
        if status == 405:
            allowed = sorted(getattr(error, "valid_methods", None) or [])
            details = {"allowed": allowed}
            if allowed:
                headers["Allow"] = ", ".join(allowed)
        message = {
            404: "no such resource",
            405: "method not allowed here",
            413: "the request body is too large",
        }.get(status, (error.description or error.name or "error").rstrip("."))
        return error_response(status, code, message, details, headers)

    @app.errorhandler(Exception)
    async def _unexpected(error: Exception) -> Response:
        dependency = outage_of(error)
        if dependency is not None:
            # An outage is not a bug: one line, no traceback, and a status clients retry.
            log.warning("%s unavailable: %s: %s", dependency, type(error).__name__, error)
            return error_response(
                503,
                "unavailable",
                UNAVAILABLE_MESSAGE.format(dependency),
                {"dependency": dependency},
                {"Retry-After": RETRY_AFTER},
            )
        log.exception("unhandled error")
        return error_response(500, "internal_error", "something went wrong on our side")
