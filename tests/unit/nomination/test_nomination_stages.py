"""The stage machine: which call belongs to which stage, out_of_order vs wrong_stage, next stages."""

import pytest

from services.common.errors import Conflict, RuleViolation
from services.nomination.domain.stages import (
    Action,
    Stage,
    advance,
    check_stage,
    may_have_nominees,
    stage_after,
    stage_after_notice,
)

from nomination_builders import NOW

ORDER = [
    "motion",
    "qualification",
    "consultation",
    "recommendation",
    "inspection",
    "joint_review",
    "public_notice",
    "appointment",
    "filing",
    "closed",
]

# API.md's table, written out independently of the module.
TABLE = {
    "qualification": {"motion"},
    "consultation": {"qualification", "consultation"},
    "ballot_session": {"recommendation"},
    "ballot": {"recommendation"},
    "close_session": {"recommendation"},
    "nomination": {"recommendation"},
    "deliberation": {"recommendation"},
    "inspection": {"inspection"},
    "decision": {"joint_review"},
    "appointment": {"public_notice", "appointment"},
    "filing": {"filing"},
    "pre_report": {"motion", "qualification", "consultation", "recommendation", "inspection", "joint_review"},
    "observer": {"motion", "qualification", "consultation", "recommendation", "inspection", "joint_review"},
}


def test_stage_order_is_the_procedure():
    assert [str(s) for s in Stage] == ORDER


@pytest.mark.parametrize("action", sorted(TABLE))
@pytest.mark.parametrize("stage", ORDER)
def test_every_action_in_every_stage(action, stage):
    allowed = TABLE[action]
    first = min(ORDER.index(s) for s in allowed)
    if stage in allowed:
        check_stage(action, stage)
    elif ORDER.index(stage) < first:
        with pytest.raises(RuleViolation) as exc:
            check_stage(action, stage)
        assert (exc.value.code, exc.value.status) == ("out_of_order", 422)
    else:
        with pytest.raises(Conflict) as exc:
            check_stage(action, stage)
        assert (exc.value.code, exc.value.status) == ("wrong_stage", 409)


def test_nomination_before_recommendation_is_out_of_order():
    with pytest.raises(RuleViolation) as exc:
        check_stage("nomination", "consultation")
    assert exc.value.code == "out_of_order"


def test_qualification_after_it_is_done_is_wrong_stage():
    with pytest.raises(Conflict) as exc:
        check_stage("qualification", "qualification")
    assert exc.value.code == "wrong_stage"


def test_pre_report_after_the_decision_is_wrong_stage():
    with pytest.raises(Conflict):
        check_stage("pre_report", "public_notice")


@pytest.mark.parametrize(
    "action,stage,expected",
    [
        ("qualification", "motion", "qualification"),
        ("ballot_session", "recommendation", "recommendation"),
        ("nomination", "recommendation", "recommendation"),
        ("deliberation", "recommendation", "inspection"),
        ("inspection", "inspection", "joint_review"),
        ("decision", "joint_review", "public_notice"),
        ("appointment", "public_notice", "filing"),
        ("appointment", "appointment", "filing"),
        ("filing", "filing", "closed"),
        ("pre_report", "consultation", "consultation"),
    ],
)
def test_next_stage(action, stage, expected):
    assert stage_after(action, stage) == expected


def test_consultation_leaves_only_once_both_sources_are_heard():
    assert stage_after("consultation", "qualification", sources_heard={"grassroots"}) == "consultation"
    assert (
        stage_after("consultation", "consultation", sources_heard={"grassroots", "leader_in_charge"})
        == "recommendation"
    )


def test_advance_records_a_change_or_nothing():
    change = advance(Action.DELIBERATION, Stage.RECOMMENDATION, NOW)
    assert change.as_dict() == {"from": "recommendation", "to": "inspection", "action": "deliberation", "at": NOW}
    assert advance("nomination", "recommendation", NOW) is None


def test_advance_checks_the_stage():
    with pytest.raises(RuleViolation):
        advance("decision", "inspection", NOW)


def test_unknown_stage_is_a_programming_error():
    with pytest.raises(ValueError):
        check_stage("nomination", "limbo")


@pytest.mark.parametrize(
    "closed,pending,upheld,expected",
    [
        (False, 0, 0, "public_notice"),
        (False, 0, 1, "public_notice"),
        (True, 1, 0, "public_notice"),
        (True, 1, 1, "public_notice"),
        (True, 0, 1, "closed"),
        (True, 0, 0, "appointment"),
    ],
)
def test_stage_after_notice(closed, pending, upheld, expected):
    assert stage_after_notice(notice_closed=closed, pending_objections=pending, upheld_objections=upheld) == expected


# --- what the console offers next ---------------------------------------------------------------

from services.nomination.domain.stages import next_actions  # noqa: E402


@pytest.mark.parametrize("stage", ORDER)
def test_next_actions_are_the_calls_the_table_allows_at_the_stage(stage):
    assert {str(a) for a in next_actions(stage)} == {action for action, stages in TABLE.items() if stage in stages}


@pytest.mark.parametrize(
    "stage,expected",
    [
        ("motion", ["qualification", "pre_report", "observer"]),
        ("consultation", ["consultation", "pre_report", "observer"]),
        (
            "recommendation",
            ["ballot_session", "ballot", "close_session", "nomination", "deliberation", "pre_report", "observer"],
        ),
        ("joint_review", ["decision", "pre_report", "observer"]),
        ("public_notice", ["appointment"]),
        ("appointment", ["appointment"]),
        ("filing", ["filing"]),
        ("closed", []),
    ],
)
def test_next_actions_in_the_procedures_order(stage, expected):
    assert [str(a) for a in next_actions(stage)] == expected
    assert next_actions(Stage(stage)) == next_actions(stage)


def test_every_next_action_passes_the_stage_check():
    for stage in ORDER:
        for action in next_actions(stage):
            check_stage(action, stage)


def test_next_actions_of_an_unknown_stage_is_a_programming_error():
    with pytest.raises(ValueError):
        next_actions("limbo")


def test_only_a_selection_that_reached_the_recommendation_stage_may_have_nominees():
    # the selection view skips reading nominations before then: a round trip saved on every early step
    assert [stage for stage in Stage if not may_have_nominees(stage)] == [
        Stage.MOTION,
        Stage.QUALIFICATION,
        Stage.CONSULTATION,
    ]
    assert may_have_nominees("recommendation") and may_have_nominees(Stage.CLOSED)
    for stage in Stage:  # no stage before them allows a nomination
        if not may_have_nominees(stage):
            with pytest.raises((Conflict, RuleViolation)):
                check_stage(Action.NOMINATION, stage)
