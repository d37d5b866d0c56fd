"""schemathesis against the served `/openapi.json`: no input makes an account route answer 5xx.

Runs against a real `transcendence serve` process, as a logged-in user, with a bounded
number of generated requests per operation so CI stays quick.
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from servers import cluster_environment, start_node

pytestmark = pytest.mark.system
ACCOUNT_ROUTES = r"^/api/(auth|me|users|friends|blocks|notifications)"


@pytest.fixture(scope="module")
def served(tmp_path_factory, pg_url, redis_url):
    tmp = tmp_path_factory.mktemp("fuzz")
    node = start_node(cluster_environment(tmp, pg_url, redis_url), tmp, name="fuzz")
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="module")
def token(served) -> str:
    account = {"username": "fuzzer", "email": "fuzzer@example.test", "password": "fuzzing is fun"}
    assert httpx.post(f"{served.url}/api/auth/signup", json=account).status_code == 201
    response = httpx.post(f"{served.url}/api/auth/login", json=account)
    return response.json()["access"]


@pytest.fixture(scope="module")
def api_schema(served):
    return schemathesis.openapi.from_url(f"{served.url}/openapi.json").include(
        path_regex=ACCOUNT_ROUTES
    )


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_account_routes_never_answer_5xx(api_schema, token, mode):
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10, "the account routes are missing from /openapi.json"
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def no_server_error(case):
            response = case.call(headers=headers)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} -> {response.status_code}: "
                f"{response.text[:300]}"
            )

        try:
            no_server_error()
        except Unsatisfiable:
            # An operation without parameters or body has no invalid input to generate.
            assert mode is GenerationMode.NEGATIVE, operation.label
