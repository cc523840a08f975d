"""check_nomination: each discipline's code, the basis per mode, and the exact order of the checks."""

import pytest

from services.common.errors import CadreError, Conflict, Invalid, RuleViolation
from services.nomination.domain.nomination import (
    CampaignOutcome,
    campaign_outcome,
    check_basis,
    check_nomination,
    parse_basis,
    rank_fits,
)

from nomination_builders import make_cadre, make_qualification, make_selection, make_session

GOOD = dict(
    basis={"ballot_session": "S1"},
    disclosure={"personal_matters_reported": True},
    relations=[{"person": "Wang Wu", "kind": "kin"}],
)


def nominate(selection=None, cadre=None, qualification="default", **overrides):
    kwargs = {**GOOD, "session": make_session(), **overrides}
    return check_nomination(
        selection or make_selection(),
        cadre or make_cadre(),
        make_qualification() if qualification == "default" else qualification,
        **kwargs,
    )


def code_of(**kwargs):
    try:
        nominate(**kwargs)
    except CadreError as exc:
        return exc.code
    return None


def test_a_good_nomination():
    nomination = nominate()
    assert nomination.as_dict() == {
        "cadre": "C1",
        "basis": {"ballot_session": "S1"},
        "disclosure": {"personal_matters_reported": True},
        "relations": [{"person": "Wang Wu", "kind": "kin"}],
        "status": "nominated",
    }


def test_out_of_order_before_recommendation():
    assert code_of(selection=make_selection(stage="consultation")) == "out_of_order"


def test_wrong_stage_after_recommendation():
    with pytest.raises(Conflict) as exc:
        nominate(selection=make_selection(stage="inspection"))
    assert exc.value.code == "wrong_stage"


def test_not_eligible():
    assert code_of(cadre=make_cadre(unit="U9")) == "not_eligible"


def test_over_rank():
    assert code_of(cadre=make_cadre(rank="deputy_section")) == "over_rank"


@pytest.mark.parametrize("disclosure", [{"personal_matters_reported": False}, None, {}])
def test_concealment(disclosure):
    assert code_of(disclosure=disclosure) == "concealment"


@pytest.mark.parametrize(
    "relations",
    [
        [{"person": "Anyone", "kind": "canvassing"}],
        [{"person": "Secretary Li", "kind": "kin"}],  # kin of whoever proposed the motion
        [{"person": " Secretary Li ", "kind": "kin"}],
    ],
)
def test_non_organizational_activity(relations):
    assert code_of(relations=relations) == "non_organizational_activity"


def test_kin_of_someone_else_is_fine():
    assert code_of(relations=[{"person": "Secretary Zhao", "kind": "kin"}]) is None


def test_no_basis_without_a_basis():
    assert code_of(basis=None) == "no_basis"
    assert code_of(basis={}) == "no_basis"


def test_check_order_is_exact():
    """Everything wrong at once; fixing one at a time reveals the next code in API.md's order."""
    broken = dict(
        selection=make_selection(stage="consultation"),
        cadre=make_cadre(unit="U9", rank="section"),
        disclosure={"personal_matters_reported": False},
        relations=[{"person": "Secretary Li", "kind": "kin"}],
        session=make_session(votes={"C1": 0}),
    )
    fixes = [
        ("out_of_order", {"selection": make_selection()}),
        ("not_eligible", {"cadre": make_cadre(rank="section")}),
        ("over_rank", {"cadre": make_cadre()}),
        ("concealment", {"disclosure": GOOD["disclosure"]}),
        ("non_organizational_activity", {"relations": []}),
        ("no_basis", {"session": make_session()}),
    ]
    for expected, fix in fixes:
        assert code_of(**broken) == expected
        broken.update(fix)
    assert code_of(**broken) is None


