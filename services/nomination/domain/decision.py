"""The committee's discussion and decision (讨论决定): vetting cleared, agenda in time, quorum, pre-report, count.

Checks run in this order, the first failure is the answer:
``not_cleared`` (the joint review (会审) guards against promotion with problems, 防止带病提拔, so it
comes first), ``ad_hoc_motion`` then ``quorum_not_met`` (whether the meeting could decide at all),
``pre_report_required`` (任前报审, the superior's approval of a key-leadership appointment),
``slate_ratio`` (appointees must equal the vacancies).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from services.common.errors import RuleViolation

from ._checks import is_number
from .deliberation import parse_meeting_and_choice, unknown_members
from .meetings import DEFAULT_AGENDA_LEAD_SECONDS, Meeting, check_agenda_lead, check_quorum
from .selection import Selection
from .stages import Action, Stage, check_stage
from .vocabulary import REVIEW_CLEARED


@dataclass(frozen=True)
class Decision:
    meeting: Meeting
    appointees: tuple
    stage: Stage = Stage.PUBLIC_NOTICE


def check_cleared(appointees: Iterable[str], reviews: Mapping[str, str], voided: Iterable[str] = ()) -> None:
    """422 ``not_cleared`` for an appointee whose review is missing or not ``cleared``,
    or whose nomination was voided."""
    voided = set(voided)
    for cadre in appointees:
        if cadre in voided or reviews.get(cadre) != REVIEW_CLEARED:
            raise RuleViolation("an appointee's joint review is not cleared", "not_cleared")


def check_pre_report(category: str, pre_report_approved: bool) -> None:
    """422 ``pre_report_required``: a key-leadership post needs the superior's approved pre-report."""
    if category == "key_leadership" and not pre_report_approved:
        raise RuleViolation(
            "a key leadership appointment needs an approved pre-appointment report", "pre_report_required"
        )


def check_decision(
    selection: Selection,
    *,
    meeting,
    appointees,
    nominees: Iterable[str],
    reviews: Mapping[str, str],
    pre_report_approved: bool,
    voided: Iterable[str] = (),
    agenda_lead_seconds: float = DEFAULT_AGENDA_LEAD_SECONDS,
) -> Decision:
    """The decision call: 400 for bad fields, the stage rule, 400 for an appointee who is not an
    initial nominee, then the 422 rules in the module's order.

    ``nominees``: the initial nominees fixed by deliberation; ``reviews``: cadre code → review
    status from supervision; ``voided``: cadres whose nomination was voided.
    """
    parsed_meeting, parsed_appointees = parse_meeting_and_choice(
        meeting, appointees, "appointees", total_field="members", with_agenda=True
    )
    if not (is_number(agenda_lead_seconds) and agenda_lead_seconds >= 0):
        raise ValueError("agenda_lead_seconds must be a non-negative number")
    check_stage(Action.DECISION, selection.stage)
    unknown_members("appointees", parsed_appointees, nominees, "an initial nominee of this selection")
    check_cleared(parsed_appointees, reviews, voided)
    check_agenda_lead(parsed_meeting.held_at, parsed_meeting.agenda_filed_at, agenda_lead_seconds)
    check_quorum(parsed_meeting.present, parsed_meeting.total)
    check_pre_report(selection.category, pre_report_approved)
    if len(parsed_appointees) != selection.vacancies:
        raise RuleViolation("the appointees must equal the vacancies", "slate_ratio")
    return Decision(parsed_meeting, parsed_appointees)
