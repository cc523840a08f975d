"""Joint review rules: statuses, duplicate verdicts, overdue never cleared, concealment voids."""

from datetime import datetime, timedelta, timezone
from itertools import count

import pytest

from services.common.errors import Conflict, Forbidden, Invalid
from services.supervision.domain import reviews as rv

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
DAY = 86400
ALL = ("discipline", "audit", "family_planning", "petition")


def ids():
    counter = count(1)
    return lambda: f"r{next(counter)}"


def one(**kw):
    return rv.open_reviews("S1", ["C1"], T0, new_id=ids(), **kw)[0]


def give(review, dept, verdict="clear", reason="ok", at=None):
    return rv.apply_verdict(review, dept, verdict, reason, at or T0 + timedelta(hours=1))


def types(outcome):
    return [e.type for e in outcome.events]


def test_open_reviews_one_pending_per_nominee_with_four_empty_verdicts():
    opened = rv.open_reviews("S1", ["C1", "C2", "C1"], T0, new_id=ids())
    assert [(r.cadre, r.status) for r in opened] == [("C1", "pending"), ("C2", "pending")]
    assert opened[0].verdicts == {d: None for d in ALL}
    assert opened[0].due_at == T0 + timedelta(seconds=rv.DEFAULT_REVIEW_DEADLINE_SECONDS)
    assert opened[0].as_dict()["verdicts"] == {d: None for d in ALL}


def test_open_reviews_skips_cadres_already_reviewed_in_this_selection():
    first = rv.open_reviews("S1", ["C1"], T0, new_id=ids())
    again = rv.open_reviews("S1", ["C1", "C2"], T0, existing=first, new_id=ids())
    assert [r.cadre for r in again] == ["C2"]
    other = rv.open_reviews("S2", ["C1"], T0, existing=first, new_id=ids())
    assert [r.cadre for r in other] == ["C1"]


def test_departments_are_configuration_and_deadline_too():
    r = one(departments=("discipline", "audit"), deadline_seconds=60)
    assert r.departments == ("discipline", "audit")
    assert r.due_at == T0 + timedelta(seconds=60)
    r = give(r, "discipline").review
    out = give(r, "audit")
    assert out.review.status == "cleared"
    with pytest.raises(Forbidden):
        give(r, "petition")


def test_open_reviews_rejects_no_departments_and_naive_time():
    with pytest.raises(ValueError):
        rv.open_reviews("S1", ["C1"], T0, departments=(), new_id=lambda: "r1")
    with pytest.raises(ValueError):
        rv.open_reviews("S1", ["C1"], datetime(2026, 3, 1), new_id=lambda: "r1")


def test_all_four_clear_makes_cleared_and_emits_cleared_once():
    r = one()
    for dept in ALL[:-1]:
        out = give(r, dept)
        r = out.review
        assert r.status == "pending"
        assert types(out) == ["review.verdict_given"]
    out = give(r, ALL[-1])
    assert out.review.status == "cleared"
    assert types(out) == ["review.verdict_given", "review.cleared"]
    cleared = out.events[1]
    assert cleared.subject == "selection:S1"
    assert cleared.data == {"review": "r1", "selection": "S1", "cadre": "C1"}
    assert out.void_nomination is False


def test_verdict_shape_is_verdict_reason_and_time():
    at = T0 + timedelta(hours=2)
    r = rv.apply_verdict(one(), "audit", "clear", "  no findings ", at).review
    assert r.as_dict()["verdicts"]["audit"] == {"verdict": "clear", "reason": "no findings", "at": at}
    assert r.as_dict()["verdicts"]["discipline"] is None
    assert r.missing == ("discipline", "family_planning", "petition")


def test_clear_may_come_without_reason_but_veto_needs_one():
    assert give(one(), "audit", "clear", None).review.verdicts["audit"].reason == ""
    with pytest.raises(Invalid) as exc:
        give(one(), "audit", "veto", "   ")
    assert "reason" in exc.value.errors
    with pytest.raises(Invalid) as exc:
        give(one(), "audit", "veto", "x" * (rv.REASON_MAX_CHARS + 1))
    assert "reason" in exc.value.errors


