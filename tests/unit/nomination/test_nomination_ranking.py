"""The four-emphases ranking: components, weights, composite and rank."""

import pytest

from services.common.errors import Invalid
from services.nomination.domain.ranking import (
    DEFAULT_WEIGHTS,
    best_session,
    grassroots_score,
    rank_nominees,
    validate_weights,
    vote_share,
)

from nomination_builders import make_session


def test_default_weights():
    assert validate_weights(None) == {
        "integrity_ability": 0.25,
        "performance": 0.25,
        "public_opinion": 0.25,
        "grassroots": 0.25,
    }


def test_weights_may_be_uneven_and_zero():
    weights = {"integrity_ability": 0.4, "performance": 0.3, "public_opinion": 0.3, "grassroots": 0}
    assert validate_weights(weights)["grassroots"] == 0.0


def test_weights_tenths_sum_to_one_despite_floats():
    validate_weights({"integrity_ability": 0.1, "performance": 0.2, "public_opinion": 0.3, "grassroots": 0.4})


@pytest.mark.parametrize(
    "weights,field",
    [
        ({"integrity_ability": 0.5, "performance": 0.5, "public_opinion": 0.5, "grassroots": 0}, "weights"),
        (
            {"integrity_ability": 1.25, "performance": -0.25, "public_opinion": 0, "grassroots": 0},
            "weights.performance",
        ),
        ({"integrity_ability": 1}, "weights.performance"),
        ({**DEFAULT_WEIGHTS, "luck": 0}, "weights.luck"),
        ({**DEFAULT_WEIGHTS, "grassroots": "0.25"}, "weights.grassroots"),
        ({**DEFAULT_WEIGHTS, "grassroots": float("nan")}, "weights.grassroots"),
    ],
)
def test_bad_weights(weights, field):
    with pytest.raises(Invalid) as exc:
        validate_weights(weights)
    assert field in exc.value.errors


@pytest.mark.parametrize("years,score", [(0, 0), (3, 30), (9.5, 95), (10, 100), (25, 100)])
def test_grassroots_scaled_and_capped(years, score):
    assert grassroots_score(years) == score


def test_best_session_is_the_quorate_one_with_most_valid_ballots():
    small = make_session(id="S1", valid=20)
    big = make_session(id="S2", valid=40)
    void = make_session(id="S3", valid=90, quorum_met=False)
    open_ = make_session(id="S4", valid=95, closed=False)
    assert best_session([small, big, void, open_]).id == "S2"
    assert best_session([void]) is None


def test_vote_share_in_percent_of_valid_ballots():
    session = make_session(valid=40, votes={"C1": 30, "C2": 10})
    assert vote_share(session, "C1") == 75.0
    assert vote_share(session, "C9") == 0.0
    assert vote_share(None, "C1") == 0.0
    assert vote_share(make_session(valid=0, votes={}), "C1") == 0.0


def test_rank_nominees_components_composite_and_rank():
    session = make_session(valid=40, votes={"C1": 30, "C2": 10, "C3": 20})
    result = rank_nominees(
        ["C1", "C2", "C3"],
        ratings={"C1": 80, "C2": 90, "C3": 70},
        performance={"C1": 60, "C2": None},
        grassroots_years={"C1": 4, "C2": 12, "C3": 0},
        sessions=[session],
    )
    assert result["weights"] == DEFAULT_WEIGHTS
    items = {item["cadre"]: item for item in result["items"]}
    assert items["C1"]["components"] == {
        "integrity_ability": 80.0,
        "performance": 60.0,
        "public_opinion": 75.0,
        "grassroots": 40.0,
    }
    assert items["C1"]["composite"] == 63.75
    assert items["C2"]["missing"] == ["performance"] and items["C2"]["components"]["performance"] == 0
    assert items["C2"]["composite"] == pytest.approx((90 + 0 + 25 + 100) / 4)
    assert items["C3"]["missing"] == ["performance"]
    assert [i["cadre"] for i in result["items"]] == ["C1", "C2", "C3"]
    assert [i["rank"] for i in result["items"]] == [1, 2, 3]
    assert result["session"] == "S1"


def test_weights_change_the_order():
    args = dict(ratings={"C1": 100, "C2": 0}, performance={"C1": 0, "C2": 0}, grassroots_years={"C1": 0, "C2": 10})
    integrity_first = {"integrity_ability": 1, "performance": 0, "public_opinion": 0, "grassroots": 0}
    grassroots_first = {"integrity_ability": 0, "performance": 0, "public_opinion": 0, "grassroots": 1}
    assert rank_nominees(["C1", "C2"], weights=integrity_first, **args)["items"][0]["cadre"] == "C1"
    assert rank_nominees(["C1", "C2"], weights=grassroots_first, **args)["items"][0]["cadre"] == "C2"


def test_equal_composites_share_a_rank_and_list_by_code():
    result = rank_nominees(
        ["C3", "C1", "C2"],
        ratings={"C1": 50, "C2": 50, "C3": 10},
        performance={"C1": 50, "C2": 50, "C3": 10},
        grassroots_years={},
        sessions=[],
    )
    assert [(i["cadre"], i["rank"]) for i in result["items"]] == [("C1", 1), ("C2", 1), ("C3", 3)]


def test_missing_rating_counts_zero_and_is_named():
    result = rank_nominees(["C1"], ratings={}, performance={"C1": 50}, grassroots_years={"C1": 1})
    item = result["items"][0]
    assert item["missing"] == ["integrity_ability"] and item["components"]["public_opinion"] == 0
    assert item["composite"] == 15.0


def test_rank_nominees_validates_weights():
    with pytest.raises(Invalid):
        rank_nominees(["C1"], ratings={}, performance={}, grassroots_years={}, weights={"integrity_ability": 2})
