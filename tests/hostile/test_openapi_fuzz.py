"""Property-based fuzzing of every operation of /openapi.json with schemathesis: valid tokens of a role
the operation's ``x-roles`` allows, generated bodies, queries and path parameters, both conforming to the
document and not. No 5xx, and every response conforms to the document (status, content type, schema)."""

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway import openapi

SCHEMA = schemathesis.openapi.from_dict(openapi.document())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 12


def _id(operation):
    return f"{operation.method.upper()} {operation.path}"


def _has_input(operation):
    raw = operation.definition.raw
    return bool(raw.get("parameters") or raw.get("requestBody"))


CASES = [
    pytest.param(op, mode, id=f"{_id(op)}-{label}")
    for op in OPERATIONS
    for mode, label in ((GenerationMode.POSITIVE, "valid"), (GenerationMode.NEGATIVE, "invalid"))
    # an operation that takes nothing has no invalid input to send
    if mode == GenerationMode.POSITIVE or _has_input(op)
]


@pytest.mark.parametrize("operation,mode", CASES)
def test_operation(api, operation, mode):
    roles = operation.definition.raw.get("x-roles")
    headers = {"Authorization": f"Bearer {api.tokens['hostile-' + roles[0]]}"} if roles else {}
    session = requests.Session()

    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def fuzz(case):
        response = case.call(base_url=api.base, session=session, headers=headers, timeout=30)
        case.validate_response(response, checks=CHECKS)

    fuzz()
