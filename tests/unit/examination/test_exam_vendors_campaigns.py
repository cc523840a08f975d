"""Vendors ("three outside"), campaign settings, and unseal timing."""

import base64
from datetime import datetime, timedelta, timezone

import pytest

from services.common.errors import Conflict, Forbidden, Invalid, RuleViolation
from services.examination.domain.campaigns import check_campaign, check_sheet_accepted, check_unseal
from services.examination.domain.vendors import check_assignment, check_stage_access, register_vendor, stage_role
from services.examination.sealing import keygen

LOCAL_UNITS = {"U-FIN", "U-EDU"}


def test_outside_vendor_is_registered():
    key = keygen().verify_key
    vendor = register_vendor("V1", "Exam House", ["grading", "interview"], key, ["FAR-AWAY-CO"], LOCAL_UNITS)
    assert vendor.roles == ("grading", "interview") and vendor.signing_key == key


def test_vendor_affiliated_with_a_local_unit_is_not_outside():
    with pytest.raises(RuleViolation) as exc:
        register_vendor("V1", "Exam House", ["grading"], keygen().verify_key, ["FAR", "U-EDU"], LOCAL_UNITS)
    assert exc.value.code == "not_outside"


@pytest.mark.parametrize(
    "key",
    [
        "***not base64***",
        base64.b64encode(b"\1" * 31).decode(),
        base64.b64encode(b"\1" * 33).decode(),
        "",
        None,
    ],
)
def test_malformed_signing_key_names_the_field(key):
    with pytest.raises(Invalid) as exc:
        register_vendor("V1", "Exam House", ["grading"], key, [], LOCAL_UNITS)
    assert "signing_key" in exc.value.errors


@pytest.mark.parametrize("roles", [[], ["grading", "grading"], ["cooking"], "grading"])
def test_roles_are_checked(roles):
    with pytest.raises(Invalid) as exc:
        register_vendor("V1", "Exam House", roles, keygen().verify_key, [], LOCAL_UNITS)
    assert "roles" in exc.value.errors


def test_assignment_needs_the_registered_role_and_an_outside_vendor():
    check_assignment(("grading",), "grading", ["FAR"], LOCAL_UNITS)
    with pytest.raises(Invalid):
        check_assignment(("grading",), "interview")
    # A unit created after registration can make the vendor local.
    with pytest.raises(RuleViolation) as exc:
        check_assignment(("grading",), "grading", ["U-FIN"], LOCAL_UNITS)
    assert exc.value.code == "not_outside"


def test_stage_access():
    assert stage_role("written") == "grading" and stage_role("interview") == "interview"
    check_stage_access("written", ["grading"])
    with pytest.raises(Forbidden):
        check_stage_access("interview", ["grading", "question_setting"])
    with pytest.raises(Invalid):
        stage_role("oral")


GOOD = dict(
    posts=[{"code": "P1", "title": "t", "seats": 2}, {"code": "P2", "title": "t", "seats": 1}],
    weights={"written": 0.4, "interview": 0.6},
    interview_ratio=3,
    threshold=2,
    officers=["a", "b", "c"],
)


def test_good_campaign_passes():
    check_campaign(**GOOD)
    check_campaign(**{**GOOD, "weights": {"written": 0.1, "interview": 0.9}})  # 0.1 + 0.9 in floats


@pytest.mark.parametrize(
    "change,field",
    [
        ({"posts": []}, "posts"),
        ({"posts": [{"code": "P1", "seats": 1}, {"code": "P1", "seats": 1}]}, "posts"),
        ({"posts": [{"code": "P1", "seats": 0}]}, "posts"),
        ({"weights": {"written": 0.5, "interview": 0.6}}, "weights"),
        ({"weights": {"written": -0.5, "interview": 1.5}}, "weights"),
        ({"weights": {"written": 1}}, "weights"),
        ({"interview_ratio": 0.5}, "interview_ratio"),
        ({"threshold": 4}, "unseal.threshold"),
        ({"threshold": 0}, "unseal.threshold"),
        ({"officers": ["a", "a", "b"]}, "unseal.officers"),
        ({"officers": []}, "unseal.officers"),
    ],
)
def test_bad_campaign_names_the_field(change, field):
    with pytest.raises(Invalid) as exc:
        check_campaign(**{**GOOD, **change})
    assert list(exc.value.errors) == [field]


NOW = datetime(2024, 6, 1, 9, 0, tzinfo=timezone.utc)


def test_unseal_timing_and_order():
    with pytest.raises(Conflict) as exc:
        check_unseal("written", NOW, NOW + timedelta(seconds=1), set())
    assert exc.value.code == "too_early"
    check_unseal("written", NOW, NOW, set())
    with pytest.raises(Conflict) as exc:
        check_unseal("interview", NOW, NOW, set())
    assert exc.value.code == "wrong_stage"
    check_unseal("interview", NOW, NOW, {"written"})
    with pytest.raises(Conflict) as exc:
        check_unseal("written", NOW, NOW, {"written"})
    assert exc.value.code == "already_unsealed"


def test_sheet_acceptance():
    check_sheet_accepted("interview", {"written"}, {"c1"}, "c2")
    with pytest.raises(Conflict) as exc:
        check_sheet_accepted("written", {"written"}, set(), "c2")
    assert exc.value.code == "already_unsealed"
    with pytest.raises(Conflict) as exc:
        check_sheet_accepted("interview", set(), {"c1"}, "c1")
    assert exc.value.code == "already_submitted"
