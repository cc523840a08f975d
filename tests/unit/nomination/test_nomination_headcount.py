"""Headcount bookkeeping: over_headcount and the deltas of open, close and appointment."""

import pytest

from services.common.errors import RuleViolation
from services.nomination.domain import headcount as h


def test_vacancies_up_to_free_places_are_allowed():
    h.check_vacancies(2, headcount=5, occupied=2, reserved=1)


def test_over_headcount_when_more_than_free():
    with pytest.raises(RuleViolation) as exc:
        h.check_vacancies(3, headcount=5, occupied=2, reserved=1)
    assert exc.value.code == "over_headcount" and exc.value.status == 422


def test_reserved_places_count_against_free_vacancies():
    with pytest.raises(RuleViolation):
        h.check_vacancies(1, headcount=3, occupied=0, reserved=3)


def test_open_reserves_close_releases_appointment_fills_and_drops_reservation():
    assert h.reserve(2) == h.HeadcountDelta(occupied=0, reserved=2)
    assert h.release(2) == h.HeadcountDelta(occupied=0, reserved=-2)
    assert h.appoint(2, 2) == h.HeadcountDelta(occupied=2, reserved=-2)


def test_a_selection_round_trip_balances_the_books():
    occupied, reserved = h.apply_delta(4, 1, 0, h.reserve(2))
    assert (occupied, reserved) == (1, 2)
    assert h.post_counts(4, occupied, reserved)["vacancies"] == 1
    assert h.apply_delta(4, occupied, reserved, h.appoint(2, 2)) == (3, 0)
    assert h.apply_delta(4, occupied, reserved, h.release(2)) == (1, 0)


def test_apply_delta_refuses_unbalanced_books():
    with pytest.raises(ValueError):
        h.apply_delta(4, 1, 0, h.release(1))  # releasing what was never reserved
    with pytest.raises(ValueError):
        h.apply_delta(2, 1, 1, h.reserve(1))  # over the headcount


def test_delta_as_mongo_increments():
    assert h.appoint(1, 2).as_inc() == {"inc__occupied": 1, "inc__reserved": -2}


def test_post_counts_shape():
    assert h.post_counts(5, 2, 1) == {"headcount": 5, "occupied": 2, "reserved": 1, "vacancies": 2}
