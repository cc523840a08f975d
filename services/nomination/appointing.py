"""The committee's decision and the appointment: checked on our copy of supervision's state, and asked
again of supervision where that copy refuses."""

from types import SimpleNamespace

from services.common import config
from services.common.clock import rfc3339, utcnow
from services.common.errors import Conflict, RuleViolation
from services.nomination import contract, store
from services.nomination.domain import appointment as appointment_rules
from services.nomination.domain.decision import check_decision
from services.nomination.domain.stages import Action, Stage
from services.nomination.steps import cadre_names, subject
from services.nomination.store import Change, transition

# Refusals that may come from our copy of supervision's state trailing it: asked again of supervision.
ASKABLE_DECISION_CODES = ("not_cleared", "pre_report_required")
ASKABLE_APPOINTMENT_CODES = ("too_early", "objection_pending")


def asked_once(ask):
    """``ask()`` (a question to another service) made at most once per call, when first needed."""
    answers = []

    def answer():
        if not answers:
            answers.append(ask())
        return answers[0]

    return answer


def _notice_status(doc):
    """The public notice as the appointment rules see it; once closed, supervision's outcome decides."""
    if doc.notice_closed:
        return appointment_rules.NoticeStatus(
            closes_at=doc.created_at or utcnow(),
            pending_objections=1 if doc.notice_outcome == "pending" else 0,
            upheld_objections=1 if doc.notice_outcome == "upheld" else 0,
        )
    pending = set(doc.objections_lodged) - set(doc.objections_resolved)
    return appointment_rules.NoticeStatus(
        closes_at=None, pending_objections=len(pending), upheld_objections=len(set(doc.objections_upheld))
    )


def _local_reviews(doc):
    vetoed = set(doc.reviews_vetoed)
    return {c: "cleared" for c in doc.reviews_cleared if c not in vetoed}


def _owners_reviews(doc, owner):
    """The review statuses as supervision holds them now, with what our own copy already knows."""
    reviews = dict(owner["reviews"])
    for cadre in doc.reviews_vetoed:
        reviews[cadre] = "vetoed"
    return reviews


def decision(doc, body, caller, clearance=None):
    """The committee's decision. Our copy of the reviews and the pre-report trails supervision's
    events; where that copy refuses (``not_cleared``, ``pre_report_required``) ``clearance()`` asks
    supervision for its state now and the rule decides on that (a cleared review or an approved
    report never goes back, so a copy that allows needs no asking)."""

    def check(reviews, approved):
        return check_decision(
            store.selection_value(doc),
            meeting=body["meeting"],
            appointees=body["appointees"],
            nominees=list(doc.shortlist),
            reviews=reviews,
            pre_report_approved=approved,
            voided=doc.voided,
            agenda_lead_seconds=config.get_float("AGENDA_LEAD_SECONDS"),
        )

    try:
        result = check(_local_reviews(doc), bool(doc.pre_report_approved))
    except RuleViolation as refused:
        if clearance is None or refused.code not in ASKABLE_DECISION_CODES:
            raise
        owner = clearance()
        result = check(_owners_reviews(doc, owner), bool(doc.pre_report_approved or owner["pre_report_approved"]))
    meeting = dict(body["meeting"])
    change = Change(updates={"set__appointees": list(result.appointees), "set__decision": meeting})
    change.envelopes.append(
        caller.envelope(
            "selection.decided",
            subject(doc.id),
            contract.SelectionDecided().dump(
                {
                    "selection": doc.id,
                    "post": doc.post,
                    "post_title": doc.post_title,
                    "key_leadership": doc.category == "key_leadership",
                    "appointees": cadre_names(result.appointees),
                    "meeting": {k: meeting[k] for k in ("held_at", "place", "members", "present")},
                }
            ),
        )
    )
    return transition(doc, result.stage, Action.DECISION, utcnow(), caller, change)


def _owners_notice(notice, now):
    """Supervision's notice (its ``clearance`` answer) as the appointment rules see it."""
    if notice["status"] != "open":
        return appointment_rules.NoticeStatus(
            closes_at=now,
            pending_objections=int(notice["outcome"] == "pending"),
            upheld_objections=int(notice["outcome"] == "upheld"),
        )
    return appointment_rules.NoticeStatus(
        closes_at=None, pending_objections=notice["pending"], upheld_objections=notice["upheld"]
    )


def appointment(doc, caller, clearance=None):
    """The appointment. Our copy of the notice trails supervision's events; where it refuses
    (``too_early``, ``objection_pending``) ``clearance()`` asks supervision for the notice now. A
    notice found closed clear moves the selection through ``appointment`` in this same write, as
    the ``notice.closed`` event would have (which then changes nothing: its revision is held)."""
    now = utcnow()
    learnt = None
    try:
        made = appointment_rules.make_appointment(
            doc.stage, _notice_status(doc), now, appointees=doc.appointees, vacancies=doc.vacancies
        )
    except (Conflict, RuleViolation) as refused:
        notice = clearance()["notice"] if clearance is not None and refused.code in ASKABLE_APPOINTMENT_CODES else None
        if notice is None:
            raise
        made = appointment_rules.make_appointment(
            doc.stage, _owners_notice(notice, now), now, appointees=doc.appointees, vacancies=doc.vacancies
        )
        learnt = notice
    change = Change(updates={"set__appointed_at": now})
    passed = doc
    if learnt is not None and Stage(doc.stage) is Stage.PUBLIC_NOTICE:
        change.updates.update(
            {
                "set__notice_closed": True,
                "set__notice_outcome": learnt["outcome"],
                "set__notice_revision": max(learnt["revision"], doc.notice_revision),
            }
        )
        transition(doc, Stage.APPOINTMENT, "notice_closed", now, caller, change)
        # the appointment's own stage change follows the one the notice made
        passed = SimpleNamespace(id=doc.id, stage=str(Stage.APPOINTMENT), history=change.updates["set__history"])
    change.envelopes.append(
        caller.envelope(
            "selection.appointed",
            subject(doc.id),
            contract.SelectionAppointed().dump(
                {
                    "selection": doc.id,
                    "post": doc.post,
                    "appointees": list(made.appointees),
                    "appointed_at": rfc3339(now),
                }
            ),
        )
    )
    # keyed by the selection: a retried write never fills the seats twice
    change.before_write = lambda: store.appoint(doc.post, len(made.appointees), doc.vacancies, f"appoint:{doc.id}")
    return transition(passed, made.stage, Action.APPOINTMENT, now, caller, change)
