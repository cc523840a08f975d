"""Supervision's documents read as the rules' values and as the views callers get, and the lookups and
waits behind a call (``changes.py`` and its siblings hold the writes)."""

import re
from dataclasses import dataclass
from datetime import datetime

import eventlet
from bson import ObjectId
from mongoengine import NotUniqueError

from services.common import config, paging
from services.common.clock import as_utc, rfc3339
from services.common.envelope import make_envelope
from services.common.errors import Invalid, NotFound, Unavailable
from services.supervision import events
from services.supervision.domain import assessments as assessment_rules
from services.supervision.domain import clearance as clearance_rules
from services.supervision.domain import filings as filing_rules
from services.supervision.domain import notices as notice_rules
from services.supervision.domain import reviews as review_rules
from services.supervision.models import Assessment, Filing, Notice, Objection, PreReport, Review, Selection

# What can be a selection id at all (API.md's codes: letters, digits, - and _); anything else is
# refused at once, without asking nomination.
SELECTION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


# ---- ids, pages and envelopes


def jsonable(value):
    """``value`` with every datetime in it as RFC 3339 text."""
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def object_id(value, what):
    """The ObjectId behind an id shown to callers; 404 naming ``what`` when it cannot be one."""
    if not isinstance(value, str) or not ObjectId.is_valid(value):
        raise NotFound(f"no {what} {value!r}"[:120])
    return ObjectId(value)


def new_id():
    """A new document's id as callers see it (ObjectIds, so lists page in the order things happened)."""
    return str(ObjectId())


def _cursor(value):
    if value is None:
        return None
    if not ObjectId.is_valid(value):
        raise Invalid({"cursor": ["Not a cursor this list gave."]})
    return ObjectId(value)


def _page(queryset, query, view, newest_first=False):
    cursor = _cursor(query.get("cursor"))
    if cursor is not None:
        queryset = queryset.filter(id__lt=cursor) if newest_first else queryset.filter(id__gt=cursor)
    limit = query.get("limit", 50)
    docs = list(queryset.order_by("-id" if newest_first else "id").limit(limit + 1))
    return paging.page(docs, limit, lambda d: str(d.id), view)


def envelope(caller, event, cause=None):
    """An envelope for an ``Event``, its data dumped through the contract's schema of its type; one caused by an
    incoming event keeps its request id."""
    data = events.SENT[event.type]().dump(jsonable(event.data))
    if cause is None:
        return caller.envelope(event.type, event.subject, data)
    return make_envelope(
        event.type,
        caller.service,
        event.subject,
        data,
        actor=cause.get("actor"),
        correlation_id=cause.get("correlation_id"),
    )


# ---- documents as the rules' values


def review(doc):
    verdicts = {
        d: (
            review_rules.Verdict(v["verdict"], v.get("reason") or "", as_utc(v["at"]))
            if (v := doc.verdicts.get(d))
            else None
        )
        for d in doc.departments
    }
    return review_rules.Review(
        id=str(doc.id),
        selection=doc.selection,
        cadre=doc.cadre,
        opened_at=as_utc(doc.opened_at),
        due_at=as_utc(doc.due_at),
        status=doc.status,
        verdicts=verdicts,
    )


def notice(doc):
    return notice_rules.Notice(
        id=str(doc.id),
        selection=doc.selection,
        title=doc.title,
        body=doc.body,
        opens_at=as_utc(doc.opens_at),
        closes_at=as_utc(doc.closes_at),
        status=doc.status,
        appointees=tuple(notice_rules.Appointee(a["name"], a["post"]) for a in doc.appointees),
        outcome=doc.outcome,
        revision=doc.revision,
    )


def objection_stubs(doc):
    """The notice's objections as the outcome rule needs them (statuses; content is elsewhere)."""
    return [
        notice_rules.Objection(id=oid, notice=str(doc.id), content="-", lodged_at=doc.opens_at, status=status)
        for oid, status in doc.objections.items()
    ]


def filing(doc):
    return filing_rules.Filing(
        selection=doc.selection,
        appointed_at=as_utc(doc.appointed_at),
        due_at=as_utc(doc.due_at),
        status=doc.status,
        filed_with=doc.filed_with,
        reference=doc.reference,
        filed_at=as_utc(doc.filed_at),
        late=bool(doc.late),
    )


def cadre_history(cadre):
    """A cadre's routine-assessment scores, every period's."""
    return [
        assessment_rules.CadreAssessment(assessment_rules.Period.parse(d.period), d.subject, d.score)
        for d in Assessment.objects(kind="cadre", subject=cadre)
    ]


# ---- views


def review_view(doc, role=None):
    shown = jsonable(review(doc).as_dict())
    if role in doc.departments:
        # A department sees only its own verdict, so that each judges independently (会审).
        shown["verdicts"] = {d: (v if d == role else None) for d, v in shown["verdicts"].items()}
    return shown


def notice_view(doc):
    return jsonable(notice(doc).as_public_dict())


def objection_view(doc):
    return jsonable(
        {
            "id": str(doc.id),
            "notice": doc.notice,
            "status": doc.status,
            "content": doc.content,
            "lodged_at": doc.lodged_at,
            "finding": doc.finding,
            "resolved_at": as_utc(doc.resolved_at),
            "resolved_by": doc.resolved_by,
        }
    )


