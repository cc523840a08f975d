"""Pre-appointment report, observer naming and attendance, and post-appointment filing."""

from datetime import datetime, timedelta, timezone

import pytest

from services.common.errors import Conflict, Invalid
from services.supervision.domain import filings as fl
from services.supervision.domain import oversight as ov

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)


def test_pre_report_created_then_approved_once():
    report = ov.create_pre_report("S1", T0, new_id=lambda: "p1")
    assert (report.id, report.selection, report.status) == ("p1", "S1", "submitted")
    approved, events = ov.approve_pre_report(report, "superior", T0 + timedelta(hours=1))
    assert approved.status == "approved" and approved.approved_at == T0 + timedelta(hours=1)
    assert [(e.type, e.subject, e.data) for e in events] == [
        ("pre_report.approved", "selection:S1", {"pre_report": "p1", "selection": "S1"})
    ]
    with pytest.raises(Conflict) as exc:
        ov.approve_pre_report(approved, "superior", T0 + timedelta(hours=2))
    assert exc.value.code == "already_submitted"


def test_second_pre_report_for_selection_exists():
    report = ov.create_pre_report("S1", T0, new_id=lambda: "p1")
    with pytest.raises(Conflict) as exc:
        ov.create_pre_report("S1", T0, existing=report, new_id=lambda: "p2")
    assert exc.value.code == "exists"


def test_pre_report_and_observer_after_decision_are_wrong_stage():
    report = ov.create_pre_report("S1", T0, new_id=lambda: "p1")
    for call in (
        lambda: ov.create_pre_report("S1", T0, decided=True, new_id=lambda: "p2"),
        lambda: ov.approve_pre_report(report, "superior", T0, decided=True),
        lambda: ov.name_observer("S1", "王某", T0, decided=True),
    ):
        with pytest.raises(Conflict) as exc:
            call()
        assert exc.value.code == "wrong_stage"


def test_observer_name_is_validated_and_renaming_replaces():
    with pytest.raises(Invalid) as exc:
        ov.name_observer("S1", "  ", T0)
    assert list(exc.value.errors) == ["name"]
    first = ov.name_observer("S1", "王某", T0)
    second = ov.name_observer("S1", " 李某 ", T0 + timedelta(hours=1), named_by="superior")
    assert (first.name, second.name, second.named_by) == ("王某", "李某", "superior")


def test_key_leadership_decision_without_observer_records_none_attended():
    fact = ov.observer_attendance("S1", True, None, T0)
    assert (fact.finding, fact.observer) == ("none_attended", None)
    assert ov.observer_attendance("S1", False, None, T0).finding == "not_required"


def test_observer_named_before_decision_attended_but_not_one_named_after():
    observer = ov.name_observer("S1", "王某", T0)
    fact = ov.observer_attendance("S1", True, observer, T0 + timedelta(days=1))
    assert (fact.finding, fact.observer) == ("attended", "王某")
    late = ov.observer_attendance("S1", True, observer, T0 - timedelta(seconds=1))
    assert late.finding == "none_attended"


def test_filing_due_date_and_overdue():
    filing = fl.open_filing("S1", T0, deadline_seconds=3600)
    assert filing.due_at == fl.filing_due_at(T0, 3600) == T0 + timedelta(hours=1)
    assert fl.filing_due_at(T0) == T0 + timedelta(days=30)
    assert not fl.is_overdue(filing, T0 + timedelta(minutes=59))
    assert fl.is_overdue(filing, T0 + timedelta(hours=1))
    assert fl.mark_overdue(filing, T0 + timedelta(minutes=59)).status == "due"
    marked = fl.mark_overdue(filing, T0 + timedelta(hours=1))
    assert marked.status == "overdue"
    assert fl.mark_overdue(marked, T0 + timedelta(hours=3)) == marked


def test_overdue_filings_listed_earliest_first_and_filed_ones_left_out():
    a = fl.open_filing("A", T0 + timedelta(days=1))
    b = fl.open_filing("B", T0)
    c, _ = fl.record_filing(fl.open_filing("C", T0), "市委组织部", "备2026-1", T0)
    now = T0 + timedelta(days=40)
    assert [f.selection for f in fl.overdue_filings([a, b, c], now)] == ["B", "A"]
    assert fl.overdue_filings([a, b, c], T0 + timedelta(days=30)) == [b]


def test_record_filing_once_and_late_flag():
    filing = fl.open_filing("S1", T0, deadline_seconds=3600)
    done, events = fl.record_filing(filing, " 市委组织部 ", "备2026-7", T0 + timedelta(minutes=5))
    assert (done.status, done.filed_with, done.reference, done.late) == ("filed", "市委组织部", "备2026-7", False)
    assert not fl.is_overdue(done, T0 + timedelta(days=99))
    assert [e.type for e in events] == ["filing.recorded"]
    assert events[0].data["selection"] == "S1"
    with pytest.raises(Conflict) as exc:
        fl.record_filing(done, "x", "y", T0 + timedelta(minutes=6))
    assert exc.value.code == "already_submitted"
    late, _ = fl.record_filing(fl.mark_overdue(filing, T0 + timedelta(hours=2)), "x", "y", T0 + timedelta(hours=2))
    assert late.status == "filed" and late.late is True


