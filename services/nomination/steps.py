"""Each step of a selection's procedure as the change it writes: the rule's verdict (from ``domain/``)
turned into the selection's updates, its events and its stage change. ``store.act`` and
``store.change_selection`` apply these under the selection's version guard; ``service.py`` only picks
the step. The steps that write documents of their own (opening, ballot sessions, nominations) store them
with their event here, and ``heard`` applies what supervision's events tell us."""

import logging
import time
from types import SimpleNamespace

from services.common import config, outbox
from services.common.clock import rfc3339, utcnow
from services.common.envelope import load_envelope
from services.common.errors import Conflict, Invalid, NotFound, RuleViolation
from services.common.validation import load
from services.nomination import ballot_box, contract, registry, store
from services.nomination.domain import appointment as appointment_rules
from services.nomination.domain import ballots as ballot_rules
from services.nomination.domain.consultation import record_consultation
from services.nomination.domain.decision import check_decision
from services.nomination.domain.deliberation import check_deliberation
from services.nomination.domain.inspection import check_inspection
from services.nomination.domain.nomination import check_nomination
from services.nomination.domain.qualification import set_qualification
from services.nomination.domain.selection import open_selection
from services.nomination.domain.stages import Action, Stage, check_stage
from services.nomination.models import BallotSession, Cadre, Nomination, Post, Selection
from services.nomination.store import Change, transition

log = logging.getLogger(__name__)

# Refusals that may come from our copy of supervision's state trailing it: asked again of supervision.
ASKABLE_DECISION_CODES = ("not_cleared", "pre_report_required")
ASKABLE_APPOINTMENT_CODES = ("too_early", "objection_pending")


def subject(selection_id):
    """The subject of a selection's events and records entries."""
    return f"selection:{selection_id}"


def _names(codes):
    found = {c.code: c.name for c in Cadre.objects(code__in=list(codes)).only("code", "name")}
    return [{"cadre": code, "name": found.get(code, "")} for code in codes]


def _added(doc, field, value):
    """The update that adds ``value`` to the list ``field`` of a selection, unless it is there."""
    return {} if value in getattr(doc, field) else {f"push__{field}": value}


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


# --- the organization department's steps (RPC) ---------------------------------------------------


def opening(body, caller):
    """Open a selection on a post: the opening rule, then the seats held on the post (the guarded
    update decides; the rule only read the books), then the selection and its event. The seats go
    back if the selection cannot be written."""
    post = Post.objects(code=body["post"]).first()
    if post is None:
        raise Invalid({"post": ["unknown post"]})
    opened = open_selection(
        registry.post_value(post),
        vacancies=body["vacancies"],
        competitive=body["competitive"],
        motion=body["motion"],
        weights=body.get("weights"),
    )
    if not store.reserve(post.code, opened.vacancies):
        raise RuleViolation("more vacancies than the post has free", "over_headcount")
    doc = Selection(
        post=post.code,
        post_title=post.title,
        post_rank=post.rank,
        category=post.category,
        mode=opened.mode,
        competitive=opened.competitive,
        slate_ratio=opened.slate_ratio,
        vacancies=opened.vacancies,
        stage=str(opened.stage),
        proposed_by=opened.motion.proposed_by,
        reason=opened.motion.reason,
        weights=opened.weights,
    )
    data = {
        "selection": doc.id,
        "post": post.code,
        "mode": opened.mode,
        "competitive": opened.competitive,
        "vacancies": opened.vacancies,
        "key_leadership": post.category == "key_leadership",
    }
    try:
        outbox.insert(doc, caller.envelope("selection.opened", subject(doc.id), contract.SelectionOpened().dump(data)))
    except Exception:
        store.unreserve(post.code, opened.vacancies)
        raise
    return doc


def asked_once(ask):
    """``ask()`` (a question to another service) made at most once per call, when first needed."""
    answers = []

    def answer():
        if not answers:
            answers.append(ask())
        return answers[0]

    return answer


def qualification(doc, body, caller):
    qualified = set_qualification(doc.stage, body["conditions"], body["scope"])
    change = Change(updates={"set__qualification": qualified.as_dict()})
    change.envelopes.append(
        caller.envelope(
            "selection.qualified",
            subject(doc.id),
            contract.SelectionQualified().dump({"selection": doc.id, **qualified.as_dict()}),
        )
    )
    return transition(doc, Stage.QUALIFICATION, Action.QUALIFICATION, utcnow(), caller, change)


