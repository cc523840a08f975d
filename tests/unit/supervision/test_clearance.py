"""Supervision's answer to nomination about one selection: approval, review statuses, the notice."""

from services.supervision.domain.clearance import clearance


def test_before_any_notice():
    answer = clearance("S1", pre_report_status="approved", reviews=[("C1", "cleared"), ("C2", "pending")], notice=None)
    assert answer == {
        "selection": "S1",
        "pre_report_approved": True,
        "reviews": {"C1": "cleared", "C2": "pending"},
        "notice": None,
    }


def test_a_submitted_or_missing_report_is_not_approved():
    assert not clearance("S1", pre_report_status="submitted", reviews=[], notice=None)["pre_report_approved"]
    assert not clearance("S1", pre_report_status=None, reviews=[], notice=None)["pre_report_approved"]


def test_an_open_notice_counts_its_objections_and_has_no_outcome():
    notice = {
        "status": "open",
        "outcome": None,
        "revision": 0,
        "objections": {"o1": "pending", "o2": "upheld", "o3": "dismissed"},
    }
    shown = clearance("S1", pre_report_status=None, reviews=[], notice=notice)["notice"]
    assert shown == {"status": "open", "outcome": None, "revision": 0, "pending": 1, "upheld": 1}


def test_a_closed_notice_gives_its_outcome_and_revision():
    notice = {"status": "closed", "outcome": "clear", "revision": 2, "objections": {"o1": "dismissed"}}
    shown = clearance("S1", pre_report_status=None, reviews=[], notice=notice)["notice"]
    assert (shown["status"], shown["outcome"], shown["revision"], shown["pending"]) == ("closed", "clear", 2, 0)


def test_an_open_notice_shows_no_outcome_whatever_was_stored():
    notice = {"status": "open", "outcome": "clear", "revision": None, "objections": {}}
    shown = clearance("S1", pre_report_status=None, reviews=[], notice=notice)["notice"]
    assert shown == {"status": "open", "outcome": None, "revision": 0, "pending": 0, "upheld": 0}