def test_unknown_verdict_is_invalid():
    with pytest.raises(Invalid) as exc:
        give(one(), "audit", "maybe")
    assert list(exc.value.errors) == ["verdict"]


def test_one_veto_vetoes_even_if_others_clear():
    r = one()
    r = give(r, "discipline").review
    out = give(r, "audit", "veto", "unaudited accounts")
    assert out.review.status == "vetoed"
    assert types(out) == ["review.verdict_given", "review.vetoed"]
    assert out.events[1].data["department"] == "audit"
    assert out.events[1].data["concealment"] is False
    assert out.void_nomination is False
    # the rest may still answer for the record; clears never undo the veto
    r = give(out.review, "family_planning").review
    out = give(r, "petition")
    assert out.review.status == "vetoed"
    assert types(out) == ["review.verdict_given"]


def test_second_verdict_from_same_department_is_already_submitted():
    r = give(one(), "petition", "clear").review
    with pytest.raises(Conflict) as exc:
        give(r, "petition", "veto", "changed mind")
    assert exc.value.code == "already_submitted"
    assert r.verdicts["petition"].verdict == "clear"


def test_department_not_among_reviewers_is_forbidden():
    with pytest.raises(Forbidden):
        give(one(), "org")


def test_concealment_veto_signals_void_nomination():
    out = give(one(), "discipline", "veto", "concealment")
    assert out.review.status == "vetoed"
    assert out.void_nomination is True
    assert out.events[1].data["concealment"] is True


def test_concealment_with_detail_also_counts_but_mention_in_text_does_not():
    assert give(one(), "discipline", "veto", "Concealment: unreported housing").void_nomination
    assert not give(one(), "discipline", "veto", "no concealment found, but debts").void_nomination
    assert not give(one(), "discipline", "clear", "concealment").void_nomination


def test_concealment_after_another_veto_still_voids():
    r = give(one(), "audit", "veto", "irregular spending").review
    out = give(r, "discipline", "veto", "concealment")
    assert out.void_nomination is True
    assert types(out) == ["review.verdict_given"]  # already vetoed: no second review.vetoed
    assert out.events[0].data["concealment"] is True


def test_review_is_due_for_overdue_only_at_deadline_with_verdict_missing():
    r = give(one(), "audit").review
    just_before = r.due_at - timedelta(seconds=1)
    assert rv.reviews_due_for_overdue([r], just_before) == []
    assert rv.mark_overdue(r, just_before).status == "pending"
    assert rv.reviews_due_for_overdue([r], r.due_at) == [r]
    marked = rv.mark_overdue(r, r.due_at)
    assert marked.status == "overdue"
    assert marked.verdicts == r.verdicts


def test_overdue_is_never_cleared_by_silence():
    r = rv.mark_overdue(give(one(), "audit").review, T0 + timedelta(days=6))
    later = T0 + timedelta(days=60)
    assert rv.mark_overdue(r, later).status == "overdue"
    assert rv.review_status(r.verdicts, r.due_at, later) == "overdue"
    assert rv.reviews_due_for_overdue([r], later) == []  # already marked: the timer leaves it


def test_cleared_and_vetoed_reviews_are_not_marked_overdue():
    r = one()
    for d in ALL:
        r = give(r, d).review
    vetoed = give(one(), "audit", "veto", "x").review
    late = T0 + timedelta(days=30)
    assert rv.reviews_due_for_overdue([r, vetoed], late) == []
    assert rv.mark_overdue(r, late).status == "cleared"
    assert rv.mark_overdue(vetoed, late).status == "vetoed"


