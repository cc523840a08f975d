"""What supervision's calls, events and clock write: each rule's outcome (``domain/``) as one write that
carries its events (the outbox), applied once per envelope or under the document's version guard."""

import hashlib
import json

import eventlet
from bson import ObjectId
from mongoengine import NotUniqueError

from services.common import config, idempotency, outbox, retry
from services.common.clock import as_utc, rfc3339, utcnow
from services.common.errors import Conflict, NotFound, Unavailable
from services.supervision import contract, store, telemetry
from services.supervision.domain import assessments as assessment_rules
from services.supervision.domain import filings as filing_rules
from services.supervision.domain import notices as notice_rules
from services.supervision.domain import oversight as oversight_rules
from services.supervision.domain import reviews as review_rules
from services.supervision.domain.base import Event, selection_subject
from services.supervision.models import Assessment, Filing, Notice, Objection, PreReport, Ranking, Review, Selection
from services.supervision.store import envelope

# Attempts at an optimistic (version-guarded) update before answering 503.
CAS_ATTEMPTS = 50


# ---- what nomination's events say of a selection


def learn_selection(sid, once, **facts):
    """Write what one of nomination's events says of a selection (``facts``: field -> value), once."""
    store.ensure_selection(sid)
    idempotency.modify_once(Selection.objects(sid=sid), once, {f"set__{k}": v for k, v in facts.items()})


# ---- joint review (会审)


def open_reviews(sid, cadres, caller, cause):
    """A review for each initial nominee of an inspected selection that has none yet."""
    now = utcnow()
    existing = [store.review(d) for d in Review.objects(selection=sid)]
    opened = review_rules.open_reviews(
        sid,
        cadres,
        now,
        departments=config.get_list("REVIEW_DEPARTMENTS"),
        deadline_seconds=config.get_float("REVIEW_DEADLINE_SECONDS"),
        existing=existing,
        new_id=store.new_id,
    )
    for review in opened:
        event = envelope(
            caller,
            Event(
                "review.opened",
                selection_subject(sid),
                contract.ReviewOpened().dump(
                    {"review": review.id, "selection": sid, "cadre": review.cadre, "due_at": rfc3339(review.due_at)}
                ),
            ),
            cause,
        )
        # the unique (selection, cadre) index makes a redelivery open nothing twice
        idempotency.insert_once(
            Review(
                id=ObjectId(review.id),
                selection=sid,
                cadre=review.cadre,
                opened_at=review.opened_at,
                due_at=review.due_at,
                status=review.status,
                departments=list(review.departments),
                verdicts={},
            ),
            event,
        )
    Selection.objects(sid=sid).update_one(set__reviews_opened=True)


def give_verdict(id, department, verdict, reason, caller):
    """Record a department's verdict, recomputed on a fresh read whenever another answered meanwhile."""
    oid = store.object_id(id, "review")

    def attempt():
        doc = Review.objects(id=oid).first()
        if doc is None:
            raise NotFound(f"no review {id!r}")
        outcome = review_rules.apply_verdict(store.review(doc), department, verdict, reason, utcnow())
        given = outcome.review.verdicts[department]
        updated = outbox.modify(
            Review.objects(id=oid, version=doc.version),
            {
                f"set__verdicts__{department}": {"verdict": given.verdict, "reason": given.reason, "at": given.at},
                "set__status": outcome.review.status,
                "inc__version": 1,
            },
            [envelope(caller, e) for e in outcome.events],
        )
        if updated is None:
            return None
        telemetry.VERDICTS.labels(department, given.verdict).inc()
        return store.review_view(updated, department)

    # another department answered meanwhile: let its greenlet finish, then recompute on its result
    return retry.until_written(
        attempt,
        CAS_ATTEMPTS,
        gave_up=Unavailable("the review is changing too often; retry"),
        pause=lambda n: eventlet.sleep(0),
    )


def void_reviews(sid, cadre, once):
    """Mark the reviews of a nomination nomination has voided."""
    for doc in Review.objects(selection=sid, cadre=cadre).only("id"):
        idempotency.modify_once(Review.objects(id=doc.id), once, {"set__nomination_voided": True})


# ---- pre-report (任前报审) and observer (任中派员列席)


def submit_pre_report(sid, summary, known, caller):
    now = utcnow()
    existing = PreReport.objects(selection=sid).first()
    report = oversight_rules.create_pre_report(sid, now, decided=known.decided, existing=existing, new_id=store.new_id)
    doc = PreReport(
        id=ObjectId(report.id),
        selection=sid,
        summary=summary,
        status=report.status,
        created_at=now,
        created_by=caller.actor,
    )
    event = envelope(
        caller,
        Event(
            "pre_report.submitted",
            selection_subject(sid),
            contract.PreReportSubmitted().dump({"pre_report": report.id, "selection": sid}),
        ),
    )
    outbox.insert(doc, event, exists_detail="this selection already has a pre-appointment report")
    return store.pre_report_view(doc)


