"""The public notice's writes: opened on a decision, its objections lodged and resolved."""

import eventlet
from bson import ObjectId

from services.common import config, idempotency, outbox, retry
from services.common.clock import utcnow
from services.common.errors import Conflict, NotFound, Unavailable
from services.supervision import store, telemetry
from services.supervision.changes import CAS_ATTEMPTS
from services.supervision.domain import notices as notice_rules
from services.supervision.models import Notice, Objection
from services.supervision.store import envelope


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