def test_malformed_body_is_400_before_any_rule():
    with pytest.raises(Invalid) as exc:
        nominate(
            selection=make_selection(stage="motion"),
            basis={"ballot_session": "S1", "resolution": "R1"},
            disclosure={"personal_matters_reported": "yes"},
            relations=[{"person": "", "kind": "friend"}],
        )
    assert {"basis", "disclosure.personal_matters_reported", "relations.0.person", "relations.0.kind"} <= set(
        exc.value.errors
    )


@pytest.mark.parametrize("basis", [{"vote": "S1"}, "S1", {"ballot_session": 3}])
def test_parse_basis_rejects_shapes(basis):
    with pytest.raises(Invalid):
        parse_basis(basis)


# over_rank per category: (post rank, cadre rank) → fits
@pytest.mark.parametrize(
    "category,post_rank,cadre_rank,fits",
    [
        ("promotion", "deputy_section", "clerk", True),
        ("promotion", "deputy_section", "deputy_section", False),
        ("promotion", "section", "clerk", False),  # two ranks up
        ("promotion", "clerk", "clerk", False),
        ("lateral_transfer", "section", "section", True),
        ("lateral_transfer", "section", "deputy_section", False),
        ("lateral_transfer", "deputy_section", "section", False),
        ("key_leadership", "section", "section", True),
        ("key_leadership", "section", "deputy_section", True),
        ("key_leadership", "section", "clerk", False),
        ("key_leadership", "deputy_section", "section", False),
        ("public_selection", "section", "clerk", True),
        ("public_selection", "clerk", "section", True),
    ],
)
def test_rank_rule(category, post_rank, cadre_rank, fits):
    assert rank_fits(category, post_rank, cadre_rank) is fits


# --- the basis must fit the mode -------------------------------------------------


def basis_code(selection, basis, cadre="C1", **evidence):
    try:
        check_basis(selection, cadre, parse_basis(basis), **evidence)
    except RuleViolation as exc:
        return exc.code
    return None


PLENARY = make_selection(category="key_leadership", post_rank="section")
DEMOCRATIC = make_selection(category="promotion")
ORG = make_selection(category="lateral_transfer")
PUBLIC = make_selection(category="public_selection")


def test_plenary_needs_a_plenary_session():
    assert basis_code(PLENARY, {"ballot_session": "S1"}, session=make_session(kind="plenary")) is None
    assert basis_code(PLENARY, {"ballot_session": "S1"}, session=make_session()) == "no_basis"
    assert basis_code(PLENARY, {"resolution": "R-7"}) == "no_basis"


def test_democratic_needs_a_democratic_session():
    assert basis_code(DEMOCRATIC, {"ballot_session": "S1"}, session=make_session()) is None
    assert basis_code(DEMOCRATIC, {"ballot_session": "S1"}, session=make_session(kind="plenary")) == "no_basis"
    assert basis_code(DEMOCRATIC, {"resolution": "R-7"}) == "no_basis"
    assert basis_code(DEMOCRATIC, {"campaign": "K1"}) == "no_basis"


@pytest.mark.parametrize(
    "session",
    [
        None,  # no such session
        make_session(id="S2"),  # not the one named
        make_session(selection="other"),  # another selection's session
        make_session(closed=False),
        make_session(quorum_met=False),  # void
        make_session(votes={"C1": 0, "C2": 10}),  # the cadre got no votes
        make_session(votes={"C2": 10}),
    ],
)
def test_ballot_session_basis_must_be_closed_quorate_ours_with_votes(session):
    assert basis_code(DEMOCRATIC, {"ballot_session": "S1"}, session=session) == "no_basis"


def test_org_recommendation_takes_a_resolution_or_either_session_kind():
    assert basis_code(ORG, {"resolution": "Org dept. meeting 2024-12"}) is None
    assert basis_code(ORG, {"resolution": "   "}) == "no_basis"
    assert basis_code(ORG, {"ballot_session": "S1"}, session=make_session(kind="plenary")) is None
    assert basis_code(ORG, {"ballot_session": "S1"}, session=make_session()) is None
    assert basis_code(ORG, {"ballot_session": "S1"}, session=make_session(quorum_met=False)) == "no_basis"
    assert basis_code(ORG, {"campaign": "K1"}) == "no_basis"