def consultation(doc, body, caller):
    heard = record_consultation(doc.stage, doc.sources_heard, source=body["source"], opinion=body["opinion"])
    now = utcnow()
    item = {"source": heard.source, "opinion": heard.opinion, "at": rfc3339(now)}
    change = Change(
        updates={
            "set__sources_heard": sorted(heard.sources_heard),
            "set__consultations": list(doc.consultations) + [item],
        }
    )
    change.envelopes.append(
        caller.envelope(
            "selection.consulted",
            subject(doc.id),
            contract.SelectionConsulted().dump({"selection": doc.id, "source": heard.source}),
        )
    )
    return transition(doc, heard.stage, Action.CONSULTATION, now, caller, change)


def ballot_session_opening(doc, body, caller):
    """A secret-ballot session of the selection: its terms (the rules, then the candidates known), its
    tokens issued into the ballot box, the session and its event. The answer is the only copy of the tokens."""
    terms = ballot_rules.open_session(
        doc.stage, kind=body["kind"], electorate=body["electorate"], seats=body["seats"], candidates=body["candidates"]
    )
    registry.require_cadres(terms.candidates, "candidates")
    session = BallotSession(
        selection=doc.id,
        kind=terms.kind,
        electorate=terms.electorate,
        seats=terms.seats,
        candidates=list(terms.candidates),
    )
    tokens = ballot_box.issue(session.id, terms.electorate)
    data = {
        "selection": doc.id,
        "session": session.id,
        "kind": terms.kind,
        "electorate": terms.electorate,
        "seats": terms.seats,
    }
    outbox.insert(
        session, caller.envelope("ballot_session.opened", subject(doc.id), contract.BallotSessionOpened().dump(data))
    )
    return {"id": session.id, "tokens": tokens}


def ballot_session_closing(session_id, caller):
    """Close a ballot session: seal its box, tally its ballots and store the tally with its event, once."""
    session = ballot_box.load_session(session_id)
    doc = store.load_selection(session.selection)
    check_stage(Action.CLOSE_SESSION, doc.stage)
    if session.tallied:
        raise Conflict("the ballot session is closed", "session_closed")
    started = time.perf_counter()
    result = ballot_rules.close_session(
        doc.stage, ballot_box.seal(session_id), terms=ballot_box.terms(session), already_closed=False
    )
    tally = result.as_dict()
    log.info("tallied %d ballots in %.3fs", tally["cast"], time.perf_counter() - started)
    event = caller.envelope(
        "ballot_session.closed",
        subject(doc.id),
        contract.BallotSessionClosed().dump(
            {"selection": doc.id, "session": session_id, "kind": session.kind, **tally}
        ),
    )
    stored = outbox.modify(
        BallotSession.objects(id=session_id, tallied=False), {"set__tallied": True, "set__result": tally}, [event]
    )
    if stored is None:
        raise Conflict("the ballot session is closed", "session_closed")
    return tally


def nomination(doc, body, caller):
    """A nomination in the selection: the stage, the cadre known, then the rules on the evidence its
    basis names; stored with its event (409 ``exists`` for a cadre nominated before)."""
    check_stage(Action.NOMINATION, doc.stage)  # out_of_order comes before a 400 on the cadre
    cadre = registry.require_cadre(body["cadre"])
    basis = body.get("basis")
    session, campaign = store.nomination_evidence(doc, cadre, basis)
    made = check_nomination(
        store.selection_value(doc),
        registry.cadre_value(cadre),
        store.qualification_value(doc),
        basis=basis,
        disclosure=body.get("disclosure"),
        relations=body.get("relations"),
        session=session,
        campaign=campaign,
    )
    nominated = Nomination(
        selection=doc.id,
        cadre=cadre.code,
        basis=made.basis.as_dict(),
        personal_matters_reported=made.personal_matters_reported,
        relations=[{"person": r.person, "kind": r.kind} for r in made.relations],
    )
    outbox.insert(
        nominated,
        caller.envelope(
            "nomination.made",
            subject(doc.id),
            contract.NominationMade().dump({"selection": doc.id, "cadre": cadre.code, "basis": made.basis.as_dict()}),
        ),
        exists_detail="this cadre is already nominated in this selection",
    )
    return {
        "id": nominated.id,
        "selection": doc.id,
        "cadre": cadre.code,
        "basis": made.basis.as_dict(),
        "status": made.status,
    }


def deliberation(doc, body, caller):
    nominated = [n.cadre for n in Nomination.objects(selection=doc.id).only("cadre") if n.cadre not in doc.voided]
    result = check_deliberation(
        store.selection_value(doc), meeting=body["meeting"], nominees=body["nominees"], nominated=nominated
    )
    meeting = dict(body["meeting"])
    change = Change(updates={"set__shortlist": list(result.nominees), "set__deliberation": meeting})
    change.envelopes.append(
        caller.envelope(
            "selection.deliberated",
            subject(doc.id),
            contract.SelectionDeliberated().dump(
                {"selection": doc.id, "nominees": list(result.nominees), "meeting": meeting}
            ),
        )
    )
    return transition(doc, result.stage, Action.DELIBERATION, utcnow(), caller, change)


