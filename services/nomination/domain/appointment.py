"""Appointment (任职) after the public notice (公示), the notice's outcome, and filing (任后备案)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.common.errors import Conflict, RuleViolation

from services.common.clock import as_utc

from ._checks import FieldErrors, is_text
from .headcount import HeadcountDelta, appoint, release
from .stages import Action, Stage, check_stage, stage_after_notice

MAX_TEXT = 500


@dataclass(frozen=True)
class NoticeStatus:
    """The public notice of a selection's decision, as supervision reports it.

    ``closes_at`` is None until a notice has been opened.
    """

    closes_at: datetime | None
    pending_objections: int = 0
    upheld_objections: int = 0

    def closed(self, now: datetime) -> bool:
        return self.closes_at is not None and as_utc(now) >= as_utc(self.closes_at)


def check_appointment(stage, notice: NoticeStatus, now: datetime) -> None:
    """The appointment call, first failure wins:

    422 ``objection_upheld`` (at any stage, so a selection closed by an upheld objection still
    says why), then the stage rule, 422 ``objection_pending``, 409 ``too_early``. A pending
    objection is named before the open notice because time alone will not clear it.
    """
    if notice.upheld_objections > 0:
        raise RuleViolation("an objection to the appointment was upheld", "objection_upheld")
    check_stage(Action.APPOINTMENT, stage)
    if notice.pending_objections > 0:
        raise RuleViolation("an objection to the appointment is unresolved", "objection_pending")
    if not notice.closed(now):
        raise Conflict("the public notice has not closed", "too_early")


@dataclass(frozen=True)
class Appointment:
    appointees: tuple
    delta: HeadcountDelta
    stage: Stage = Stage.FILING


def make_appointment(stage, notice: NoticeStatus, now: datetime, *, appointees, vacancies: int) -> Appointment:
    """Check the appointment and give the post's headcount delta:
    occupied += appointees, reserved -= vacancies."""
    check_appointment(stage, notice, now)
    appointees = tuple(appointees)
    return Appointment(appointees, appoint(len(appointees), vacancies))


@dataclass(frozen=True)
class NoticeOutcome:
    """Where the selection goes after a notice or objection event, and any headcount delta to apply."""

    stage: Stage
    delta: HeadcountDelta | None


def notice_outcome(stage, notice: NoticeStatus, now: datetime, *, vacancies: int) -> NoticeOutcome:
    """Re-evaluate a selection in public notice: it stays while the notice is open or an objection
    pending; a closed notice with an upheld objection closes the selection and releases its vacancies.
    Outside public notice nothing changes."""
    if Stage(stage) is not Stage.PUBLIC_NOTICE:
        return NoticeOutcome(Stage(stage), None)
    new = stage_after_notice(
        notice_closed=notice.closed(now),
        pending_objections=notice.pending_objections,
        upheld_objections=notice.upheld_objections,
    )
    return NoticeOutcome(new, release(vacancies) if new is Stage.CLOSED else None)


@dataclass(frozen=True)
class Filing:
    filed_with: str
    reference: str
    stage: Stage = Stage.CLOSED


def check_filing(stage, *, filed_with, reference) -> Filing:
    """The filing call: 400 for bad fields, then the stage rule (it belongs to ``filing``)."""
    errors = FieldErrors()
    for name, value in (("filed_with", filed_with), ("reference", reference)):
        if not (is_text(value) and len(value) <= MAX_TEXT):
            errors.add(name, "must be non-empty text")
    errors.raise_if_any()
    check_stage(Action.FILING, stage)
    return Filing(filed_with.strip(), reference.strip())
