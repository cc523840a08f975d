"""Opening a selection, the qualification step and the consultation step."""

import pytest

from services.common.errors import Conflict, Invalid, RuleViolation
from services.nomination.domain.consultation import record_consultation
from services.nomination.domain.entities import Post
from services.nomination.domain.qualification import (
    Qualification,
    check_eligible,
    eligibility_failures,
    set_qualification,
)
from services.nomination.domain.selection import open_selection

from nomination_builders import make_cadre, make_qualification

MOTION = {"proposed_by": "Secretary Li", "reason": "the deputy post fell vacant"}


def post(**overrides):
    values = dict(
        code="P1",
        unit="U1",
        title="Deputy director",
        rank="deputy_section",
        category="promotion",
        headcount=3,
        occupied=1,
        reserved=0,
    )
    values.update(overrides)
    return Post(**values)


def test_open_gives_mode_slate_ratio_stage_and_reservation():
    opened = open_selection(post(), vacancies=2, competitive=True, motion=MOTION)
    assert opened.as_dict() == {
        "post": "P1",
        "mode": "democratic_recommendation",
        "competitive": True,
        "slate_ratio": 2,
        "stage": "motion",
        "vacancies": 2,
    }
    assert opened.reserve.reserved == 2 and opened.reserve.occupied == 0
    assert opened.motion.proposed_by == "Secretary Li"
    assert opened.weights == {
        "integrity_ability": 0.25,
        "performance": 0.25,
        "public_opinion": 0.25,
        "grassroots": 0.25,
    }


def test_non_competitive_slate_ratio_is_one():
    assert (
        open_selection(post(category="key_leadership"), vacancies=1, competitive=False, motion=MOTION).as_dict()[
            "slate_ratio"
        ]
        == 1
    )


def test_open_over_headcount():
    with pytest.raises(RuleViolation) as exc:
        open_selection(post(reserved=1), vacancies=2, competitive=True, motion=MOTION)
    assert exc.value.code == "over_headcount"


def test_open_names_every_bad_field():
    with pytest.raises(Invalid) as exc:
        open_selection(post(), vacancies=0, competitive="yes", motion={"proposed_by": ""}, weights={"grassroots": 1.5})
    assert {"vacancies", "competitive", "motion.proposed_by", "motion.reason"} <= set(exc.value.errors)
    assert any(k.startswith("weights") for k in exc.value.errors)


def test_open_rejects_bool_vacancies():
    with pytest.raises(Invalid):
        open_selection(post(), vacancies=True, competitive=True, motion=MOTION)


def test_open_validates_before_headcount():
    # a malformed body is a 400 even when the post is full
    with pytest.raises(Invalid):
        open_selection(post(occupied=3), vacancies=1, competitive=True, motion=None)


def test_qualification_parsed_in_motion_stage():
    q = set_qualification("motion", {"min_rank": "clerk", "min_grassroots_years": 2}, ["U1", "U2"])
    assert q == Qualification("clerk", 2, frozenset({"U1", "U2"}))
    assert q.as_dict()["scope"] == ["U1", "U2"]


def test_qualification_twice_is_wrong_stage():
    with pytest.raises(Conflict) as exc:
        set_qualification("consultation", {"min_rank": "clerk", "min_grassroots_years": 0}, ["U1"])
    assert exc.value.code == "wrong_stage"


@pytest.mark.parametrize(
    "conditions,scope,field",
    [
        ({"min_rank": "chief", "min_grassroots_years": 0}, ["U1"], "conditions.min_rank"),
        ({"min_rank": "clerk", "min_grassroots_years": -1}, ["U1"], "conditions.min_grassroots_years"),
        ({"min_rank": "clerk", "min_grassroots_years": 0}, [], "scope"),
        ({"min_rank": "clerk", "min_grassroots_years": 0}, ["U1", "U1"], "scope"),
        ({"min_rank": "clerk", "min_grassroots_years": 0, "age": 30}, ["U1"], "conditions.age"),
        (None, ["U1"], "conditions"),
    ],
)
def test_qualification_invalid(conditions, scope, field):
    with pytest.raises(Invalid) as exc:
        set_qualification("motion", conditions, scope)
    assert field in exc.value.errors


@pytest.mark.parametrize(
    "override,failure",
    [
        ({"unit": "U9"}, "scope"),
        ({"rank": "clerk"}, "min_rank"),
        ({"grassroots_years": 2.5}, "min_grassroots_years"),
    ],
)
def test_not_eligible_for_each_condition(override, failure):
    q = make_qualification(min_rank="deputy_section", min_grassroots_years=3)
    check_eligible(make_cadre(rank="deputy_section", grassroots_years=3), q)  # the boundary passes
    broken = make_cadre(**{"rank": "deputy_section", "grassroots_years": 3, **override})
    assert eligibility_failures(broken, q) == [failure]
    with pytest.raises(RuleViolation) as exc:
        check_eligible(broken, q)
    assert exc.value.code == "not_eligible"
    assert "Zhang" not in exc.value.detail


def test_not_eligible_without_qualification():
    with pytest.raises(RuleViolation) as exc:
        check_eligible(make_cadre(), None)
    assert exc.value.code == "not_eligible"


def test_consultation_moves_on_after_both_sources():
    first = record_consultation("qualification", set(), source="grassroots", opinion="supports")
    assert first.stage == "consultation" and first.sources_heard == {"grassroots"}
    again = record_consultation(first.stage, first.sources_heard, source="grassroots", opinion="more")
    assert again.stage == "consultation"
    second = record_consultation(again.stage, again.sources_heard, source="leader_in_charge", opinion="agrees")
    assert second.stage == "recommendation"


def test_consultation_before_qualification_is_out_of_order_and_after_is_wrong_stage():
    with pytest.raises(RuleViolation) as exc:
        record_consultation("motion", set(), source="grassroots", opinion="x")
    assert exc.value.code == "out_of_order"
    with pytest.raises(Conflict) as exc:
        record_consultation("recommendation", {"grassroots", "leader_in_charge"}, source="grassroots", opinion="x")
    assert exc.value.code == "wrong_stage"


def test_consultation_invalid_source_and_empty_opinion():
    with pytest.raises(Invalid) as exc:
        record_consultation("qualification", set(), source="mayor", opinion="  ")
    assert set(exc.value.errors) == {"source", "opinion"}
