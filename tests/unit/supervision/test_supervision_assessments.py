"""Routine assessment: periods, score validation, bottom-N ranking, incompetent-twice flag."""

import pytest

from services.common.errors import Invalid
from services.supervision.domain import assessments as asm
from services.supervision.domain.assessments import Period


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2026", Period(2026, "year", 1)),
        ("2026-H2", Period(2026, "half", 2)),
        ("2026-Q3", Period(2026, "quarter", 3)),
        ("2026-07", Period(2026, "month", 7)),
    ],
)
def test_period_forms_parse_and_print_back(text, expected):
    assert Period.parse(text) == expected
    assert str(expected) == text


@pytest.mark.parametrize(
    "bad",
    ["26", "2026-Q5", "2026-H3", "2026-13", "2026-00", "2026-7", "1899", "2026-q1", " 2026", "2026-W01", None, 2026],
)
def test_bad_periods_are_invalid(bad):
    with pytest.raises(Invalid) as exc:
        Period.parse(bad)
    assert list(exc.value.errors) == ["period"]


def test_consecutive_periods_same_granularity_across_years():
    assert Period.parse("2026-Q4").next() == Period.parse("2027-Q1")
    assert Period.parse("2026-12").is_followed_by(Period.parse("2027-01"))
    assert Period.parse("2026-H1").is_followed_by(Period.parse("2026-H2"))
    assert Period.parse("2025").is_followed_by(Period.parse("2026"))
    assert not Period.parse("2026-Q1").is_followed_by(Period.parse("2026-Q3"))
    assert not Period.parse("2026-H1").is_followed_by(Period.parse("2026-Q3"))


def test_period_ordering_by_start_then_longer_first():
    texts = ["2026-Q3", "2026-07", "2026", "2025-12", "2026-H2", "2026-Q1"]
    assert [str(p) for p in sorted(Period.parse(t) for t in texts)] == [
        "2025-12",
        "2026",
        "2026-Q1",
        "2026-H2",
        "2026-Q3",
        "2026-07",
    ]


def test_score_and_unit_validation_reports_every_bad_field():
    assert asm.assess_unit("2026", "U1", 0).score == 0
    assert asm.assess_unit("2026", "U1", 100).score == 100
    assert asm.assess_unit("2026", "U1", 72.5).period == Period(2026)
    for bad in (-0.1, 100.01, True, "90", float("nan"), None):
        with pytest.raises(Invalid) as exc:
            asm.assess_unit("2026", "U1", bad)
        assert list(exc.value.errors) == ["score"]
    with pytest.raises(Invalid) as exc:
        asm.assess_unit("2026-Q9", "", 101)
    assert set(exc.value.errors) == {"period", "unit", "score"}
    with pytest.raises(Invalid) as exc:
        asm.assess_cadre("2026", " ", 50)
    assert list(exc.value.errors) == ["cadre"]


def units(period, scores):
    return [asm.assess_unit(period, unit, score) for unit, score in scores.items()]


def test_ranking_by_score_desc_ties_by_code_bottom_n_flagged_with_tasks():
    data = units("2026-H1", {"U3": 80, "U1": 80, "U2": 95, "U4": 60, "U5": 70})
    data += units("2026-H2", {"U9": 1})  # another period: ignored
    ranking = asm.rank_units("2026-H1", data, bottom=2)
    assert [(i.rank, i.unit, i.key_management) for i in ranking.items] == [
        (1, "U2", False),
        (2, "U1", False),
        (3, "U3", False),
        (4, "U5", True),
        (5, "U4", True),
    ]
    assert ranking.key_management == ("U5", "U4")
    assert [i.rectification is not None for i in ranking.items] == [False, False, False, True, True]
    task = ranking.items[-1].rectification
    assert task.unit == "U4" and str(task.period) == "2026-H1"
    assert "重点管理单位" in task.title and "第5位" in task.title
    event = ranking.events[0]
    assert event.type == "assessment.ranked"
    # the data EVENTS.md gives ``assessment.ranked``: every unit with its score, rank and flag
    assert event.data == {
        "period": "2026-H1",
        "bottom": 2,
        "units": [
            {"unit": "U2", "score": 95, "rank": 1, "key_management": False},
            {"unit": "U1", "score": 80, "rank": 2, "key_management": False},
            {"unit": "U3", "score": 80, "rank": 3, "key_management": False},
            {"unit": "U5", "score": 70, "rank": 4, "key_management": True},
            {"unit": "U4", "score": 60, "rank": 5, "key_management": True},
        ],
    }


