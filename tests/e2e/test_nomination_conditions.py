"""POST /selections/{id}/qualification with each condition optional (API.md): only min_rank, only
min_grassroots_years, or conditions: {} is accepted, and a nomination is then checked against the scope
and the conditions set, never against one left out."""

import pytest

from tests.e2e.test_nomination_support import (
    consult,
    make_cadre,
    make_post,
    make_unit,
    nominate,
    ok,
    open_selection,
    principals,
    problem,
    voted_session,
)


@pytest.fixture(scope="module")
def org(api):
    return principals(api)


def qualified(api, conditions, cadres):
    """A selection qualified with ``conditions`` and walked to recommendation, and a world whose cadres
    are ``cadres`` (rank, grassroots years) of one unit in scope, plus one cadre of a unit outside it."""
    unit, outside = make_unit(api), make_unit(api)
    post = make_post(api, unit, rank="section")
    codes = [make_cadre(api, unit, rank=rank, years=years) for rank, years in cadres]
    stranger = make_cadre(api, outside, rank="deputy_section", years=10)
    sel = ok(open_selection(api, post), 201)["id"]
    body = ok(
        api.post(f"/api/v1/selections/{sel}/qualification", {"conditions": conditions, "scope": [unit]}, as_="org")
    )
    assert body["qualification"]["conditions"] == conditions
    ok(consult(api, sel, "leader_in_charge"))
    ok(consult(api, sel, "grassroots"))
    session = voted_session(api, sel, codes + [stranger])
    return sel, codes, stranger, {"ballot_session": session}


def test_no_conditions_leaves_the_scope_only(org):
    sel, (young,), stranger, basis = qualified(org, {}, [("deputy_section", 0)])
    ok(nominate(org, sel, young, basis), 201)
    problem(nominate(org, sel, stranger, basis), 422, "not_eligible")


def test_only_min_rank(org):
    sel, (junior, senior), _, basis = qualified(
        org, {"min_rank": "deputy_section"}, [("clerk", 20), ("deputy_section", 0)]
    )
    problem(nominate(org, sel, junior, basis), 422, "not_eligible")
    ok(nominate(org, sel, senior, basis), 201)  # no grassroots condition: none needed


def test_only_min_grassroots_years(org):
    sel, (new, seasoned), _, basis = qualified(
        org, {"min_grassroots_years": 3}, [("deputy_section", 1), ("deputy_section", 3)]
    )
    problem(nominate(org, sel, new, basis), 422, "not_eligible")
    ok(nominate(org, sel, seasoned, basis), 201)


def test_a_condition_given_is_still_checked(org):
    unit = make_unit(org)
    sel = ok(open_selection(org, make_post(org, unit)), 201)["id"]
    body = problem(
        org.post(
            f"/api/v1/selections/{sel}/qualification",
            {"conditions": {"min_rank": "marshal"}, "scope": [unit]},
            as_="org",
        ),
        400,
        "invalid",
    )
    assert "min_rank" in str(body["errors"])
