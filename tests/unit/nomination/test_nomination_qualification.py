"""Qualification conditions are each optional: one left out sets no such condition, and the
eligibility check of a nomination then asks only for the scope and the conditions set."""

import pytest

from services.common.errors import Invalid, RuleViolation
from services.common.validation import load
from services.nomination.domain.qualification import check_eligible, parse_qualification, set_qualification
from services.nomination.contract import QualificationIn

from nomination_builders import make_cadre

SCOPE = ["U1"]


@pytest.mark.parametrize(
    "conditions, shown",
    [
        ({}, {}),
        ({"min_rank": "section"}, {"min_rank": "section"}),
        ({"min_grassroots_years": 3}, {"min_grassroots_years": 3}),
        ({"min_rank": None, "min_grassroots_years": None}, {}),
        ({"min_rank": "clerk", "min_grassroots_years": 2}, {"min_rank": "clerk", "min_grassroots_years": 2}),
    ],
)
def test_each_condition_is_optional(conditions, shown):
    qualified = set_qualification("motion", conditions, SCOPE)
    assert qualified.as_dict() == {"conditions": shown, "scope": SCOPE}


def test_the_gateway_schema_takes_the_same_bodies():
    for conditions in ({}, {"min_rank": "clerk"}, {"min_grassroots_years": 1.5}):
        assert load(QualificationIn(), {"conditions": conditions, "scope": SCOPE})["conditions"] == conditions


def test_a_condition_given_must_still_be_valid():
    with pytest.raises(Invalid) as caught:
        parse_qualification({"min_rank": "general", "min_grassroots_years": -1, "age": 3}, SCOPE)
    assert set(caught.value.errors) == {"conditions.min_rank", "conditions.min_grassroots_years", "conditions.age"}


def test_no_condition_leaves_only_the_scope():
    none = parse_qualification({}, SCOPE)
    check_eligible(make_cadre(rank="clerk", grassroots_years=0), none)
    with pytest.raises(RuleViolation) as caught:
        check_eligible(make_cadre(unit="U9"), none)
    assert caught.value.code == "not_eligible"


def test_only_min_rank_ignores_grassroots_years():
    only_rank = parse_qualification({"min_rank": "deputy_section"}, SCOPE)
    check_eligible(make_cadre(rank="deputy_section", grassroots_years=0), only_rank)
    with pytest.raises(RuleViolation):
        check_eligible(make_cadre(rank="clerk", grassroots_years=30), only_rank)


def test_only_min_grassroots_years_ignores_rank():
    only_years = parse_qualification({"min_grassroots_years": 3}, SCOPE)
    check_eligible(make_cadre(rank="clerk", grassroots_years=3), only_years)
    with pytest.raises(RuleViolation):
        check_eligible(make_cadre(rank="section", grassroots_years=2), only_years)
