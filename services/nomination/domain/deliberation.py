"""Deliberation (酝酿): the meeting that fixes the initial nominees, at the slate ratio and with quorum."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from services.common.errors import Invalid, RuleViolation

from ._checks import FieldErrors, is_code
from .meetings import Meeting, check_quorum, parse_meeting
from .selection import Selection
from .stages import Action, Stage, check_stage

MAX_NOMINEES = 500


@dataclass(frozen=True)
class Deliberation:
    meeting: Meeting
    nominees: tuple
    stage: Stage = Stage.INSPECTION


def parse_cadre_list(value, field: str) -> tuple:
    """A non-empty list of distinct cadre codes, or 400 naming ``field``."""
    if not (isinstance(value, (list, tuple)) and 1 <= len(value) <= MAX_NOMINEES):
        raise Invalid({field: [f"must list 1 to {MAX_NOMINEES} cadre codes"]})
    if not all(is_code(c) for c in value):
        raise Invalid({field: ["every item must be a cadre code"]})
    if len(set(value)) != len(value):
        raise Invalid({field: ["must not repeat a cadre"]})
    return tuple(value)


def parse_meeting_and_choice(meeting, chosen, field: str, *, total_field: str, with_agenda: bool):
    """A meeting and the cadres it chose (``field``), with the errors of both in one 400."""
    errors = FieldErrors()
    parsed_meeting = parsed_chosen = None
    try:
        parsed_meeting = parse_meeting(meeting, total_field=total_field, with_agenda=with_agenda)
    except Invalid as exc:
        errors.absorb(exc)
    try:
        parsed_chosen = parse_cadre_list(chosen, field)
    except Invalid as exc:
        errors.absorb(exc)
    errors.raise_if_any()
    return parsed_meeting, parsed_chosen


def unknown_members(field: str, chosen: Iterable[str], allowed: Iterable[str], what: str) -> None:
    """400 naming the positions (not the codes) of chosen cadres outside ``allowed``."""
    allowed = set(allowed)
    bad = [index for index, code in enumerate(chosen) if code not in allowed]
    if bad:
        raise Invalid({field: [f"item {index} is not {what}" for index in bad]})


def check_deliberation(selection: Selection, *, meeting, nominees, nominated: Iterable[str]) -> Deliberation:
    """The deliberation call: 400 for bad fields, the stage rule, 400 for a nominee who is not a
    nominated (not voided) cadre of this selection, then 422 ``slate_ratio``, then 422 ``quorum_not_met``.

    ``nominated``: cadre codes of this selection's nominations that are not voided.
    """
    parsed_meeting, parsed_nominees = parse_meeting_and_choice(
        meeting, nominees, "nominees", total_field="attendees", with_agenda=False
    )
    check_stage(Action.DELIBERATION, selection.stage)
    unknown_members("nominees", parsed_nominees, nominated, "a nominated cadre of this selection")
    if len(parsed_nominees) < selection.slate_ratio * selection.vacancies:
        raise RuleViolation("fewer nominees than the slate ratio requires", "slate_ratio")
    check_quorum(parsed_meeting.present, parsed_meeting.total)
    return Deliberation(parsed_meeting, parsed_nominees)