def approve_pre_report(id, caller):
    oid = store.object_id(id, "pre-report")
    doc = PreReport.objects(id=oid).first()
    if doc is None:
        raise NotFound(f"no pre-report {id!r}")
    selection = Selection.objects(sid=doc.selection).first()
    report = oversight_rules.PreReport(id=id, selection=doc.selection, created_at=doc.created_at, status=doc.status)
    approved, events = oversight_rules.approve_pre_report(
        report, caller.actor, utcnow(), decided=bool(selection and selection.decided)
    )
    updated = outbox.modify(
        PreReport.objects(id=oid, status=oversight_rules.SUBMITTED),
        {
            "set__status": approved.status,
            "set__approved_at": approved.approved_at,
            "set__approved_by": approved.approved_by,
        },
        [envelope(caller, e) for e in events],
    )
    if updated is None:
        raise Conflict("the report has already been approved", "already_submitted")
    return store.pre_report_view(updated)


def name_observer(sid, name, known, caller):
    observer = oversight_rules.name_observer(sid, name, utcnow(), named_by=caller.actor, decided=known.decided)
    event = envelope(
        caller,
        Event(
            "observer.named",
            selection_subject(sid),
            contract.ObserverNamed().dump({"selection": sid, "name": observer.name}),
        ),
    )
    updated = outbox.modify(
        Selection.objects(sid=sid, decided=False),
        {
            "set__observer": observer.name,
            "set__observer_named_at": observer.named_at,
            "set__observer_named_by": observer.named_by,
        },
        [event],
    )
    if updated is None:
        raise Conflict("the selection has already been decided", "wrong_stage")
    return store.jsonable({"selection": sid, "name": observer.name, "named_at": observer.named_at})


# ---- decision: observer attendance and the public notice (公示)


def record_decision(data, cause, caller):
    """The decision as supervision records it (with its observer's attendance); the selection as it
    was known before."""
    sid = data["selection"]
    store.ensure_selection(sid)
    known = Selection.objects(sid=sid).first()
    key_leadership = data["key_leadership"] or known.key_leadership
    decided_at = cause["occurred_at"]
    observer = None
    if known.observer:
        observer = oversight_rules.Observer(sid, known.observer, as_utc(known.observer_named_at))
    attendance = oversight_rules.observer_attendance(sid, key_leadership, observer, decided_at)
    events = []
    if attendance.finding == oversight_rules.NONE_ATTENDED:
        events.append(
            envelope(
                caller,
                Event("observer.absent", selection_subject(sid), contract.ObserverAbsent().dump({"selection": sid})),
                cause,
            )
        )
    changed = idempotency.modify_once(
        Selection.objects(sid=sid),
        cause["id"],
        {
            "set__decided": True,
            "set__decided_at": decided_at,
            "set__attendance": attendance.finding,
            "set__key_leadership": key_leadership,
            "set__post_title": data["post_title"] or known.post_title,
        },
        events,
    )
    if changed is not None and events:
        telemetry.OBSERVERS_ABSENT.inc()
    return known


def open_notice(data, known, cause, caller):
    """The public notice of a decision; one per selection (unique index), so a redelivered decision
    opens nothing twice."""
    sid = data["selection"]
    post_title = data["post_title"] or known.post_title or data["post"] or known.post or ""
    appointees = [notice_rules.Appointee(name=a["name"] or a["cadre"], post=post_title) for a in data["appointees"]]
    notice, events = notice_rules.open_notice(
        sid, appointees, utcnow(), period_seconds=config.get_float("NOTICE_PERIOD_SECONDS"), new_id=store.new_id
    )
    idempotency.insert_once(
        Notice(
            id=ObjectId(notice.id),
            selection=sid,
            title=notice.title,
            body=notice.body,
            opens_at=notice.opens_at,
            closes_at=notice.closes_at,
            status=notice.status,
            appointees=[{"name": a.name, "post": a.post} for a in appointees],
            objections={},
        ),
        *[envelope(caller, e, cause) for e in events],
    )


