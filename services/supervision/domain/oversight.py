"""The superior organ's oversight of a selection: the pre-appointment report and the observer.

*Pre-appointment report* (任前报审): the Organization Department reports a selection to the
superior organ, which approves it; a key-leadership decision needs an approved one.
*Observer* (任中派员列席): the superior names someone to attend the decision meeting.
Both may be given at any stage before the decision; after it, 409 ``wrong_stage``.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Optional

from services.common.errors import Conflict
from services.supervision.contract import OBSERVER_NAME_MAX_CHARS

from .base import Event, clean_text, require_aware, selection_subject

SUBMITTED, APPROVED = "submitted", "approved"

EVENT_PRE_REPORT_APPROVED = "pre_report.approved"

# What the record says about the superior's observer at a decision meeting.
ATTENDED, NONE_ATTENDED, NOT_REQUIRED = "attended", "none_attended", "not_required"


def _before_decision(decided):
    if decided:
        raise Conflict("the selection has already been decided", "wrong_stage")


@dataclass(frozen=True)
class PreReport:
    """A pre-appointment report (任前报审) of one selection to the superior organ."""

    id: str
    selection: str
    created_at: datetime
    status: str = SUBMITTED
    approved_at: Optional[datetime] = None
    approved_by: Optional[str] = None

    def as_dict(self):
        return {
            "id": self.id,
            "selection": self.selection,
            "status": self.status,
            "created_at": self.created_at,
            "approved_at": self.approved_at,
            "approved_by": self.approved_by,
        }


def create_pre_report(selection, now, *, decided=False, existing=None, new_id):
    """Create the selection's pre-report, named ``new_id()``.

    One per selection: a second one while ``existing`` is on file is 409 ``exists``.
    After the decision: 409 ``wrong_stage``.
    """
    require_aware(now)
    _before_decision(decided)
    if existing is not None:
        raise Conflict("this selection already has a pre-appointment report", "exists")
    return PreReport(id=new_id(), selection=selection, created_at=now)


def approve_pre_report(report, approver, now, *, decided=False):
    """The superior approves the report; returns ``(report, events)``.

    Approving twice: 409 ``already_submitted``; after the decision: 409 ``wrong_stage``.
    """
    require_aware(now)
    if report.status == APPROVED:
        raise Conflict("the report has already been approved", "already_submitted")
    _before_decision(decided)
    approved = replace(report, status=APPROVED, approved_at=now, approved_by=approver)
    event = Event(
        EVENT_PRE_REPORT_APPROVED,
        selection_subject(report.selection),
        {"pre_report": report.id, "selection": report.selection},
    )
    return approved, (event,)


@dataclass(frozen=True)
class Observer:
    """The person the superior names to attend a selection's decision meeting (任中派员列席)."""

    selection: str
    name: str
    named_at: datetime
    named_by: Optional[str] = None

    def as_dict(self):
        return {"selection": self.selection, "name": self.name, "named_at": self.named_at, "named_by": self.named_by}


def name_observer(selection, name, now, *, named_by=None, decided=False):
    """Name (or rename: the latest naming replaces the earlier) the observer before the decision."""
    require_aware(now)
    _before_decision(decided)
    name = clean_text(name, "name", OBSERVER_NAME_MAX_CHARS)
    return Observer(selection=selection, name=name, named_at=now, named_by=named_by)


@dataclass(frozen=True)
class ObserverAttendance:
    """What is on record about the superior's observer at a selection's decision meeting."""

    selection: str
    key_leadership: bool
    decided_at: datetime
    observer: Optional[str]
    finding: str

    def as_dict(self):
        return {
            "selection": self.selection,
            "key_leadership": self.key_leadership,
            "decided_at": self.decided_at,
            "observer": self.observer,
            "finding": self.finding,
        }


def observer_attendance(selection, key_leadership, observer, decided_at):
    """The attendance fact to record when a selection is decided.

    An observer named before the decision counts as attending. A key-leadership
    decision with none gets the finding ``none_attended``; other decisions without one
    are ``not_required``.
    """
    require_aware(decided_at, "decided_at")
    present = observer if observer is not None and observer.named_at <= decided_at else None
    if present is not None:
        finding = ATTENDED
    elif key_leadership:
        finding = NONE_ATTENDED
    else:
        finding = NOT_REQUIRED
    return ObserverAttendance(
        selection=selection,
        key_leadership=bool(key_leadership),
        decided_at=decided_at,
        observer=present.name if present else None,
        finding=finding,
    )
