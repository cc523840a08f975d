"""Domain errors map to API.md's problem+json and survive nameko's RPC serialization."""

import pytest
from nameko.exceptions import deserialize, serialize

from services.common.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    RuleViolation,
    TooLarge,
    Unauthorized,
    Unavailable,
)


@pytest.mark.parametrize(
    "error,status,code",
    [
        (Invalid({"name": ["Missing data for required field."]}), 400, "invalid"),
        (Unauthorized("no token"), 401, "unauthorized"),
        (Forbidden("no"), 403, "forbidden"),
        (Forbidden("unknown ballot token", "invalid_token"), 403, "invalid_token"),
        (NotFound("no post"), 404, "not_found"),
        (Conflict("dup", "exists"), 409, "exists"),
        (TooLarge("big", "too_large"), 413, "too_large"),
        (RuleViolation("too many", "over_headcount"), 422, "over_headcount"),
        (Unavailable("down"), 503, "unavailable"),
    ],
)
def test_problem_body(error, status, code):
    body = error.problem()
    assert body["status"] == status and body["code"] == code
    assert {"type", "title", "status", "detail", "code"} <= set(body)


def test_validation_errors_name_each_field():
    body = Invalid({"rank": ["bad"], "headcount": ["bad"]}).problem()
    assert body["errors"] == {"rank": ["bad"], "headcount": ["bad"]}


def test_errors_other_than_validation_carry_no_errors_member():
    assert "errors" not in Conflict("dup", "exists").problem()


@pytest.mark.parametrize(
    "error",
    [
        RuleViolation("x", "slate_ratio"),
        Conflict("y", "token_used"),
        Invalid({"f": ["m"]}),
        NotFound("z"),
    ],
)
def test_errors_cross_rpc_as_themselves(error):
    again = deserialize(serialize(error))
    assert type(again) is type(error)
    assert again.problem() == error.problem()


# --- what a mutation run showed no test pinned down (docs/TESTING.md)


def test_the_arguments_are_exactly_detail_code_errors():
    # nameko rebuilds the error on the calling side from args: all three must be there, in order
    error = Conflict("taken", "exists", {"code": ["in use"]})
    assert error.args == ("taken", "exists", {"code": ["in use"]})
    assert (error.detail, error.code, error.errors) == ("taken", "exists", {"code": ["in use"]})
    plain = Conflict()
    assert plain.args == ("", "conflict", {}) and plain.detail == "" and plain.code == "conflict"
    assert Conflict("x", None, ["not", "a", "dict"]).errors == {}


def test_errors_member_when_there_are_errors_or_the_request_was_invalid():
    assert Conflict("taken", "exists", {"code": ["in use"]}).problem()["errors"] == {"code": ["in use"]}
    assert "errors" not in Forbidden("no").problem()
    from services.common.errors import Unauthorized

    assert "errors" not in Unauthorized("no").problem()


def test_load_reads_a_missing_body_as_empty_and_names_fields():
    from marshmallow import Schema, fields
    from services.common.validation import load

    class Body(Schema):
        name = fields.String(load_default="anonymous")

    assert load(Body(), None) == {"name": "anonymous"}
    with pytest.raises(Invalid) as exc:
        load(Body(), {"name": 5})
    assert exc.value.errors == {"name": ["Not a valid string."]}