def lodge_objection(id, content, caller):
    oid = store.object_id(id, "notice")
    doc = Notice.objects(id=oid).first()
    if doc is None:
        raise NotFound(f"no notice {id!r}")
    now = utcnow()
    objection, events = notice_rules.lodge_objection(store.notice(doc), content, now, new_id=store.new_id)
    # The content is stored first and the notice counts it second: 201 only once it counts,
    # so an objection the outcome could miss is never acknowledged.
    stored = Objection(
        id=ObjectId(objection.id),
        notice=id,
        selection=doc.selection,
        content=objection.content,
        lodged_at=now,
        status=notice_rules.PENDING,
    )
    stored.save(force_insert=True)
    counted = outbox.modify(
        Notice.objects(id=oid, status=notice_rules.OPEN, closes_at__gt=now),
        {f"set__objections__{objection.id}": notice_rules.PENDING, "inc__version": 1},
        [envelope(caller, e) for e in events],
    )
    if counted is None:
        stored.delete()
        raise Conflict("the notice period is over", "session_closed")
    telemetry.OBJECTIONS.inc()
    return {"id": objection.id}


def resolve_objection(id, upheld, finding, caller):
    """Resolve an objection: its notice first (version-guarded, since the outcome counts every
    objection), then the objection's own record."""
    oid = store.object_id(id, "objection")
    objection = Objection.objects(id=oid).first()
    if objection is None:
        raise NotFound(f"no objection {id!r}")
    notice_oid = ObjectId(objection.notice)
    now = utcnow()

    def attempt():
        doc = Notice.objects(id=notice_oid).first()
        resolution = notice_rules.resolve_objection(
            store.notice(doc),
            store.objection_stubs(doc),
            id,
            upheld=upheld,
            finding=finding,
            resolved_by=caller.role,
            now=now,
        )
        updated = outbox.modify(
            Notice.objects(id=notice_oid, version=doc.version),
            {
                f"set__objections__{id}": resolution.objection.status,
                "set__outcome": resolution.notice.outcome,
                "set__revision": resolution.notice.revision,
                "inc__version": 1,
            },
            [envelope(caller, e) for e in resolution.events],
        )
        return resolution if updated is not None else None

    resolution = retry.until_written(
        attempt,
        CAS_ATTEMPTS,
        pause=lambda n: eventlet.sleep(0),
        gave_up=Unavailable("the notice is changing too often; retry"),
    )
    Objection.objects(id=oid).update_one(
        set__status=resolution.objection.status,
        set__finding=resolution.objection.finding,
        set__resolved_at=now,
        set__resolved_by=caller.role,
    )
    return store.objection_view(Objection.objects(id=oid).first())


# ---- filing (任后备案)


def open_filing(sid, appointed_at):
    filing = filing_rules.open_filing(sid, appointed_at, deadline_seconds=config.get_float("FILING_DEADLINE_SECONDS"))
    idempotency.insert_once(
        Filing(selection=filing.selection, appointed_at=filing.appointed_at, due_at=filing.due_at, status=filing.status)
    )


def record_filing(data, cause):
    """Nomination already announced ``filing.recorded``: this only updates supervision's books."""
    doc = Filing.objects(selection=data["selection"]).first()
    if doc is None:
        # the appointment event may trail this one on its own queue: try again later
        raise LookupError("filing recorded before its appointment arrived")
    if doc.status == filing_rules.FILED:
        return
    filed, _ = filing_rules.record_filing(
        store.filing(doc), data["filed_with"] or "-", data["reference"] or "-", cause["occurred_at"]
    )
    idempotency.modify_once(
        Filing.objects(selection=data["selection"]),
        cause["id"],
        {
            "set__status": filed.status,
            "set__filed_with": filed.filed_with,
            "set__reference": filed.reference,
            "set__filed_at": filed.filed_at,
            "set__late": filed.late,
        },
    )


# ---- routine assessment (平时考核)


def record_assessment(body, caller):
    kind = "unit" if body.get("unit") else "cadre"
    if kind == "unit":
        value = assessment_rules.assess_unit(body["period"], body["unit"], body["score"])
    else:
        value = assessment_rules.assess_cadre(body["period"], body["cadre"], body["score"])
    shown = value.as_dict()
    subject = getattr(value, kind)
    event = envelope(
        caller, Event("assessment.recorded", f"assessment:{value.period}", contract.AssessmentRecorded().dump(shown))
    )
    outbox.insert(
        Assessment(
            period=str(value.period),
            kind=kind,
            subject=subject,
            score=value.score,
            recorded_at=utcnow(),
            recorded_by=caller.actor,
        ),
        event,
        exists_detail=f"this {kind} already has a score for {value.period}",
    )
    if kind == "cadre":
        flag = assessment_rules.adjustment_flag(store.cadre_history(subject))
        shown["adjustment"] = flag.as_dict() if flag else None
    return shown


