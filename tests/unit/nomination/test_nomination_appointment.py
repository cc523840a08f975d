"""Appointment after the public notice, the notice's outcome and filing."""

from datetime import timedelta

import pytest

from services.common.errors import CadreError, Conflict, Invalid, RuleViolation
from services.nomination.domain.appointment import (
    NoticeStatus,
    check_appointment,
    check_filing,
    make_appointment,
    notice_outcome,
)
from services.nomination.domain.headcount import HeadcountDelta

from nomination_builders import NOW

OPEN = NoticeStatus(closes_at=NOW + timedelta(days=1))
CLOSED = NoticeStatus(closes_at=NOW - timedelta(seconds=1))


def code(stage, notice, now=NOW):
    try:
        check_appointment(stage, notice, now)
    except CadreError as exc:
        return exc.code, exc.status
    return None


def test_too_early_while_the_notice_is_open():
    assert code("public_notice", OPEN) == ("too_early", 409)
    assert code("public_notice", NoticeStatus(closes_at=None)) == ("too_early", 409)


def test_allowed_once_the_notice_closed_even_before_the_stage_moved():
    assert code("public_notice", CLOSED) is None
    assert code("public_notice", NoticeStatus(closes_at=NOW)) is None  # closes exactly now
    assert code("appointment", CLOSED) is None


def test_objection_pending():
    assert code("public_notice", NoticeStatus(CLOSED.closes_at, pending_objections=1)) == ("objection_pending", 422)


def test_pending_objection_is_named_before_the_open_notice():
    assert code("public_notice", NoticeStatus(OPEN.closes_at, pending_objections=1)) == ("objection_pending", 422)


def test_objection_upheld_even_after_the_selection_closed():
    upheld = NoticeStatus(CLOSED.closes_at, upheld_objections=1)
    assert code("public_notice", upheld) == ("objection_upheld", 422)
    assert code("closed", upheld) == ("objection_upheld", 422)
    assert code("public_notice", NoticeStatus(OPEN.closes_at, 1, 1)) == ("objection_upheld", 422)


def test_appointment_stage_rules():
    assert code("joint_review", CLOSED) == ("out_of_order", 422)
    assert code("filing", CLOSED) == ("wrong_stage", 409)
    assert code("closed", CLOSED) == ("wrong_stage", 409)


def test_make_appointment_gives_the_headcount_delta():
    appointment = make_appointment("appointment", CLOSED, NOW, appointees=["C1", "C2"], vacancies=2)
    assert appointment.delta == HeadcountDelta(occupied=2, reserved=-2)
    assert appointment.stage == "filing"
    with pytest.raises(Conflict):
        make_appointment("public_notice", OPEN, NOW, appointees=["C1"], vacancies=1)


@pytest.mark.parametrize(
    "notice,stage,released",
    [
        (OPEN, "public_notice", False),
        (NoticeStatus(CLOSED.closes_at, pending_objections=1), "public_notice", False),
        (NoticeStatus(CLOSED.closes_at, upheld_objections=1), "closed", True),
        (CLOSED, "appointment", False),
    ],
)
def test_notice_outcome(notice, stage, released):
    outcome = notice_outcome("public_notice", notice, NOW, vacancies=2)
    assert outcome.stage == stage
    assert outcome.delta == (HeadcountDelta(reserved=-2) if released else None)


def test_notice_outcome_outside_public_notice_changes_nothing():
    outcome = notice_outcome("filing", NoticeStatus(CLOSED.closes_at, upheld_objections=1), NOW, vacancies=1)
    assert outcome.stage == "filing" and outcome.delta is None


def test_filing():
    filing = check_filing("filing", filed_with="City Organization Department", reference="F-12")
    assert filing.stage == "closed"
    with pytest.raises(Invalid) as exc:
        check_filing("filing", filed_with="", reference=None)
    assert set(exc.value.errors) == {"filed_with", "reference"}
    with pytest.raises(RuleViolation):
        check_filing("appointment", filed_with="x", reference="y")
    with pytest.raises(Conflict):
        check_filing("closed", filed_with="x", reference="y")