def test_record_filing_validates_fields():
    filing = fl.open_filing("S1", T0)
    with pytest.raises(Invalid) as exc:
        fl.record_filing(filing, "", "ref", T0)
    assert list(exc.value.errors) == ["filed_with"]
    with pytest.raises(Invalid) as exc:
        fl.record_filing(filing, "市委组织部", "r" * 201, T0)
    assert list(exc.value.errors) == ["reference"]


# The exact outcomes: what the API shows of each, every refusal's text, each boundary.


def test_a_pre_report_shows_who_approved_it_and_when():
    report = ov.create_pre_report("S1", T0, new_id=lambda: "p1")
    assert report.as_dict() == {
        "id": "p1",
        "selection": "S1",
        "status": "submitted",
        "created_at": T0,
        "approved_at": None,
        "approved_by": None,
    }
    approved, _ = ov.approve_pre_report(report, "superior-1", T0 + timedelta(hours=1))
    assert approved.as_dict() == {
        "id": "p1",
        "selection": "S1",
        "status": "approved",
        "created_at": T0,
        "approved_at": T0 + timedelta(hours=1),
        "approved_by": "superior-1",
    }


def test_each_refusal_of_a_pre_report_or_observer_says_why():
    report = ov.create_pre_report("S1", T0, new_id=lambda: "p1")
    with pytest.raises(Conflict) as exc:
        ov.create_pre_report("S1", T0, existing=report, new_id=lambda: "p2")
    assert exc.value.detail == "this selection already has a pre-appointment report"
    approved, _ = ov.approve_pre_report(report, "superior", T0)
    with pytest.raises(Conflict) as exc:
        ov.approve_pre_report(approved, "superior", T0)
    assert exc.value.detail == "the report has already been approved"
    with pytest.raises(Conflict) as exc:
        ov.name_observer("S1", "王某", T0, decided=True)
    assert exc.value.detail == "the selection has already been decided"


def test_an_observer_shows_the_selection_name_and_who_named_them():
    observer = ov.name_observer("S1", "王某", T0, named_by="superior")
    assert observer.as_dict() == {"selection": "S1", "name": "王某", "named_at": T0, "named_by": "superior"}


def test_an_observer_named_at_the_moment_of_the_decision_attended_it():
    observer = ov.name_observer("S1", "王某", T0)
    fact = ov.observer_attendance("S1", 1, observer, T0)
    assert fact.as_dict() == {
        "selection": "S1",
        "key_leadership": True,
        "decided_at": T0,
        "observer": "王某",
        "finding": "attended",
    }
    assert ov.observer_attendance("S1", 0, None, T0).as_dict()["key_leadership"] is False
    with pytest.raises(ValueError, match="^decided_at must be"):
        ov.observer_attendance("S1", True, observer, datetime(2026, 3, 1))


def test_a_filing_shows_where_and_when_it_was_filed():
    filing = fl.open_filing("S1", T0, deadline_seconds=3600)
    assert filing.as_dict() == {
        "selection": "S1",
        "status": "due",
        "appointed_at": T0,
        "due_at": T0 + timedelta(hours=1),
        "filed_with": None,
        "reference": None,
        "filed_at": None,
        "late": False,
    }
    at = T0 + timedelta(minutes=5)
    done, events = fl.record_filing(filing, "市委组织部", "备2026-7", at)
    assert done.as_dict() == {
        "selection": "S1",
        "status": "filed",
        "appointed_at": T0,
        "due_at": T0 + timedelta(hours=1),
        "filed_with": "市委组织部",
        "reference": "备2026-7",
        "filed_at": at,
        "late": False,
    }
    assert [(e.type, e.subject, e.data) for e in events] == [
        (
            "filing.recorded",
            "selection:S1",
            {"selection": "S1", "filed_with": "市委组织部", "reference": "备2026-7", "late": False},
        )
    ]
    with pytest.raises(Conflict) as exc:
        fl.record_filing(done, "x", "y", at)
    assert exc.value.detail == "the appointment has already been filed"


def test_a_filing_recorded_at_its_due_time_is_late():
    filing = fl.open_filing("S1", T0, deadline_seconds=3600)
    done, events = fl.record_filing(filing, "市委组织部", "备2026-7", filing.due_at)
    assert done.late is True and events[0].data["late"] is True


def test_a_filing_deadline_of_one_second_is_allowed_and_none_is_refused():
    assert fl.filing_due_at(T0, 1) == T0 + timedelta(seconds=1)
    with pytest.raises(ValueError, match="^deadline_seconds must be positive$"):
        fl.filing_due_at(T0, 0)
    with pytest.raises(ValueError, match="^appointed_at must be a timezone-aware datetime$"):
        fl.open_filing("S1", datetime(2026, 3, 1))