def ranking(period, bottom, caller):
    """The period's ranking of units and its cadres to adjust; ``assessment.ranked`` sent when it changed."""
    parsed = assessment_rules.Period.parse(period)
    units = [
        assessment_rules.UnitAssessment(parsed, d.subject, d.score)
        for d in Assessment.objects(period=str(parsed), kind="unit")
    ]
    ranked = assessment_rules.rank_units(parsed, units, bottom)
    # cadres incompetent in this period and the one before it (调整不称职不胜任现职)
    cadres = sorted(Assessment.objects(period=str(parsed), kind="cadre").distinct("subject"))
    adjustments = assessment_rules.adjustments_in(parsed, [store.cadre_history(c) for c in cadres])
    _announce_ranking(str(parsed), ranked, caller)
    return {
        "period": str(parsed),
        "bottom": bottom,
        "items": [i.as_dict() for i in ranked.items],
        "next_cursor": None,
        "adjustments": [f.as_dict() for f in adjustments],
    }


def _announce_ranking(period, ranked, caller):
    """Send ``assessment.ranked`` when this period's ranking differs from the one last sent."""
    if not ranked.items:
        return
    event = ranked.events[0]
    digest = hashlib.sha256(json.dumps(event.data, sort_keys=True).encode()).hexdigest()
    try:
        Ranking.objects(key=period).update_one(upsert=True, set_on_insert__outbox_n=0, set_on_insert__version=0)
    except NotUniqueError:
        pass
    doc = Ranking.objects(key=period).first()
    if doc.digest == digest:
        return
    outbox.modify(
        Ranking.objects(key=period, version=doc.version),
        {"set__digest": digest, "inc__version": 1},
        [envelope(caller, event)],
    )


# ---- the clock: overdue reviews and filings, notices at the end of their period


def mark_reviews_overdue(now, caller):
    for doc in Review.objects(status=review_rules.PENDING, due_at__lte=now).order_by("due_at").limit(500):
        marked = review_rules.mark_overdue(store.review(doc), now)
        if marked.status != review_rules.OVERDUE:
            continue
        event = envelope(
            caller,
            Event(
                "review.overdue",
                selection_subject(doc.selection),
                contract.ReviewOverdue().dump(
                    {
                        "review": str(doc.id),
                        "selection": doc.selection,
                        "cadre": doc.cadre,
                        "missing": list(marked.missing),
                    }
                ),
            ),
        )
        if (
            outbox.modify(
                Review.objects(id=doc.id, version=doc.version),
                {"set__status": review_rules.OVERDUE, "inc__version": 1},
                [event],
            )
            is not None
        ):
            telemetry.REVIEWS_OVERDUE.inc()


def close_notices(now, caller):
    for doc in Notice.objects(status=notice_rules.OPEN, closes_at__lte=now).order_by("closes_at").limit(500):
        try:
            closed, events = notice_rules.close_notice(store.notice(doc), store.objection_stubs(doc), now)
        except Conflict:
            # The embedded database compares dates to the whole second, so it can hand over a
            # notice up to a second early; the rule refuses it and a later tick closes it.
            continue
        # the version guard loses to an objection lodged meanwhile; the next tick closes with it
        if (
            outbox.modify(
                Notice.objects(id=doc.id, version=doc.version),
                {
                    "set__status": closed.status,
                    "set__outcome": closed.outcome,
                    "set__revision": closed.revision,
                    "inc__version": 1,
                },
                [envelope(caller, e) for e in events],
            )
            is not None
        ):
            telemetry.NOTICES_CLOSED.labels(closed.outcome).inc()


def mark_filings_overdue(now, caller):
    for doc in Filing.objects(status=filing_rules.DUE, due_at__lte=now).order_by("due_at").limit(500):
        marked = filing_rules.mark_overdue(store.filing(doc), now)
        if marked.status != filing_rules.OVERDUE:
            continue
        event = envelope(
            caller,
            Event(
                "filing.overdue",
                selection_subject(doc.selection),
                contract.FilingOverdue().dump({"selection": doc.selection, "due_at": rfc3339(doc.due_at)}),
            ),
        )
        if (
            outbox.modify(
                Filing.objects(id=doc.id, status=filing_rules.DUE), {"set__status": filing_rules.OVERDUE}, [event]
            )
            is not None
        ):
            telemetry.FILINGS_OVERDUE.inc()


# What the clock does at each tick, in order; each step takes (now, caller).
TICK_STEPS = (mark_reviews_overdue, close_notices, mark_filings_overdue, telemetry.gauges)
