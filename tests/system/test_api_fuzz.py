"""schemathesis against the served `/openapi.json`: every operation keeps its contract.

Runs against a real `transcendence serve` process (the run's PostgreSQL and Redis when set),
every documented operation, as a logged-in user and anonymously, with valid and invalid
generated input, a bounded number of examples each so the whole run stays near a minute.
Each response must be no server error, carry a documented status and content type, and
match the documented schema (errors: the shared error body). Failures are collected over
all operations and reported together.
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from servers import cluster_environment, start_node

pytestmark = pytest.mark.system
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# The test-support module's routes (one of them crashes on purpose) are not the product's.
NOT_THE_PRODUCT = r"^/api/sample"
# Operations that end the fuzzing user's session: run last, so the others run logged in.
SESSION_ENDING = {
    "POST /api/auth/logout-all",
    "POST /api/me/password",
    "POST /api/me/anonymise",
    "DELETE /api/me/",
}
EXAMPLES = {GenerationMode.POSITIVE: 5, GenerationMode.NEGATIVE: 3}


@pytest.fixture(scope="module")
def served(tmp_path_factory, pg_url, redis_url):
    tmp = tmp_path_factory.mktemp("fuzz")
    node = start_node(cluster_environment(tmp, pg_url, redis_url), tmp, name="fuzz")
    try:
        yield node
    finally:
        node.stop()


def log_in(served, name: str) -> str:
    account = {"username": name, "email": f"{name}@example.test", "password": "fuzzing is fun"}
    assert httpx.post(f"{served.url}/api/auth/signup", json=account).status_code == 201
    response = httpx.post(f"{served.url}/api/auth/login", json=account)
    return response.json()["access"]


@pytest.fixture(scope="module")
def operations(served):
    schema = schemathesis.openapi.from_url(f"{served.url}/openapi.json").exclude(
        path_regex=NOT_THE_PRODUCT
    )
    found = [result.ok() for result in schema.get_all_operations()]
    return sorted(found, key=lambda operation: operation.label in SESSION_ENDING)


def fuzz(operations, headers: dict[str, str]) -> list[str]:
    """Every operation, valid then invalid input; the failures found, one line each."""
    failures: dict[tuple[str, int, str], str] = {}
    for operation in operations:
        for mode, examples in EXAMPLES.items():

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def check(case):
                response = case.call(headers=headers, allow_redirects=False)
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except* Exception as group:
                    for failure in group.exceptions:
                        for found in getattr(failure, "exceptions", [failure]):
                            title = getattr(found, "title", type(found).__name__)
                            key = (case.operation.label, response.status_code, title)
                            failures.setdefault(
                                key,
                                f"{case.operation.label} -> {response.status_code}: {title} "
                                f"({case.method} {case.formatted_path} query={case.query!r}): "
                                f"{response.text[:200]!r}",
                            )

            try:
                check()
            except Unsatisfiable:
                # An operation without parameters or body has no invalid input to generate.
                assert mode is GenerationMode.NEGATIVE, operation.label
    return sorted(failures.values())


def test_every_operation_keeps_its_contract_logged_in(served, operations):
    assert len(operations) >= 60, "operations are missing from /openapi.json"
    headers = {"Authorization": f"Bearer {log_in(served, 'fuzzer')}"}
    failures = fuzz(operations, headers)
    assert failures == [], f"{len(failures)} contract failures:\n" + "\n".join(failures)


def test_every_operation_keeps_its_contract_anonymously(served, operations):
    failures = fuzz(operations, {})
    assert failures == [], f"{len(failures)} contract failures:\n" + "\n".join(failures)


def test_the_contract_declares_bearer_auth_and_the_error_body(served):
    spec = httpx.get(f"{served.url}/openapi.json").json()
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    login = spec["paths"]["/api/auth/login"]["post"]
    assert "security" not in login  # public
    assert {"400", "401", "413", "429", "503"} <= set(map(str, login["responses"]))
    me = spec["paths"]["/api/me/"]["get"]
    assert me["security"] == [{"bearer": []}]
    error = me["responses"]["401"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/ErrorResponse"}
    # The chat contract: `chat_id` is required, and so is the body of mark_chat_as_read.
    messages = spec["paths"]["/api/messages/"]["get"]["parameters"]
    assert {p["name"]: p.get("required", False) for p in messages}["chat_id"] is True
    assert spec["paths"]["/api/messages/mark_chat_as_read/"]["post"]["requestBody"]["required"]
    # Ids are bounded as the database bounds them.
    user_id = spec["paths"]["/api/users/{user_id}"]["get"]["parameters"][0]["schema"]
    assert user_id == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