def test_tie_at_the_cut_off_is_settled_by_unit_code():
    ranking = asm.rank_units("2026", units("2026", {"B": 50, "A": 50, "C": 90}), bottom=1)
    assert ranking.key_management == ("B",)


def test_bottom_zero_and_bottom_beyond_count():
    data = units("2026", {"A": 1, "B": 2})
    assert asm.rank_units("2026", data, bottom=0).key_management == ()
    assert asm.rank_units("2026", data, bottom=9).key_management == ("B", "A")
    assert asm.rank_units("2026", [], bottom=3).items == ()
    for bad in (-1, 1.5, True, "2"):
        with pytest.raises(Invalid) as exc:
            asm.rank_units("2026", data, bottom=bad)
        assert list(exc.value.errors) == ["bottom"]


def cadre(cadre_code, scores):
    return [asm.assess_cadre(p, cadre_code, s) for p, s in scores.items()]


def test_incompetent_twice_running_flags_for_adjustment():
    flag = asm.adjustment_flag(cadre("C1", {"2026-Q1": 80, "2026-Q2": 55, "2026-Q3": 59.9}))
    assert flag is not None
    assert flag.as_dict() == {"cadre": "C1", "periods": ["2026-Q2", "2026-Q3"], "scores": [55, 59.9]}


def test_once_or_at_threshold_or_not_consecutive_does_not_flag():
    assert asm.adjustment_flag(cadre("C1", {"2026-Q1": 80, "2026-Q2": 50})) is None
    assert asm.adjustment_flag(cadre("C1", {"2026-Q1": 60, "2026-Q2": 50})) is None
    assert asm.adjustment_flag(cadre("C1", {"2026-Q1": 50, "2026-Q3": 50})) is None  # gap
    assert asm.adjustment_flag(cadre("C1", {"2026-H1": 50, "2026-Q3": 50})) is None  # mixed


def test_flag_crosses_year_end_and_threshold_is_configurable():
    assert asm.adjustment_flag(cadre("C1", {"2025-12": 40, "2026-01": 30})) is not None
    assert asm.adjustment_flag(cadre("C1", {"2025": 65, "2026": 69}), threshold=70) is not None


def test_old_run_followed_by_recovery_does_not_flag():
    history = cadre("C1", {"2026-Q1": 50, "2026-Q2": 50, "2026-Q3": 85})
    assert asm.adjustment_flag(history) is None


def test_cadres_for_adjustment_lists_flagged_cadres_by_code():
    data = (
        cadre("C2", {"2026-01": 10, "2026-02": 20})
        + cadre("C1", {"2026": 30, "2027": 40})
        + cadre("C3", {"2026-01": 10, "2026-02": 90})
    )
    assert [f.cadre for f in asm.cadres_for_adjustment(data)] == ["C1", "C2"]


def test_a_ranking_names_the_cadres_whose_flag_ends_in_its_period_from_scores_up_to_it():
    histories = [
        cadre("C1", {"2026-Q1": 50, "2026-Q2": 50, "2026-Q3": 90}),  # flagged as of Q2 only
        cadre("C2", {"2026-Q2": 40, "2026-Q3": 40}),  # flag ends in Q3
        cadre("C3", {"2026-Q2": 70}),
    ]
    assert [f.cadre for f in asm.adjustments_in("2026-Q2", histories)] == ["C1"]
    assert [f.cadre for f in asm.adjustments_in("2026-Q3", histories)] == ["C2"]


# The exact outcomes: what the API shows of scores and rankings, every message, each boundary.


