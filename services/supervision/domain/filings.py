"""Post-appointment filing (任后备案): after an appointment, the selection is filed with the superior organ.

A filing falls due ``FILING_DEADLINE`` seconds after the appointment. Status: ``due``
until recorded, ``overdue`` once the timer marks it (at or after ``due_at``, not yet
filed), ``filed`` once recorded. A late filing is still accepted and records ``late``.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Optional

from services.common.errors import Conflict
from services.supervision.contract import FILING_STATUSES

from .base import Event, clean_text, require_aware, selection_subject

DEFAULT_FILING_DEADLINE_SECONDS = 30 * 24 * 3600
FILED_WITH_MAX_CHARS = 200
REFERENCE_MAX_CHARS = 200

DUE, OVERDUE, FILED = FILING_STATUSES

EVENT_FILING_RECORDED = "filing.recorded"


@dataclass(frozen=True)
class Filing:
    """The filing owed for one selection's appointment; the selection id identifies it."""

    selection: str
    appointed_at: datetime
    due_at: datetime
    status: str = DUE
    filed_with: Optional[str] = None
    reference: Optional[str] = None
    filed_at: Optional[datetime] = None
    late: bool = False

    def as_dict(self):
        return {
            "selection": self.selection,
            "status": self.status,
            "appointed_at": self.appointed_at,
            "due_at": self.due_at,
            "filed_with": self.filed_with,
            "reference": self.reference,
            "filed_at": self.filed_at,
            "late": self.late,
        }


def filing_due_at(appointed_at, deadline_seconds=DEFAULT_FILING_DEADLINE_SECONDS):
    """When the filing for an appointment made at ``appointed_at`` falls due."""
    require_aware(appointed_at, "appointed_at")
    if deadline_seconds <= 0:
        raise ValueError("deadline_seconds must be positive")
    return appointed_at + timedelta(seconds=deadline_seconds)


def open_filing(selection, appointed_at, *, deadline_seconds=DEFAULT_FILING_DEADLINE_SECONDS):
    """The filing owed once ``selection`` is appointed."""
    return Filing(selection=selection, appointed_at=appointed_at, due_at=filing_due_at(appointed_at, deadline_seconds))


def is_overdue(filing, now):
    """True when the filing is still unrecorded at or after its due time."""
    require_aware(now)
    return filing.status != FILED and now >= filing.due_at


def overdue_filings(filings, now):
    """The filings overdue at ``now``, earliest due first (whether or not the timer marked them)."""
    return sorted((f for f in filings if is_overdue(f, now)), key=lambda f: (f.due_at, f.selection))


def mark_overdue(filing, now):
    """Return the filing marked ``overdue`` when it is; otherwise unchanged (safe to repeat)."""
    if filing.status == DUE and is_overdue(filing, now):
        return replace(filing, status=OVERDUE)
    return filing


def record_filing(filing, filed_with, reference, now):
    """Record where and under which reference the appointment was filed; ``(filing, events)``.

    Recording twice: 409 ``already_submitted``.
    """
    require_aware(now)
    filed_with = clean_text(filed_with, "filed_with", FILED_WITH_MAX_CHARS)
    reference = clean_text(reference, "reference", REFERENCE_MAX_CHARS)
    if filing.status == FILED:
        raise Conflict("the appointment has already been filed", "already_submitted")
    late = now >= filing.due_at
    filed = replace(filing, status=FILED, filed_with=filed_with, reference=reference, filed_at=now, late=late)
    event = Event(
        EVENT_FILING_RECORDED,
        selection_subject(filing.selection),
        {
            "selection": filing.selection,
            "filed_with": filed_with,
            "reference": reference,
            "late": late,
        },
    )
    return filed, (event,)