def test_public_selection_needs_a_published_campaign_ranking_within_seats():
    campaign = CampaignOutcome("K1", True, 2, {"C1": 2, "C2": 1, "C3": 3})
    assert basis_code(PUBLIC, {"campaign": "K1"}, campaign=campaign) is None
    assert basis_code(PUBLIC, {"campaign": "K1"}, cadre="C3", campaign=campaign) == "no_basis"
    assert basis_code(PUBLIC, {"campaign": "K1"}, cadre="C4", campaign=campaign) == "no_basis"
    assert basis_code(PUBLIC, {"campaign": "K2"}, campaign=campaign) == "no_basis"
    assert basis_code(PUBLIC, {"campaign": "K1"}, campaign=None) == "no_basis"
    unpublished = CampaignOutcome("K1", False, 2, {"C1": 1})
    assert basis_code(PUBLIC, {"campaign": "K1"}, campaign=unpublished) == "no_basis"
    assert basis_code(PUBLIC, {"ballot_session": "S1"}, session=make_session()) == "no_basis"
    assert basis_code(PUBLIC, {"resolution": "R"}) == "no_basis"


def test_public_selection_nomination_end_to_end():
    campaign = CampaignOutcome("K1", True, 1, {"C1": 1})
    nomination = nominate(
        selection=PUBLIC, cadre=make_cadre(rank="section"), basis={"campaign": "K1"}, campaign=campaign
    )
    assert nomination.basis.as_dict() == {"campaign": "K1"}


def test_rule_errors_carry_no_personal_data():
    for kwargs in ({"relations": [{"person": "Secretary Li", "kind": "kin"}]}, {"cadre": make_cadre(unit="U9")}):
        with pytest.raises(RuleViolation) as exc:
            nominate(**kwargs)
        assert "Secretary Li" not in exc.value.detail and "Zhang" not in exc.value.detail


# --- which published candidate a cadre is (public selection basis) ---------------------------------

PUBLISHED = [
    {"post": "P-OTHER", "seats": 1, "ranking": [{"exam_number": "C-1", "name": "Li", "rank": 1}]},
    {
        "post": "P-1",
        "seats": 2,
        "ranking": [
            {"exam_number": "E-9", "name": "Li", "rank": 1},
            {"exam_number": "C-2", "name": "Wang", "rank": 2},
            {"exam_number": "E-7", "name": "Zhao", "rank": 3},
            {"exam_number": "E-8", "name": "Zhao", "rank": 4},
        ],
    },
]


@pytest.mark.parametrize(
    "code, name, ranking",
    [
        ("C-2", "Someone", {"C-2": 2}),  # the exam number is the cadre code
        ("C-5", "Li", {"C-5": 1}),  # a name unique in the post's ranking
        ("C-6", "Zhao", {}),  # two candidates of that name: no match
        ("C-1", "Nobody", {}),  # ranked, but for another post
    ],
)
def test_a_cadre_is_a_published_candidate_by_exam_number_or_unique_name(code, name, ranking):
    outcome = campaign_outcome("CAMP", PUBLISHED, "P-1", code, name)
    assert (outcome.code, outcome.published, outcome.seats, dict(outcome.ranking)) == ("CAMP", True, 2, ranking)


def test_a_campaign_that_published_nothing_gives_no_outcome_and_one_without_the_post_no_seats():
    assert campaign_outcome("CAMP", None, "P-1", "C-2", "Wang") is None
    none_here = campaign_outcome("CAMP", PUBLISHED, "P-NONE", "C-2", "Wang")
    assert (none_here.published, none_here.seats, dict(none_here.ranking)) == (True, 0, {})
