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


def test_an_invalid_request_says_so_when_given_no_detail():
    assert Invalid().detail == "the request is not valid" and Invalid().errors == {}
    assert Invalid({}).detail == "the request is not valid"


def test_an_invalid_request_keeps_a_text_detail_and_its_own_code():
    error = Invalid("the body is not JSON", "bad_json")
    assert (error.detail, error.code, error.errors) == ("the body is not JSON", "bad_json", {})
    assert Invalid("x", errors={"f": ["m"]}).errors == {"f": ["m"]}


def test_field_errors_alone_make_a_detail_naming_each_field_in_order():
    error = Invalid({"rank": ["bad"], "headcount": ["too big", "odd"]})
    assert error.detail == "rank: ['bad']; headcount: ['too big', 'odd']"
    assert error.errors == {"rank": ["bad"], "headcount": ["too big", "odd"]}


def test_every_subclass_is_registered_so_the_caller_rebuilds_it():
    from services.common import remote_errors
    from services.common.errors import CadreError

    class Refused(Conflict):  # a subclass of a subclass: registration goes down the whole tree
        pass

    remote_errors._register(CadreError)
    again = deserialize(serialize(Refused("no", "refused")))
    assert type(again) is Refused and again.problem() == Refused("no", "refused").problem()


def test_load_passes_its_options_to_the_schema():
    from marshmallow import Schema, fields
    from services.common.validation import load

    class Body(Schema):
        name = fields.String(required=True)
        rank = fields.Integer()

    assert load(Body(), {"rank": 2}, partial=True) == {"rank": 2}


def test_load_files_a_whole_body_error_under_schema():
    from marshmallow import ValidationError
    from services.common.validation import load

    class Whole:
        """A schema whose refusal is of the body as a whole: marshmallow's messages are then a list."""

        def load(self, data):
            raise ValidationError("the body must be an object")

    with pytest.raises(Invalid) as exc:
        load(Whole(), [1])
    assert exc.value.errors == {"_schema": ["the body must be an object"]}
