"""What supervision's calls and events write: each rule's outcome (``domain/``) as one write that carries
its events (the outbox), applied once per envelope or under the document's version guard. The public
notice's writes are in ``public_notice.py``, routine assessments' in ``routine_assessment.py`` and the
clock's in ``tick.py``."""

import eventlet
from bson import ObjectId

from services.common import config, idempotency, outbox, retry
from services.common.clock import as_utc, rfc3339, utcnow
from services.common.copies import LastWritten
from services.common.errors import Conflict, NotFound, Unavailable
from services.supervision import store, telemetry
from services.supervision.domain import filings as filing_rules
from services.supervision.domain import oversight as oversight_rules
from services.supervision.domain import reviews as review_rules
from services.supervision.domain.base import Event, selection_subject
from services.supervision.models import Filing, PreReport, Review, Selection
from services.supervision.store import envelope

# Attempts at an optimistic (version-guarded) update before answering 503.
CAS_ATTEMPTS = 50


# ---- what nomination's events say of a selection


def learn_selection(sid, once, **facts):
    """Write what one of nomination's events says of a selection (``facts``: field -> value), once."""
    store.ensure_selection(sid)
    idempotency.modify_once(Selection.objects(sid=sid), once, {f"set__{k}": v for k, v in facts.items()})


# ---- joint review (会审)

# Each review as this process last wrote it: the next verdict on it is decided on this copy, under the copy's
# version guard (services/common/copies.py).
_WRITTEN = LastWritten()


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
                {"review": review.id, "selection": sid, "cadre": review.cadre, "due_at": rfc3339(review.due_at)},
            ),
            cause,
        )
        doc = Review(
            id=ObjectId(review.id),
            selection=sid,
            cadre=review.cadre,
            opened_at=review.opened_at,
            due_at=review.due_at,
            status=review.status,
            departments=list(review.departments),
            verdicts={},
        )
        # the unique (selection, cadre) index makes a redelivery open nothing twice
        if idempotency.insert_once(doc, event):
            _WRITTEN.keep(doc.id, doc)
    Selection.objects(sid=sid).update_one(set__reviews_opened=True)


def give_verdict(id, department, verdict, reason, caller):
    """Record a department's verdict, recomputed on a fresh read whenever another answered meanwhile."""
    oid = store.object_id(id, "review")

    def read():
        doc = Review.objects(id=oid).first()
        if doc is None:
            raise NotFound(f"no review {id!r}")
        return doc

    def attempt(doc):
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
        return store.review_view(updated, department), updated

    # another department answered meanwhile: let its greenlet finish, then recompute on its result
    return retry.until_written(
        lambda: _WRITTEN.attempt(oid, read, attempt),
        CAS_ATTEMPTS,
        gave_up=Unavailable("the review is changing too often; retry"),
        pause=lambda n: eventlet.sleep(0),
    )[0]


def void_reviews(sid, cadre, once):
    """Mark the reviews of a nomination nomination has voided."""
    for doc in Review.objects(selection=sid, cadre=cadre).only("id"):
        # a version step too: any change of a review is one that a copy of it must fail on
        idempotency.modify_once(Review.objects(id=doc.id), once, {"set__nomination_voided": True, "inc__version": 1})


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
            {"pre_report": report.id, "selection": sid},
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
            {"selection": sid, "name": observer.name},
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


# ---- decision: observer attendance


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
                Event("observer.absent", selection_subject(sid), {"selection": sid}),
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