def test_reviews_due_are_listed_earliest_first():
    a = rv.open_reviews("S1", ["C1"], T0 + timedelta(days=1), new_id=lambda: "a")[0]
    b = rv.open_reviews("S2", ["C2"], T0, new_id=lambda: "b")[0]
    assert [r.id for r in rv.reviews_due_for_overdue([a, b], T0 + timedelta(days=10))] == ["b", "a"]


def test_late_verdict_on_unmarked_review_makes_it_overdue_not_pending():
    late = T0 + timedelta(days=6)
    out = give(one(), "audit", "clear", "ok", at=late)
    assert out.review.status == "overdue"


def test_overdue_review_resolves_by_the_same_rule_when_missing_verdicts_arrive():
    r = give(give(one(), "discipline").review, "audit").review
    r = rv.mark_overdue(r, T0 + timedelta(days=6))
    late = T0 + timedelta(days=7)
    out = give(r, "family_planning", at=late)
    assert out.review.status == "overdue"
    out = give(out.review, "petition", at=late)
    assert out.review.status == "cleared"
    assert types(out) == ["review.verdict_given", "review.cleared"]

    vetoed = give(r, "petition", "veto", "complaints upheld", at=late)
    assert vetoed.review.status == "vetoed"
    assert "review.vetoed" in types(vetoed)


def test_vetoed_event_carries_the_reason_and_concealment_exactly_as_the_code():
    plain = give(one(), "audit", "veto", "unpaid debts")
    assert plain.events[1].data["reason"] == "unpaid debts"
    hidden = give(one(), "discipline", "veto", "concealment: undeclared property")
    assert hidden.events[1].data["reason"] == "concealment"


# The exact outcomes: what the API shows of a review, every field an event carries, each refusal's text.


def test_a_review_shows_its_nominee_verdicts_and_times():
    r = one(departments=("discipline", "audit"), deadline_seconds=60)
    assert r.as_dict() == {
        "id": "r1",
        "selection": "S1",
        "cadre": "C1",
        "status": "pending",
        "verdicts": {"discipline": None, "audit": None},
        "opened_at": T0,
        "due_at": T0 + timedelta(seconds=60),
    }


def test_a_deadline_of_one_second_is_allowed_and_none_is_refused():
    assert one(deadline_seconds=1).due_at == T0 + timedelta(seconds=1)
    with pytest.raises(ValueError, match="^deadline_seconds must be positive$"):
        one(deadline_seconds=0)
    with pytest.raises(ValueError, match="^a joint review needs at least one reviewing department$"):
        one(departments=())


def test_the_verdict_given_event_carries_the_department_verdict_reason_and_status():
    out = give(one(), "audit", "veto", "unpaid debts")
    assert [(e.type, e.subject, e.data) for e in out.events] == [
        (
            "review.verdict_given",
            "selection:S1",
            {
                "review": "r1",
                "selection": "S1",
                "cadre": "C1",
                "department": "audit",
                "verdict": "veto",
                "reason": "unpaid debts",
                "concealment": False,
                "status": "vetoed",
            },
        ),
        (
            "review.vetoed",
            "selection:S1",
            {
                "review": "r1",
                "selection": "S1",
                "cadre": "C1",
                "department": "audit",
                "concealment": False,
                "reason": "unpaid debts",
            },
        ),
    ]


def test_a_verdict_given_at_the_deadline_with_others_missing_makes_the_review_overdue():
    r = one()
    assert give(r, "audit", at=r.due_at).review.status == "overdue"
    assert give(r, "audit", at=r.due_at - timedelta(microseconds=1)).review.status == "pending"


def test_each_refusal_of_a_verdict_says_why():
    with pytest.raises(Forbidden) as exc:
        give(one(), "org")
    assert exc.value.detail == "this department does not review this nominee"
    with pytest.raises(Invalid) as exc:
        give(one(), "audit", "maybe")
    assert exc.value.errors == {"verdict": ["Must be one of: clear, veto."]}
    with pytest.raises(Conflict) as exc:
        give(give(one(), "audit").review, "audit")
    assert exc.value.detail == "this department has already given its verdict"