def inspection(doc, body, caller):
    nominees = [c for c in doc.shortlist if c not in doc.voided]
    result = check_inspection(doc.stage, reports=body["reports"], nominees=nominees)
    change = Change(updates={"set__ratings": result.ratings()})
    change.envelopes.append(
        caller.envelope(
            "selection.inspected",
            subject(doc.id),
            contract.SelectionInspected().dump(
                {
                    "selection": doc.id,
                    "post": doc.post,
                    "post_title": doc.post_title,
                    "key_leadership": doc.category == "key_leadership",
                    "nominees": _names(nominees),
                }
            ),
        )
    )
    return transition(doc, result.stage, Action.INSPECTION, utcnow(), caller, change)


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
                    "appointees": _names(result.appointees),
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


def filing(doc, body, caller):
    filed = appointment_rules.check_filing(doc.stage, filed_with=body["filed_with"], reference=body["reference"])
    now = utcnow()
    data = {"selection": doc.id, "filed_with": filed.filed_with, "reference": filed.reference}
    change = Change(updates={"set__filing": {**data, "at": rfc3339(now)}, "set__closed_reason": "filed"})
    change.envelopes.append(caller.envelope("filing.recorded", subject(doc.id), contract.FilingRecorded().dump(data)))
    change.envelopes.append(
        caller.envelope(
            "selection.closed",
            subject(doc.id),
            contract.SelectionClosed().dump({"selection": doc.id, "reason": "filed"}),
        )
    )
    return transition(doc, filed.stage, Action.FILING, now, caller, change)


# --- what supervision tells us (events) ----------------------------------------------------------


def heard(payload, schema, step, caller):
    """Apply ``step`` to the selection a supervision event names, once per envelope; an event about a
    selection this service does not hold is logged and dropped."""
    envelope = load_envelope(payload)
    data = load(schema(), envelope["data"])
    try:
        store.change_selection(data["selection"], lambda doc: step(doc, data, caller), once=envelope["id"])
    except NotFound:
        log.warning("%s for a selection this service does not hold", envelope["type"])


def review_cleared(doc, data, caller):
    return Change(updates=_added(doc, "reviews_cleared", data["cadre"]))


def review_vetoed(doc, data, caller):
    change = Change(updates=_added(doc, "reviews_vetoed", data["cadre"]))
    if data.get("reason") == "concealment" and data["cadre"] not in doc.voided:
        change.updates.update(_added(doc, "voided", data["cadre"]))
        change.envelopes.append(
            caller.envelope(
                "nomination.voided",
                subject(doc.id),
                contract.NominationVoided().dump(
                    {"selection": doc.id, "cadre": data["cadre"], "reason": "concealment"}
                ),
            )
        )
    return change


def pre_report_approved(doc, data, caller):
    return Change(updates={"set__pre_report_approved": True})


def notice_opened(doc, data, caller):
    return Change(updates={"set__notice": data["notice"]})


def objection_lodged(doc, data, caller):
    return Change(updates=_added(doc, "objections_lodged", data["objection"]))


def objection_resolved(doc, data, caller):
    change = Change(updates=_added(doc, "objections_resolved", data["objection"]))
    if data.get("upheld"):
        change.updates.update(_added(doc, "objections_upheld", data["objection"]))
    return change


def notice_closed(doc, data, caller):
    if data["revision"] <= doc.notice_revision:
        return None  # an older outcome than the one we hold
    change = Change(
        updates={
            "set__notice_closed": True,
            "set__notice_outcome": data["outcome"],
            "set__notice_revision": data["revision"],
        }
    )
    if data.get("notice"):
        change.updates["set__notice"] = data["notice"]
    now = utcnow()
    stage = Stage(doc.stage)
    if data["outcome"] == "clear" and stage is Stage.PUBLIC_NOTICE:
        transition(doc, Stage.APPOINTMENT, "notice_closed", now, caller, change)
    elif data["outcome"] == "upheld" and stage in (Stage.PUBLIC_NOTICE, Stage.APPOINTMENT):
        # closed without appointment: the reserved vacancies go back to the post, once
        change.updates.update({"set__closed_reason": "objection_upheld", "set__released": True})
        change.before_write = lambda: store.release(doc.post, doc.vacancies, f"release:{doc.id}")
        change.envelopes.append(
            caller.envelope(
                "selection.closed",
                subject(doc.id),
                contract.SelectionClosed().dump({"selection": doc.id, "reason": "objection_upheld"}),
            )
        )
        transition(doc, Stage.CLOSED, "notice_closed", now, caller, change)
    return change
