"""Deliberation, inspection and the committee's decision."""

from datetime import timedelta

import pytest

from services.common.errors import CadreError, Conflict, Invalid, RuleViolation
from services.nomination.domain.decision import check_decision
from services.nomination.domain.deliberation import check_deliberation
from services.nomination.domain.inspection import check_inspection
from services.nomination.domain.meetings import check_agenda_lead, has_quorum, parse_meeting

from nomination_builders import NOW, committee_meeting, make_selection, meeting

NOMINATED = {"C1", "C2", "C3"}


# --- meetings ------------------------------------------------------------------


@pytest.mark.parametrize(
    "present,total,met", [(6, 9, True), (5, 9, False), (8, 11, True), (7, 11, False), (2, 3, True), (1, 1, True)]
)
def test_quorum_two_thirds(present, total, met):
    assert has_quorum(present, total) is met


def test_meeting_times_are_utc_and_accept_text():
    parsed = parse_meeting(meeting(held_at="2024-05-06T17:00:00+08:00"), total_field="attendees", with_agenda=False)
    assert parsed.held_at == NOW
    naive = parse_meeting(meeting(held_at=NOW.replace(tzinfo=None)), total_field="attendees", with_agenda=False)
    assert naive.held_at == NOW


def test_meeting_fields_invalid():
    with pytest.raises(Invalid) as exc:
        parse_meeting(
            {"held_at": "soon", "place": "", "attendees": 0, "present": -1, "x": 1},
            total_field="attendees",
            with_agenda=False,
        )
    assert {"meeting.held_at", "meeting.place", "meeting.attendees", "meeting.present", "meeting.x"} <= set(
        exc.value.errors
    )
    with pytest.raises(Invalid) as exc:
        parse_meeting(meeting(present=10), total_field="attendees", with_agenda=False)
    assert "meeting.present" in exc.value.errors


def test_agenda_lead_boundary():
    lead = 3 * 24 * 3600
    check_agenda_lead(NOW, NOW - timedelta(seconds=lead), lead)
    with pytest.raises(RuleViolation) as exc:
        check_agenda_lead(NOW, NOW - timedelta(seconds=lead - 1), lead)
    assert exc.value.code == "ad_hoc_motion"
    with pytest.raises(RuleViolation):
        check_agenda_lead(NOW, NOW + timedelta(hours=1), lead)  # filed after the meeting


# --- deliberation --------------------------------------------------------------


def deliberate(selection=None, **overrides):
    args = dict(meeting=meeting(), nominees=["C1", "C2"], nominated=NOMINATED)
    args.update(overrides)
    return check_deliberation(selection or make_selection(), **args)


def test_deliberation_fixes_nominees_and_moves_to_inspection():
    result = deliberate()
    assert result.nominees == ("C1", "C2") and result.stage == "inspection"
    assert result.meeting.total == 9 and result.meeting.present == 6


def test_slate_ratio_in_competitive_selection():
    with pytest.raises(RuleViolation) as exc:
        deliberate(nominees=["C1"])
    assert exc.value.code == "slate_ratio"
    with pytest.raises(RuleViolation) as exc:
        deliberate(selection=make_selection(vacancies=2), nominees=["C1", "C2", "C3"])
    assert exc.value.code == "slate_ratio"


@pytest.mark.parametrize(
    "vacancies,nominees,enough",
    [
        (1, ["C1"], True),
        (2, ["C1", "C2"], True),
        (1, ["C1", "C2"], True),
        (2, ["C1"], False),
        (3, ["C1", "C2"], False),
    ],
)
def test_non_competitive_needs_one_per_vacancy(vacancies, nominees, enough):
    selection = make_selection(competitive=False, vacancies=vacancies)
    if enough:
        assert deliberate(selection=selection, nominees=nominees).nominees == tuple(nominees)
        return
    with pytest.raises(RuleViolation) as exc:
        deliberate(selection=selection, nominees=nominees)
    assert exc.value.code == "slate_ratio"


def test_deliberation_quorum_not_met():
    with pytest.raises(RuleViolation) as exc:
        deliberate(meeting=meeting(attendees=9, present=5))
    assert exc.value.code == "quorum_not_met"


def test_deliberation_slate_ratio_before_quorum():
    with pytest.raises(RuleViolation) as exc:
        deliberate(nominees=["C1"], meeting=meeting(present=1))
    assert exc.value.code == "slate_ratio"


def test_deliberation_nominees_must_be_nominated_and_not_voided():
    with pytest.raises(Invalid) as exc:
        deliberate(nominees=["C1", "C4"])
    assert exc.value.errors == {"nominees": ["item 1 is not a nominated cadre of this selection"]}
    with pytest.raises(Invalid):
        deliberate(nominees=["C1", "C2"], nominated={"C1"})  # C2 voided


def test_deliberation_stage():
    with pytest.raises(RuleViolation) as exc:
        deliberate(selection=make_selection(stage="consultation"), nominated=set())
    assert exc.value.code == "out_of_order"
    with pytest.raises(Conflict) as exc:
        deliberate(selection=make_selection(stage="inspection"))
    assert exc.value.code == "wrong_stage"


