"""The one optimistic-update loop: redo until the guarded write matches, a bounded number of times."""

import pytest

from services.common.errors import Conflict, Unavailable
from services.common.retry import until_written


def racing(losses, result="written"):
    """An attempt whose guarded write loses ``losses`` races, then writes."""
    calls = []

    def attempt():
        calls.append(len(calls))
        return None if len(calls) <= losses else result

    return attempt, calls


def test_first_write_that_matches_is_the_answer():
    attempt, calls = racing(0)
    assert until_written(attempt, 3) == "written" and len(calls) == 1


def test_lost_races_are_redone_with_a_pause_after_each():
    attempt, calls = racing(2)
    paused = []
    assert until_written(attempt, 3, pause=paused.append) == "written"
    assert len(calls) == 3 and paused == [0, 1]


def test_falsy_results_other_than_none_count_as_written():
    attempt, calls = racing(1, result=0)
    assert until_written(attempt, 2) == 0 and len(calls) == 2


def test_every_race_lost_is_a_conflict_by_default():
    attempt, calls = racing(5)
    with pytest.raises(Conflict) as refused:
        until_written(attempt, 3)
    assert refused.value.code == "conflict" and len(calls) == 3


def test_the_caller_names_what_giving_up_raises():
    attempt, _ = racing(5)
    with pytest.raises(Unavailable):
        until_written(attempt, 2, gave_up=Unavailable("the review is changing too often; retry"))


def test_a_refusal_inside_the_attempt_is_not_retried():
    calls = []

    def attempt():
        calls.append(1)
        raise Conflict("wrong stage", "wrong_stage")

    with pytest.raises(Conflict):
        until_written(attempt, 5)
    assert len(calls) == 1


def test_the_default_conflict_tells_the_client_to_retry():
    attempt, _ = racing(5)
    with pytest.raises(Conflict) as refused:
        until_written(attempt, 1)
    assert refused.value.detail == "the resource kept changing under this request; retry"
