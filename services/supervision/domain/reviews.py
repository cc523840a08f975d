"""Joint review of each initial nominee by the reviewing departments, and its verdict rules.

A *joint review* (会审) asks the reviewing departments whether a nominee may be promoted,
so that nobody is "promoted with an illness" (防止带病提拔). Any veto blocks; a review is
never cleared by silence.

Shape of a review as the API shows it::

    {id, selection, cadre, status, verdicts: {<department>: null | {verdict, reason, at}}}

A department's entry is ``None`` until it gives its verdict, then
``{"verdict": "clear"|"veto", "reason": str, "at": datetime (UTC)}``.

Status, recomputed after every verdict and by the overdue timer:

* ``vetoed``  — any department vetoed (wins over everything, and is final);
* ``cleared`` — every department cleared;
* ``overdue`` — at or after ``due_at`` with a verdict still missing and no veto;
* ``pending`` — otherwise.

An overdue review keeps accepting the missing verdicts: once they are all in it resolves
by the same rule (vetoed or cleared). Overdue only ever ends by explicit verdicts.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from services.common.errors import Conflict, Forbidden, Invalid
from services.supervision.contract import REASON_MAX_CHARS, REVIEW_STATUSES, VERDICTS

from .base import Event, clean_text, require_aware, selection_subject

DEFAULT_REVIEWERS = ("discipline", "audit", "family_planning", "petition")
DEFAULT_REVIEW_DEADLINE_SECONDS = 5 * 24 * 3600

CLEAR, VETO = VERDICTS
PENDING, CLEARED, VETOED, OVERDUE = STATUSES = REVIEW_STATUSES

# A veto whose reason is this rule code means the nominee hid facts (不得隐瞒事实真相提名):
# the nomination itself is void, not only this promotion.
CONCEALMENT = "concealment"

EVENT_VERDICT_GIVEN = "review.verdict_given"
EVENT_CLEARED = "review.cleared"
EVENT_VETOED = "review.vetoed"


@dataclass(frozen=True)
class Verdict:
    """One department's answer in a joint review."""

    verdict: str
    reason: str
    at: datetime

    @property
    def is_concealment(self):
        return self.verdict == VETO and is_concealment_reason(self.reason)

    def as_dict(self):
        return {"verdict": self.verdict, "reason": self.reason, "at": self.at}


@dataclass(frozen=True)
class Review:
    """The joint review (会审) of one initial nominee of one selection."""

    id: str
    selection: str
    cadre: str
    opened_at: datetime
    due_at: datetime
    status: str = PENDING
    # department -> Verdict | None; the keys are the reviewers configured at opening.
    verdicts: dict = field(default_factory=dict)

    @property
    def departments(self):
        return tuple(self.verdicts)

    @property
    def missing(self):
        """Departments that have not yet given a verdict, in configured order."""
        return tuple(d for d, v in self.verdicts.items() if v is None)

    def as_dict(self):
        return {
            "id": self.id,
            "selection": self.selection,
            "cadre": self.cadre,
            "status": self.status,
            "verdicts": {d: (v.as_dict() if v else None) for d, v in self.verdicts.items()},
            "opened_at": self.opened_at,
            "due_at": self.due_at,
        }


@dataclass(frozen=True)
class VerdictOutcome:
    """What applying a verdict produced.

    ``void_nomination`` is true when this verdict is a concealment veto: the caller must
    have the nomination voided (``nomination.voided``), whatever the review's status was.
    """

    review: Review
    events: tuple
    void_nomination: bool


def is_concealment_reason(reason):
    """A reason is a concealment finding when it is the code itself or starts ``concealment:``."""
    text = (reason or "").strip().lower()
    return text == CONCEALMENT or text.startswith(CONCEALMENT + ":")


def review_status(verdicts, due_at, now):
    """The status a review with these verdicts has at ``now`` (see the module docstring)."""
    given = [v for v in verdicts.values() if v is not None]
    if any(v.verdict == VETO for v in given):
        return VETOED
    if len(given) == len(verdicts):
        return CLEARED
    if now >= due_at:
        return OVERDUE
    return PENDING


