"""Meetings that decide: quorum and the agenda's lead time against ad hoc motions (临时动议)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

from services.common.errors import Invalid, RuleViolation

from services.common.clock import as_utc

from ._checks import FieldErrors, is_int, is_text

DEFAULT_AGENDA_LEAD_SECONDS = 3 * 24 * 3600
MAX_TEXT = 500


def has_quorum(present: int, total: int) -> bool:
    """At least two thirds present (or cast), in integers so that 2 of 3 counts exactly."""
    return present * 3 >= total * 2


def check_quorum(present: int, total: int) -> None:
    """422 ``quorum_not_met`` when fewer than two thirds are present."""
    if not has_quorum(present, total):
        raise RuleViolation("fewer than two thirds present", "quorum_not_met")


def check_agenda_lead(held_at: datetime, agenda_filed_at: datetime, lead_seconds: float) -> None:
    """422 ``ad_hoc_motion`` when the agenda was filed less than ``lead_seconds`` before the meeting."""
    if as_utc(held_at) - as_utc(agenda_filed_at) < timedelta(seconds=lead_seconds):
        raise RuleViolation("the agenda was not filed in time before the meeting", "ad_hoc_motion")


@dataclass(frozen=True)
class Meeting:
    """A meeting as recorded: ``total`` is ``attendees`` (deliberation) or ``members`` (decision)."""

    held_at: datetime
    place: str
    total: int
    present: int
    agenda_filed_at: datetime | None = None


def parse_meeting(value, *, total_field: str, with_agenda: bool) -> Meeting:
    """400 naming every bad field of a meeting object; times come back in UTC."""
    if not isinstance(value, Mapping):
        raise Invalid({"meeting": ["must be an object"]})
    errors = FieldErrors()
    fields = {"held_at", "place", total_field, "present"} | ({"agenda_filed_at"} if with_agenda else set())
    for name in value:
        if name not in fields:
            errors.add(f"meeting.{name}", "unknown field")
    held_at = as_utc(value.get("held_at"))
    if held_at is None:
        errors.add("meeting.held_at", "must be a date-time")
    agenda_filed_at = None
    if with_agenda:
        agenda_filed_at = as_utc(value.get("agenda_filed_at"))
        if agenda_filed_at is None:
            errors.add("meeting.agenda_filed_at", "must be a date-time")
    place = value.get("place")
    if not (is_text(place) and len(place) <= MAX_TEXT):
        errors.add("meeting.place", "must be non-empty text")
    total, present = value.get(total_field), value.get("present")
    if not (is_int(total) and total >= 1):
        errors.add(f"meeting.{total_field}", "must be a whole number of at least 1")
    if not (is_int(present) and present >= 0):
        errors.add("meeting.present", "must be a whole number of at least 0")
    elif is_int(total) and present > total:
        errors.add("meeting.present", f"must not exceed {total_field}")
    errors.raise_if_any()
    return Meeting(held_at, place.strip(), total, present, agenda_filed_at)