def test_deliberation_repeated_nominee_is_invalid():
    with pytest.raises(Invalid):
        deliberate(nominees=["C1", "C1"])


# --- inspection ----------------------------------------------------------------


def report(cadre, rating=80):
    return {"cadre": cadre, "summary": "sound", "rating": rating}


def test_inspection_reports_for_every_nominee():
    result = check_inspection("inspection", reports=[report("C1", 91.5), report("C2", 70)], nominees=["C1", "C2"])
    assert result.ratings() == {"C1": 91.5, "C2": 70} and result.stage == "joint_review"


@pytest.mark.parametrize(
    "reports,field",
    [
        ([report("C1", 101), report("C2")], "reports.0.rating"),
        ([report("C1", -1), report("C2")], "reports.0.rating"),
        ([report("C1"), {"cadre": "C2", "summary": "", "rating": 5}], "reports.1.summary"),
        ([report("C1"), report("C9")], "reports.1.cadre"),
        ([report("C1"), report("C1")], "reports.1.cadre"),
        ([report("C1")], "reports"),
    ],
)
def test_inspection_invalid(reports, field):
    with pytest.raises(Invalid) as exc:
        check_inspection("inspection", reports=reports, nominees=["C1", "C2"])
    assert field in exc.value.errors


def test_inspection_stage():
    with pytest.raises(RuleViolation):
        check_inspection("recommendation", reports=[report("C1")], nominees=["C1"])
    with pytest.raises(Conflict):
        check_inspection("joint_review", reports=[report("C1")], nominees=["C1"])


# --- decision ------------------------------------------------------------------

CLEARED = {"C1": "cleared", "C2": "cleared"}


def decide(selection=None, **overrides):
    args = dict(
        meeting=committee_meeting(),
        appointees=["C1"],
        nominees=["C1", "C2"],
        reviews=CLEARED,
        pre_report_approved=False,
    )
    args.update(overrides)
    return check_decision(selection or make_selection(stage="joint_review"), **args)


def decision_code(**kwargs):
    try:
        decide(**kwargs)
    except CadreError as exc:
        return exc.code
    return None


def test_good_decision_opens_the_notice():
    result = decide()
    assert result.appointees == ("C1",) and result.stage == "public_notice"


@pytest.mark.parametrize("reviews", [{"C1": "pending"}, {"C1": "vetoed"}, {"C1": "overdue"}, {}])
def test_not_cleared(reviews):
    assert decision_code(reviews=reviews) == "not_cleared"


def test_voided_appointee_is_not_cleared():
    assert decision_code(voided={"C1"}) == "not_cleared"


def test_ad_hoc_motion():
    assert decision_code(meeting=committee_meeting(agenda_filed_at=NOW - timedelta(days=2))) == "ad_hoc_motion"


def test_agenda_lead_is_configurable():
    assert (
        decision_code(meeting=committee_meeting(agenda_filed_at=NOW - timedelta(seconds=5)), agenda_lead_seconds=5)
        is None
    )


def test_decision_quorum_not_met():
    assert decision_code(meeting=committee_meeting(members=11, present=7)) == "quorum_not_met"


def test_pre_report_required_for_key_leadership_only():
    key = make_selection(stage="joint_review", category="key_leadership", post_rank="section")
    assert decision_code(selection=key) == "pre_report_required"
    assert decision_code(selection=key, pre_report_approved=True) is None
    assert decision_code(pre_report_approved=False) is None  # promotion: not needed


def test_appointees_must_equal_vacancies():
    assert decision_code(appointees=["C1", "C2"]) == "slate_ratio"
    assert decision_code(selection=make_selection(stage="joint_review", vacancies=2)) == "slate_ratio"


def test_decision_check_order():
    """not_cleared, ad_hoc_motion, quorum_not_met, pre_report_required, slate_ratio."""
    broken = dict(
        selection=make_selection(stage="joint_review", category="key_leadership", post_rank="section"),
        appointees=["C1", "C2"],
        reviews={"C1": "cleared", "C2": "pending"},
        meeting=committee_meeting(agenda_filed_at=NOW, present=1),
    )
    fixes = [
        ("not_cleared", {"reviews": CLEARED}),
        ("ad_hoc_motion", {"meeting": committee_meeting(present=1)}),
        ("quorum_not_met", {"meeting": committee_meeting()}),
        ("pre_report_required", {"pre_report_approved": True}),
        ("slate_ratio", {"appointees": ["C1"]}),
    ]
    for expected, fix in fixes:
        assert decision_code(**broken) == expected
        broken.update(fix)
    assert decision_code(**broken) is None


def test_decision_stage_and_membership():
    assert decision_code(selection=make_selection(stage="inspection")) == "out_of_order"
    assert decision_code(selection=make_selection(stage="public_notice")) == "wrong_stage"
    with pytest.raises(Invalid) as exc:
        decide(appointees=["C7"])
    assert "appointees" in exc.value.errors


def test_decision_requires_agenda_time():
    bad = committee_meeting()
    del bad["agenda_filed_at"]
    with pytest.raises(Invalid) as exc:
        decide(meeting=bad)
    assert "meeting.agenda_filed_at" in exc.value.errors