def test_scores_show_their_period_as_written_with_the_unit_or_cadre():
    assert asm.assess_unit("2026-Q3", " U1 ", 75.5).as_dict() == {"period": "2026-Q3", "unit": "U1", "score": 75.5}
    assert asm.assess_cadre("2026-07", "C1", 59).as_dict() == {"period": "2026-07", "cadre": "C1", "score": 59}


def test_each_bad_field_of_a_score_has_its_message():
    with pytest.raises(Invalid) as exc:
        asm.assess_unit("2026", " ", float("nan"))
    assert exc.value.errors == {"unit": ["Must not be empty."], "score": ["Not a valid number."]}
    with pytest.raises(Invalid) as exc:
        asm.assess_cadre("2026", "C" * (asm.CODE_MAX_CHARS + 1), 50)
    assert exc.value.errors == {"cadre": [f"Longer than maximum length {asm.CODE_MAX_CHARS}."]}
    assert asm.assess_cadre("2026", "C" * asm.CODE_MAX_CHARS, 50).cadre == "C" * asm.CODE_MAX_CHARS


def test_a_ranking_shows_each_unit_its_rank_and_the_rectification_owed():
    ranking = asm.rank_units("2026-H1", units("2026-H1", {"U1": 90, "U2": 40}), bottom=1)
    assert (ranking.period, ranking.bottom) == (Period(2026, "half", 1), 1)
    assert [i.as_dict() for i in ranking.items] == [
        {"rank": 1, "unit": "U1", "score": 90, "key_management": False, "rectification": None},
        {
            "rank": 2,
            "unit": "U2",
            "score": 40,
            "key_management": True,
            "rectification": {
                "unit": "U2",
                "period": "2026-H1",
                "title": "2026-H1平时考核排名第2位（共2个单位），列为重点管理单位，限期整改",
            },
        },
    ]
    assert ranking.events[0].subject == "assessment:2026-H1"


def test_each_refusal_of_a_ranking_says_why():
    with pytest.raises(Invalid) as exc:
        asm.rank_units("2026", [], bottom=-1)
    assert exc.value.errors == {"bottom": ["Must be a whole number, 0 or more."]}
    twice = units("2026", {"U1": 50}) * 2
    with pytest.raises(ValueError, match="^a unit has more than one score for the period$"):
        asm.rank_units("2026", twice, bottom=1)


def test_a_flag_is_of_one_cadre_with_one_score_a_period():
    with pytest.raises(ValueError, match="^history must be one cadre's$"):
        asm.adjustment_flag(cadre("C1", {"2026": 50}) + cadre("C2", {"2027": 50}))
    with pytest.raises(ValueError, match="^a cadre has more than one score for a period$"):
        asm.adjustment_flag(cadre("C1", {"2026": 50}) * 2)


def test_a_run_counts_within_its_own_granularity_whatever_other_periods_are_scored():
    history = cadre("C1", {"2026-Q1": 50, "2026-Q2": 50, "2027": 90, "2027-H2": 90, "2027-12": 90})
    assert asm.adjustment_flag(history).as_dict() == {
        "cadre": "C1",
        "periods": ["2026-Q1", "2026-Q2"],
        "scores": [50, 50],
    }


def test_of_two_runs_the_flag_is_the_one_that_ends_latest():
    history = cadre("C1", {"2026-Q1": 50, "2026-Q2": 50, "2026-07": 40, "2026-08": 40})
    assert asm.adjustment_flag(history).periods == (Period(2026, "month", 7), Period(2026, "month", 8))


def test_the_threshold_reaches_every_list_of_flags():
    scores = {"2026-Q1": 65, "2026-Q2": 65}
    assert asm.cadres_for_adjustment(cadre("C1", scores)) == []
    assert [f.cadre for f in asm.cadres_for_adjustment(cadre("C1", scores), threshold=70)] == ["C1"]
    assert asm.adjustments_in("2026-Q2", [cadre("C1", scores)]) == []
    assert [f.cadre for f in asm.adjustments_in("2026-Q2", [cadre("C1", scores)], threshold=70)] == ["C1"]