def open_reviews(
    selection,
    cadres,
    now,
    *,
    departments=DEFAULT_REVIEWERS,
    deadline_seconds=DEFAULT_REVIEW_DEADLINE_SECONDS,
    existing=(),
    new_id,
):
    """Open one pending review per initial nominee, due ``deadline_seconds`` after ``now``.

    Cadres that already have a review of this selection in ``existing`` are skipped, so a
    repeated ``selection.inspected`` opens nothing twice. ``new_id()`` names each new review (the
    caller's id scheme). Returns the new reviews only.
    """
    require_aware(now)
    departments = tuple(dict.fromkeys(departments))
    if not departments:
        raise ValueError("a joint review needs at least one reviewing department")
    if deadline_seconds <= 0:
        raise ValueError("deadline_seconds must be positive")
    seen = {r.cadre for r in existing if r.selection == selection}
    due_at = now + timedelta(seconds=deadline_seconds)
    opened = []
    for cadre in cadres:
        if cadre in seen:
            continue
        seen.add(cadre)
        opened.append(
            Review(
                id=new_id(),
                selection=selection,
                cadre=cadre,
                opened_at=now,
                due_at=due_at,
                status=PENDING,
                verdicts={d: None for d in departments},
            )
        )
    return opened


def apply_verdict(review, department, verdict, reason, now):
    """Record ``department``'s verdict and recompute the status.

    Raises Forbidden when the department is not one of this review's reviewers, Invalid
    for a bad verdict or reason (a veto needs a reason; a clear may have none), and
    Conflict ``already_submitted`` when the department has already answered.

    Events: ``review.verdict_given`` for every verdict (the full-process record takes
    it), plus ``review.vetoed`` or ``review.cleared`` when the status becomes that.
    """
    require_aware(now)
    if department not in review.verdicts:
        raise Forbidden("this department does not review this nominee")
    if verdict not in VERDICTS:
        raise Invalid({"verdict": ["Must be one of: clear, veto."]})
    reason = clean_text(reason, "reason", REASON_MAX_CHARS, required=(verdict == VETO))
    if review.verdicts[department] is not None:
        raise Conflict("this department has already given its verdict", "already_submitted")

    given = Verdict(verdict=verdict, reason=reason, at=now)
    verdicts = dict(review.verdicts)
    verdicts[department] = given
    status = review_status(verdicts, review.due_at, now)
    updated = replace(review, verdicts=verdicts, status=status)

    subject = selection_subject(review.selection)
    base = {"review": review.id, "selection": review.selection, "cadre": review.cadre}
    events = [
        Event(
            EVENT_VERDICT_GIVEN,
            subject,
            {
                **base,
                "department": department,
                "verdict": verdict,
                "reason": reason,
                "concealment": given.is_concealment,
                "status": status,
            },
        )
    ]
    if status != review.status:
        if status == VETOED:
            # ``reason`` is exactly ``concealment`` for a concealment finding (whatever detail
            # followed it), so the consumer can test it without parsing free text.
            events.append(
                Event(
                    EVENT_VETOED,
                    subject,
                    {
                        **base,
                        "department": department,
                        "concealment": given.is_concealment,
                        "reason": CONCEALMENT if given.is_concealment else reason,
                    },
                )
            )
        elif status == CLEARED:
            events.append(Event(EVENT_CLEARED, subject, dict(base)))
    return VerdictOutcome(review=updated, events=tuple(events), void_nomination=given.is_concealment)


def is_due_for_overdue(review, now):
    """True when the overdue timer should mark this review now."""
    return review.status == PENDING and now >= review.due_at


def reviews_due_for_overdue(reviews, now):
    """The pending reviews whose deadline has passed with a verdict missing, earliest due first."""
    require_aware(now)
    return sorted((r for r in reviews if is_due_for_overdue(r, now)), key=lambda r: (r.due_at, r.id))


def mark_overdue(review, now):
    """Return the review marked ``overdue`` if it is due; otherwise the same review unchanged.

    Safe to call repeatedly (the timer may fire twice): cleared, vetoed and already
    overdue reviews are returned as they are.
    """
    require_aware(now)
    if not is_due_for_overdue(review, now):
        return review
    return replace(review, status=OVERDUE)