def filing_view(doc):
    return jsonable(filing(doc).as_dict())


def pre_report_view(doc):
    return jsonable(
        {
            "id": str(doc.id),
            "selection": doc.selection,
            "status": doc.status,
            "created_at": doc.created_at,
            "approved_at": as_utc(doc.approved_at),
            "approved_by": doc.approved_by,
        }
    )


def reviews_page(query, role):
    filters = {k: query[k] for k in ("selection", "status") if query.get(k)}
    return _page(Review.objects(**filters), query, lambda d: review_view(d, role))


def notices_page(query):
    filters = {k: query[k] for k in ("selection", "status") if query.get(k)}
    return _page(Notice.objects(**filters), query, notice_view, newest_first=True)


def objections_page(notice_id, query):
    if Notice.objects(id=object_id(notice_id, "notice")).first() is None:
        raise NotFound(f"no notice {notice_id!r}")
    return _page(Objection.objects(notice=notice_id), query, objection_view)


def filings_page(query):
    filters = {"status": query["status"]} if query.get("status") else {}
    return _page(Filing.objects(**filters), query, filing_view)


# ---- selections as supervision knows them


@dataclass(frozen=True)
class KnownSelection:
    """What a call on a selection needs of it: whether the committee has decided it."""

    decided: bool


def require_selection_id(sid):
    """404 at once for what cannot be a selection id."""
    if not (isinstance(sid, str) and SELECTION_ID.fullmatch(sid)):
        raise NotFound(f"no selection {sid!r}"[:120])


def ensure_selection(sid):
    """The selection's document, created empty if no event about it has arrived yet."""
    try:
        # every field a later filter names is written here: a filter never matches a missing field
        Selection.objects(sid=sid).update_one(
            upsert=True, set_on_insert__outbox_n=0, set_on_insert__decided=False, set_on_insert__key_leadership=False
        )
    except NotUniqueError:  # two handlers raced to create it: it exists now
        pass


def known_selection(sid, nomination):
    """The selection as learnt from nomination's events or, when none has told us of it yet (its
    ``selection.opened`` may trail the 201 its caller got), as ``nomination`` (the service, asked)
    answers now; 404 when nomination holds no such selection either."""
    require_selection_id(sid)
    doc = Selection.objects(sid=sid).first()
    if doc is not None and doc.post is not None:
        return KnownSelection(decided=bool(doc.decided))
    facts = nomination("selection_facts", id=sid)
    # what selection.opened will say too: the event, when it comes, rewrites the same values
    ensure_selection(sid)
    Selection.objects(sid=sid).update_one(
        set__post=facts["post"] or "",
        set__post_title=facts["post_title"],
        set__key_leadership=bool(facts["key_leadership"]),
    )
    return KnownSelection(decided=bool(facts["decided"]))


def wait_for_reviews(sid, nomination):
    """A selection's reviews asked for before its selection.inspected has opened them all here
    (right after the inspection answered): nomination says whose are due, and we wait for them
    within ASK_TIMEOUT_SECONDS (503 past it)."""
    if not SELECTION_ID.fullmatch(sid):
        return
    known = Selection.objects(sid=sid).only("reviews_opened").first()
    if known is not None and known.reviews_opened:
        return
    try:
        facts = nomination("selection_facts", id=sid)
    except (NotFound, Unavailable):
        return  # no such selection, or nomination cannot say: the list as we hold it
    due = set(facts.get("under_review") or ())
    waited, limit = 0.0, config.get_float("ASK_TIMEOUT_SECONDS")
    while due - set(Review.objects(selection=sid).distinct("cadre")):
        if waited >= limit:
            raise Unavailable("the selection's reviews have not opened yet; retry")
        eventlet.sleep(0.05)
        waited += 0.05


def clearance(selection):
    """The pre-report approval, review statuses and notice of ``selection`` as of this call."""
    require_selection_id(selection)
    report = PreReport.objects(selection=selection).only("status").first()
    found = Notice.objects(selection=selection).only("status", "outcome", "revision", "objections").first()
    return clearance_rules.clearance(
        selection,
        pre_report_status=report.status if report else None,
        reviews=[(r.cadre, r.status) for r in Review.objects(selection=selection).only("cadre", "status")],
        notice=None
        if found is None
        else {
            "status": found.status,
            "outcome": found.outcome,
            "revision": found.revision,
            "objections": dict(found.objections),
        },
    )


def next_due():
    """The earliest time a pending review, an open notice or a due filing comes due, or None."""
    found = [doc.due_at for doc in Review.objects(status=review_rules.PENDING).order_by("due_at").only("due_at")[:1]]
    found += [
        doc.closes_at for doc in Notice.objects(status=notice_rules.OPEN).order_by("closes_at").only("closes_at")[:1]
    ]
    found += [doc.due_at for doc in Filing.objects(status=filing_rules.DUE).order_by("due_at").only("due_at")[:1]]
    found = [as_utc(moment) for moment in found if moment not in (None, "")]
    return min(found) if found else None
