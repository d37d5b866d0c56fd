"""The OpenAPI document: quart-schema's, plus what every client must know to call a route.

quart-schema documents what a route's decorators declare (bodies, query strings, successful
responses). This provider adds, for every operation:

- `security: [{"bearer": []}]` unless the route is on the core's one public list
  (`transcendence.auth.is_public`), with the `bearer` scheme declared in `components`;
- the error responses the platform itself can give it, each with the shared error body
  (`{"error": {"code", "message", "details"}}`, `components.schemas.ErrorResponse`):
  401 when it needs a token, 400 when it validates a body or a query string, 413 when it
  reads a body, 404 when its path names something (an id, a name) or its module can be
  disabled (`module_disabled`), 503 when the database or the bus is down;
- the errors its own code raises, declared next to the route with `@error_responses(...)`,
  and its answers that are not JSON (`@other_response(204, ...)`: no body, an image);
- id path parameters bounded as the database bounds them (`transcendence.ids`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, TypeVar

from quart_schema.extension import SecuritySchemeInput
from quart_schema.openapi import HttpSecurityScheme, OpenAPIProvider
from werkzeug.routing import BaseConverter, Rule

from transcendence.auth import is_public
from transcendence.core import core_of
from transcendence.errors import ErrorResponse
from transcendence.ids import DB_INT, IdConverter

F = TypeVar("F", bound=Callable[..., Any])
ERRORS_ATTRIBUTE = "_transcendence_error_responses"
OTHERS_ATTRIBUTE = "_transcendence_other_responses"
BEARER = "bearer"
SECURITY_SCHEMES: dict[str, SecuritySchemeInput] = {
    BEARER: HttpSecurityScheme(
        scheme="bearer",
        bearer_format="JWT",
    )
}

# What each status means on this API; a route's own codes are in its description.
ERROR_MEANINGS = {
    400: "Bad input: `validation_error` (details list each problem), `invalid_json`, or a "
    "route's own code",
    401: "No valid access token (`unauthorized`, `invalid_token`, `token_expired`, "
    "`token_revoked`), or wrong credentials on the login steps",
    403: "Authenticated but not allowed (`forbidden`, or a route's own code)",
    404: "Nothing of that id or name (`not_found`), or the route's module is disabled "
    "(`module_disabled`)",
    409: "Conflicts with the current state (a route's own code)",
    413: "The request body is larger than the server accepts (`payload_too_large`)",
    415: "The body's media type is not the one this route reads",
    422: "Understood but refused (a route's own code)",
    429: "Too many attempts or requests: retry after `Retry-After` seconds",
    503: "A dependency is unavailable (`unavailable`, `details.dependency`), or the feature "
    "is not configured: retry after `Retry-After` seconds",
}
_NO_DEPENDENCY = {"/healthz", "/openapi.json"}


def error_responses(*statuses: int) -> Callable[[F], F]:
    """Declare the error statuses a route's own code answers, beyond the common ones."""
    unknown = set(statuses) - set(ERROR_MEANINGS)
    if unknown:
        raise ValueError(f"no meaning written for {sorted(unknown)} in ERROR_MEANINGS")

    def decorate(view: F) -> F:
        declared = set(getattr(view, ERRORS_ATTRIBUTE, ()))
        setattr(view, ERRORS_ATTRIBUTE, declared | set(statuses))
        return view

    return decorate


def other_response(
    status: int, description: str, media_types: tuple[str, ...] = ()
) -> Callable[[F], F]:
    """Document a response that is not a JSON model: 204/304 without a body, an image...

    (quart-schema's `document_response` describes JSON bodies only.)
    """

    def decorate(view: F) -> F:
        declared = dict(getattr(view, OTHERS_ATTRIBUTE, {}))
        response: dict[str, Any] = {"description": description}
        if media_types:
            binary = {"schema": {"type": "string", "format": "binary"}}
            response["content"] = {media_type: binary for media_type in media_types}
        declared[status] = response
        setattr(view, OTHERS_ATTRIBUTE, declared)
        return view

    return decorate


def _error_response(status: int) -> dict[str, Any]:
    return {
        "description": ERROR_MEANINGS[status],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    }


class Provider(OpenAPIProvider):
    def schema(self) -> dict[str, Any]:
        schema = super().schema()
        components = schema["components"]["schemas"]
        error_schema = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(error_schema.pop("$defs", {}))
        components["ErrorResponse"] = error_schema
        return schema

    def build_path_parameter(self, name: str, converter: BaseConverter) -> dict[str, Any]:
        parameter = super().build_path_parameter(name, converter)
        if isinstance(converter, IdConverter):
            parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": DB_INT}
        return parameter

    def build_querystring_parameters(
        self, model: type[Any]
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        # quart-schema leaves the model's `required` list out of the parameters: a query
        # string the route cannot do without (`GET /api/messages/?chat_id=`) must say so.
        parameters, definitions = super().build_querystring_parameters(model)
        schema = model.model_json_schema() if hasattr(model, "model_json_schema") else {}
        required = set(schema.get("required", ()))
        for parameter in parameters:
            if parameter["name"] in required:
                parameter["required"] = True
        return parameters, definitions

    def build_request_body(self, model: type[Any], source: Any) -> tuple[dict, dict]:
        # A validated body is never optional: without one the route answers 400.
        body, definitions = super().build_request_body(model, source)
        body["required"] = True
        return body, definitions

    def build_paths(self, rule: Rule) -> tuple[dict, dict]:
        paths, components = super().build_paths(rule)
        view = self._app.view_functions[rule.endpoint]
        core = core_of(self._app)  # type: ignore[arg-type]
        public = is_public(self._app, rule.endpoint)  # type: ignore[arg-type]
        module_route = rule.endpoint.split(".", 1)[0] in core.blueprint_owner
        for path, operations in paths.items():
            for method, shared in operations.items():
                # quart-schema shares one dict between a rule's methods: copy before editing.
                operation = copy.deepcopy(shared)
                statuses = set(getattr(view, ERRORS_ATTRIBUTE, ()))
                if not public:
                    statuses.add(401)
                    operation["security"] = [{BEARER: []}]
                if "requestBody" in operation:
                    statuses |= {400, 413}
                if any(p["in"] == "query" for p in operation["parameters"]):
                    statuses.add(400)
                if rule.arguments or module_route:
                    statuses.add(404)
                if path not in _NO_DEPENDENCY:
                    statuses.add(503)
                responses = operation["responses"]
                for status, response in getattr(view, OTHERS_ATTRIBUTE, {}).items():
                    responses[status] = copy.deepcopy(response)
                for status in sorted(statuses):
                    responses.setdefault(status, _error_response(status))
                operations[method] = operation
        return paths, components
