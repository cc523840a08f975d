"""Supervision service entrypoints: joint reviews, pre-reports and observers, public notices and
objections, filings and routine assessments. The rules are in ``domain/``; this wires them to
RPC, nomination's events, a timer and the database."""
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime

import eventlet
from bson import ObjectId
from mongoengine import NotUniqueError
from prometheus_client import Counter, Gauge

from services.common import config, idempotency, outbox, paging
from services.common.asking import Ask
from services.common.base import HealthMixin, chassis
from services.common.entrypoints import event_handler, query, rpc, timer
from services.common.clock import as_utc, rfc3339, utcnow
from services.common.envelope import load_envelope, make_envelope
from services.common.errors import Conflict, Invalid, NotFound, Unavailable
from services.common.mongo import counts_by
from services.common.validation import load
from services.common.wake import WokenByWorkers
from services.supervision import contract
from services.supervision.domain import assessments as assessment_rules
from services.supervision.domain import clearance as clearance_rules
from services.supervision.domain import filings as filing_rules
from services.supervision.domain import notices as notice_rules
from services.supervision.domain import oversight as oversight_rules
from services.supervision.domain import reviews as review_rules
from services.supervision.domain.base import Event, selection_subject
from services.supervision.models import (Assessment, Filing, Notice, Objection, PreReport, Ranking, Review,
                                         Selection)

log = logging.getLogger(__name__)

REVIEWS = Gauge("cadre_reviews", "Joint reviews by status.", ["status"])
REVIEWS_OVERDUE = Counter("cadre_reviews_overdue_total", "Joint reviews marked overdue (a verdict missing at the deadline).")
VERDICTS = Counter("cadre_review_verdicts_total", "Verdicts given in joint reviews.", ["department", "verdict"])
FILINGS = Gauge("cadre_filings", "Post-appointment filings by status.", ["status"])
FILINGS_OVERDUE = Counter("cadre_filings_overdue_total", "Filings marked overdue (not filed by the deadline).")
OBJECTIONS = Counter("cadre_objections_lodged_total", "Objections lodged by the public against notices.")
NOTICES_CLOSED = Counter("cadre_notices_closed_total", "Public notices closed, by outcome.", ["outcome"])
OBSERVERS_ABSENT = Counter("cadre_observers_absent_total", "Key-leadership decisions taken with no observer named.")

# What can be a selection id at all (API.md's codes: letters, digits, - and _); anything else is
# refused at once, without asking nomination.
SELECTION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Attempts at an optimistic (version-guarded) update before answering 503.
CAS_ATTEMPTS = 50


# ---- conversions between documents, domain values and JSON

def _jsonable(value):
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _oid(value, what):
    if not isinstance(value, str) or not ObjectId.is_valid(value):
        raise NotFound(f"no {what} {value!r}"[:120])
    return ObjectId(value)


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


def _review(doc):
    verdicts = {
        d: (review_rules.Verdict(v["verdict"], v.get("reason") or "", as_utc(v["at"])) if (v := doc.verdicts.get(d)) else None)
        for d in doc.departments
    }
    return review_rules.Review(id=str(doc.id), selection=doc.selection, cadre=doc.cadre, opened_at=as_utc(doc.opened_at),
                               due_at=as_utc(doc.due_at), status=doc.status, verdicts=verdicts)


def _review_view(doc, role=None):
    shown = _jsonable(_review(doc).as_dict())
    if role in doc.departments:
        # A department sees only its own verdict, so that each judges independently (会审).
        shown["verdicts"] = {d: (v if d == role else None) for d, v in shown["verdicts"].items()}
    return shown


def _notice(doc):
    return notice_rules.Notice(
        id=str(doc.id), selection=doc.selection, title=doc.title, body=doc.body, opens_at=as_utc(doc.opens_at),
        closes_at=as_utc(doc.closes_at), status=doc.status,
        appointees=tuple(notice_rules.Appointee(a["name"], a["post"]) for a in doc.appointees),
        outcome=doc.outcome, revision=doc.revision)


def _objection_stubs(doc):
    """The notice's objections as the outcome rule needs them (statuses; content is elsewhere)."""
    return [notice_rules.Objection(id=oid, notice=str(doc.id), content="-", lodged_at=doc.opens_at, status=status)
            for oid, status in doc.objections.items()]


def _objection_view(doc):
    return _jsonable({"id": str(doc.id), "notice": doc.notice, "status": doc.status, "content": doc.content,
                      "lodged_at": doc.lodged_at, "finding": doc.finding, "resolved_at": as_utc(doc.resolved_at),
                      "resolved_by": doc.resolved_by})


def _filing(doc):
    return filing_rules.Filing(selection=doc.selection, appointed_at=as_utc(doc.appointed_at),
                               due_at=as_utc(doc.due_at),
                               status=doc.status, filed_with=doc.filed_with, reference=doc.reference,
                               filed_at=as_utc(doc.filed_at), late=bool(doc.late))


def _pre_report_view(doc):
    return _jsonable({"id": str(doc.id), "selection": doc.selection, "status": doc.status,
                      "created_at": doc.created_at, "approved_at": as_utc(doc.approved_at), "approved_by": doc.approved_by})


@dataclass(frozen=True)
class KnownSelection:
    """What a call on a selection needs of it: whether the committee has decided it."""

    decided: bool


def _ensure_selection(sid):
    """The selection's document, created empty if no event about it has arrived yet."""
    try:
        # every field a later filter names is written here: a filter never matches a missing field
        Selection.objects(sid=sid).update_one(upsert=True, set_on_insert__outbox_n=0, set_on_insert__decided=False,
                                              set_on_insert__key_leadership=False)
    except NotUniqueError:  # two handlers raced to create it: it exists now
        pass


class SupervisionService(HealthMixin):
    name = "supervision"
    db, caller, relay, metrics = chassis("supervision")
    # asked when our copy of a selection (from nomination's events) does not know it, or its decision, yet
    nomination = Ask("nomination")
    clock = WokenByWorkers("tick")

    # ---- envelopes

    def _envelope(self, event, cause=None):
        """An envelope for a domain ``Event``; one caused by an incoming event keeps its request id."""
        data = _jsonable(event.data)
        if cause is None:
            return self.caller.envelope(event.type, event.subject, data)
        return make_envelope(event.type, self.name, event.subject, data, actor=cause.get("actor"),
                             correlation_id=cause.get("correlation_id"))

    def _new(self, type, subject, data, cause=None):
        return self._envelope(Event(type, subject, data), cause)

    def _known_selection(self, sid):
        """The selection as learnt from nomination's events or, when none has told us of it yet (its
        ``selection.opened`` may trail the 201 its caller got), as nomination answers now; 404 when
        nomination holds no such selection either."""
        if not (isinstance(sid, str) and SELECTION_ID.fullmatch(sid)):
            raise NotFound(f"no selection {sid!r}"[:120])
        doc = Selection.objects(sid=sid).first()
        if doc is not None and doc.post is not None:
            return KnownSelection(decided=bool(doc.decided))
        facts = self.nomination("selection_facts", id=sid)
        # what selection.opened will say too: the event, when it comes, rewrites the same values
        _ensure_selection(sid)
        Selection.objects(sid=sid).update_one(set__post=facts["post"] or "", set__post_title=facts["post_title"],
                                              set__key_leadership=bool(facts["key_leadership"]))
        return KnownSelection(decided=bool(facts["decided"]))

    # ---- joint review (会审)

    @event_handler("nomination", "selection.inspected")
    def on_selection_inspected(self, payload):
        envelope = load_envelope(payload)
        data = load(contract.SelectionInspected(), envelope["data"])
        sid = data["selection"]
        _ensure_selection(sid)
        idempotency.modify_once(Selection.objects(sid=sid), envelope["id"], {
            "set__post": data["post"] or "", "set__post_title": data["post_title"],
            "set__key_leadership": data["key_leadership"]})
        now = utcnow()
        existing = [_review(d) for d in Review.objects(selection=sid)]
        opened = review_rules.open_reviews(
            sid, [n["cadre"] for n in data["nominees"]], now,
            departments=config.get_list("REVIEW_DEPARTMENTS"),
            deadline_seconds=config.get_float("REVIEW_DEADLINE_SECONDS"),
            existing=existing, new_id=lambda: str(ObjectId()))
        for review in opened:
            event = self._new("review.opened", selection_subject(sid), contract.ReviewOpened().dump(
                {"review": review.id, "selection": sid, "cadre": review.cadre, "due_at": rfc3339(review.due_at)}),
                cause=envelope)
            # the unique (selection, cadre) index makes a redelivery open nothing twice
            idempotency.insert_once(Review(
                id=ObjectId(review.id), selection=sid, cadre=review.cadre, opened_at=review.opened_at,
                due_at=review.due_at, status=review.status, departments=list(review.departments), verdicts={}),
                event)
        Selection.objects(sid=sid).update_one(set__reviews_opened=True)

    @rpc
    def list_reviews(self, query=None):
        query = load(contract.ReviewQuery(), query or {})
        filters = {k: query[k] for k in ("selection", "status") if query.get(k)}
        role = self.caller.role
        if query.get("selection") and not query.get("cursor"):
            self._wait_for_reviews(query["selection"])
        return _page(Review.objects(**filters), query, lambda d: _review_view(d, role))

    def _wait_for_reviews(self, sid):
        """A selection's reviews asked for before its selection.inspected has opened them all here
        (right after the inspection answered): nomination says whose are due, and we wait for them
        within ASK_TIMEOUT_SECONDS (503 past it)."""
        if not SELECTION_ID.fullmatch(sid):
            return
        known = Selection.objects(sid=sid).only("reviews_opened").first()
        if known is not None and known.reviews_opened:
            return
        try:
            facts = self.nomination("selection_facts", id=sid)
        except (NotFound, Unavailable):
            return  # no such selection, or nomination cannot say: the list as we hold it
        due = set(facts.get("under_review") or ())
        waited, limit = 0.0, config.get_float("ASK_TIMEOUT_SECONDS")
        while due - set(Review.objects(selection=sid).distinct("cadre")):
            if waited >= limit:
                raise Unavailable("the selection's reviews have not opened yet; retry")
            eventlet.sleep(0.05)
            waited += 0.05

    @rpc
    def give_verdict(self, id, body):
        body = load(contract.VerdictIn(), body)
        oid = _oid(id, "review")
        department = self.caller.role
        for _ in range(CAS_ATTEMPTS):
            doc = Review.objects(id=oid).first()
            if doc is None:
                raise NotFound(f"no review {id!r}")
            outcome = review_rules.apply_verdict(_review(doc), department, body["verdict"], body["reason"], utcnow())
            given = outcome.review.verdicts[department]
            updated = outbox.modify(
                Review.objects(id=oid, version=doc.version),
                {f"set__verdicts__{department}": {"verdict": given.verdict, "reason": given.reason, "at": given.at},
                 "set__status": outcome.review.status, "inc__version": 1},
                [self._envelope(e) for e in outcome.events])
            if updated is not None:
                VERDICTS.labels(department, given.verdict).inc()
                return _review_view(updated, department)
            eventlet.sleep(0)  # another department answered meanwhile: recompute on its result
        raise Unavailable("the review is changing too often; retry")

    @event_handler("nomination", "nomination.voided")
    def on_nomination_voided(self, payload):
        envelope = load_envelope(payload)
        data = load(contract.NominationVoided(), envelope["data"])
        for doc in Review.objects(selection=data["selection"], cadre=data["cadre"]).only("id"):
            idempotency.modify_once(Review.objects(id=doc.id), envelope["id"], {"set__nomination_voided": True})

    # ---- what supervision learns of selections

    @event_handler("nomination", "selection.opened")
    def on_selection_opened(self, payload):
        envelope = load_envelope(payload)
        data = load(contract.SelectionOpened(), envelope["data"])
        _ensure_selection(data["selection"])
        idempotency.modify_once(Selection.objects(sid=data["selection"]), envelope["id"], {
            "set__post": data["post"] or "", "set__key_leadership": data["key_leadership"]})

    # ---- what nomination asks when its copy of supervision's state says no

    @query
    def clearance(self, selection):
        """The pre-report approval, review statuses and notice of ``selection`` as of this call."""
        if not (isinstance(selection, str) and SELECTION_ID.fullmatch(selection)):
            raise NotFound(f"no selection {selection!r}"[:120])
        report = PreReport.objects(selection=selection).only("status").first()
        notice = Notice.objects(selection=selection).only("status", "outcome", "revision", "objections").first()
        return clearance_rules.clearance(
            selection, pre_report_status=report.status if report else None,
            reviews=[(r.cadre, r.status) for r in Review.objects(selection=selection).only("cadre", "status")],
            notice=None if notice is None else {"status": notice.status, "outcome": notice.outcome,
                                                "revision": notice.revision, "objections": dict(notice.objections)})

    # ---- pre-report (任前报审) and observer (任中派员列席)

    @rpc
    def submit_pre_report(self, id, body=None):
        body = load(contract.PreReportIn(), body or {})
        selection = self._known_selection(id)
        now = utcnow()
        existing = PreReport.objects(selection=id).first()
        report = oversight_rules.create_pre_report(id, now, decided=selection.decided, existing=existing,
                                                   new_id=lambda: str(ObjectId()))
        doc = PreReport(id=ObjectId(report.id), selection=id, summary=body.get("summary"), status=report.status,
                        created_at=now, created_by=self.caller.actor)
        event = self._new("pre_report.submitted", selection_subject(id),
                          contract.PreReportSubmitted().dump({"pre_report": report.id, "selection": id}))
        outbox.insert(doc, event, exists_detail="this selection already has a pre-appointment report")
        return _pre_report_view(doc)

    @rpc
    def approve_pre_report(self, id):
        oid = _oid(id, "pre-report")
        doc = PreReport.objects(id=oid).first()
        if doc is None:
            raise NotFound(f"no pre-report {id!r}")
        selection = Selection.objects(sid=doc.selection).first()
        report = oversight_rules.PreReport(id=id, selection=doc.selection, created_at=doc.created_at,
                                           status=doc.status)
        approved, events = oversight_rules.approve_pre_report(
            report, self.caller.actor, utcnow(), decided=bool(selection and selection.decided))
        updated = outbox.modify(
            PreReport.objects(id=oid, status=oversight_rules.SUBMITTED),
            {"set__status": approved.status, "set__approved_at": approved.approved_at,
             "set__approved_by": approved.approved_by},
            [self._envelope(e) for e in events])
        if updated is None:
            raise Conflict("the report has already been approved", "already_submitted")
        return _pre_report_view(updated)

    @rpc
    def name_observer(self, id, body):
        body = load(contract.ObserverIn(), body)
        selection = self._known_selection(id)
        observer = oversight_rules.name_observer(id, body["name"], utcnow(), named_by=self.caller.actor,
                                                 decided=selection.decided)
        event = self._new("observer.named", selection_subject(id),
                          contract.ObserverNamed().dump({"selection": id, "name": observer.name}))
        updated = outbox.modify(
            Selection.objects(sid=id, decided=False),
            {"set__observer": observer.name, "set__observer_named_at": observer.named_at,
             "set__observer_named_by": observer.named_by}, [event])
        if updated is None:
            raise Conflict("the selection has already been decided", "wrong_stage")
        return _jsonable({"selection": id, "name": observer.name, "named_at": observer.named_at})

    # ---- decision: observer attendance and the public notice (公示)

    @event_handler("nomination", "selection.decided")
    def on_selection_decided(self, payload):
        envelope = load_envelope(payload)
        data = load(contract.SelectionDecided(), envelope["data"])
        sid = data["selection"]
        _ensure_selection(sid)
        known = Selection.objects(sid=sid).first()
        key_leadership = data["key_leadership"] or known.key_leadership
        decided_at = envelope["occurred_at"]
        observer = None
        if known.observer:
            observer = oversight_rules.Observer(sid, known.observer, as_utc(known.observer_named_at))
        attendance = oversight_rules.observer_attendance(sid, key_leadership, observer, decided_at)
        events = []
        if attendance.finding == oversight_rules.NONE_ATTENDED:
            events.append(self._new("observer.absent", selection_subject(sid),
                                    contract.ObserverAbsent().dump({"selection": sid}), cause=envelope))
        changed = idempotency.modify_once(Selection.objects(sid=sid), envelope["id"], {
            "set__decided": True, "set__decided_at": decided_at, "set__attendance": attendance.finding,
            "set__key_leadership": key_leadership,
            "set__post_title": data["post_title"] or known.post_title}, events)
        if changed is not None and events:
            OBSERVERS_ABSENT.inc()

        post_title = data["post_title"] or known.post_title or data["post"] or known.post or ""
        appointees = [notice_rules.Appointee(name=a["name"] or a["cadre"], post=post_title)
                      for a in data["appointees"]]
        notice, events = notice_rules.open_notice(sid, appointees, utcnow(),
                                                  period_seconds=config.get_float("NOTICE_PERIOD_SECONDS"),
                                                  new_id=lambda: str(ObjectId()))
        # one notice per selection (unique index): a redelivered decision opens nothing twice
        idempotency.insert_once(Notice(
            id=ObjectId(notice.id), selection=sid, title=notice.title, body=notice.body, opens_at=notice.opens_at,
            closes_at=notice.closes_at, status=notice.status,
            appointees=[{"name": a.name, "post": a.post} for a in appointees], objections={}),
            *[self._envelope(e, cause=envelope) for e in events])

    @rpc
    def list_notices(self, query=None):
        query = load(contract.NoticeQuery(), query or {})
        filters = {k: query[k] for k in ("selection", "status") if query.get(k)}
        return _page(Notice.objects(**filters), query, lambda d: _jsonable(_notice(d).as_public_dict()),
                     newest_first=True)

    @rpc
    def lodge_objection(self, id, body):
        body = load(contract.ObjectionIn(), body)
        oid = _oid(id, "notice")
        doc = Notice.objects(id=oid).first()
        if doc is None:
            raise NotFound(f"no notice {id!r}")
        now = utcnow()
        objection, events = notice_rules.lodge_objection(_notice(doc), body["content"], now,
                                                         new_id=lambda: str(ObjectId()))
        # The content is stored first and the notice counts it second: 201 only once it counts,
        # so an objection the outcome could miss is never acknowledged.
        stored = Objection(id=ObjectId(objection.id), notice=id, selection=doc.selection,
                           content=objection.content, lodged_at=now, status=notice_rules.PENDING)
        stored.save(force_insert=True)
        counted = outbox.modify(
            Notice.objects(id=oid, status=notice_rules.OPEN, closes_at__gt=now),
            {f"set__objections__{objection.id}": notice_rules.PENDING, "inc__version": 1},
            [self._envelope(e) for e in events])
        if counted is None:
            stored.delete()
            raise Conflict("the notice period is over", "session_closed")
        OBJECTIONS.inc()
        return {"id": objection.id}

    @rpc
    def list_objections(self, id, query=None):
        query = load(contract.ListQuery(), query or {})
        if Notice.objects(id=_oid(id, "notice")).first() is None:
            raise NotFound(f"no notice {id!r}")
        return _page(Objection.objects(notice=id), query, _objection_view)

    @rpc
    def resolve_objection(self, id, body):
        body = load(contract.ResolveIn(), body)
        oid = _oid(id, "objection")
        objection = Objection.objects(id=oid).first()
        if objection is None:
            raise NotFound(f"no objection {id!r}")
        notice_oid = ObjectId(objection.notice)
        for _ in range(CAS_ATTEMPTS):
            doc = Notice.objects(id=notice_oid).first()
            now = utcnow()
            resolution = notice_rules.resolve_objection(
                _notice(doc), _objection_stubs(doc), id, upheld=body["upheld"], finding=body["finding"],
                resolved_by=self.caller.role, now=now)
            updated = outbox.modify(
                Notice.objects(id=notice_oid, version=doc.version),
                {f"set__objections__{id}": resolution.objection.status, "set__outcome": resolution.notice.outcome,
                 "set__revision": resolution.notice.revision, "inc__version": 1},
                [self._envelope(e) for e in resolution.events])
            if updated is not None:
                break
            eventlet.sleep(0)
        else:
            raise Unavailable("the notice is changing too often; retry")
        Objection.objects(id=oid).update_one(
            set__status=resolution.objection.status, set__finding=resolution.objection.finding,
            set__resolved_at=now, set__resolved_by=self.caller.role)
        return _objection_view(Objection.objects(id=oid).first())

    # ---- filing (任后备案)

    @event_handler("nomination", "selection.appointed")
    def on_selection_appointed(self, payload):
        envelope = load_envelope(payload)
        data = load(contract.SelectionAppointed(), envelope["data"])
        appointed_at = data["appointed_at"] or envelope["occurred_at"]
        filing = filing_rules.open_filing(data["selection"], appointed_at,
                                          deadline_seconds=config.get_float("FILING_DEADLINE_SECONDS"))
        idempotency.insert_once(Filing(selection=filing.selection, appointed_at=filing.appointed_at,
                                       due_at=filing.due_at, status=filing.status))

    @event_handler("nomination", "filing.recorded")
    def on_filing_recorded(self, payload):
        envelope = load_envelope(payload)
        data = load(contract.FilingRecorded(), envelope["data"])
        doc = Filing.objects(selection=data["selection"]).first()
        if doc is None:
            # the appointment event may trail this one on its own queue: try again later
            raise LookupError("filing recorded before its appointment arrived")
        if doc.status == filing_rules.FILED:
            return
        filed, _ = filing_rules.record_filing(_filing(doc), data["filed_with"] or "-", data["reference"] or "-",
                                              envelope["occurred_at"])
        # nomination already announced ``filing.recorded``: this only updates supervision's books
        idempotency.modify_once(Filing.objects(selection=data["selection"]), envelope["id"], {
            "set__status": filed.status, "set__filed_with": filed.filed_with, "set__reference": filed.reference,
            "set__filed_at": filed.filed_at, "set__late": filed.late})

    @rpc
    def list_filings(self, query=None):
        query = load(contract.FilingQuery(), query or {})
        filters = {"status": query["status"]} if query.get("status") else {}
        return _page(Filing.objects(**filters), query, lambda d: _jsonable(_filing(d).as_dict()))

    # ---- routine assessment (平时考核)

    @rpc
    def record_assessment(self, body):
        body = load(contract.AssessmentIn(), body)
        kind = "unit" if body.get("unit") else "cadre"
        if kind == "unit":
            value = assessment_rules.assess_unit(body["period"], body["unit"], body["score"])
        else:
            value = assessment_rules.assess_cadre(body["period"], body["cadre"], body["score"])
        shown = value.as_dict()
        subject = getattr(value, kind)
        event = self._new("assessment.recorded", f"assessment:{value.period}",
                          contract.AssessmentRecorded().dump(shown))
        outbox.insert(Assessment(period=str(value.period), kind=kind, subject=subject, score=value.score,
                                 recorded_at=utcnow(), recorded_by=self.caller.actor), event,
                      exists_detail=f"this {kind} already has a score for {value.period}")
        if kind == "cadre":
            flag = assessment_rules.adjustment_flag(self._cadre_history(subject))
            shown["adjustment"] = flag.as_dict() if flag else None
        return shown

    def _cadre_history(self, cadre, up_to=None):
        history = [assessment_rules.CadreAssessment(assessment_rules.Period.parse(d.period), d.subject, d.score)
                   for d in Assessment.objects(kind="cadre", subject=cadre)]
        return [a for a in history if up_to is None or not up_to < a.period]

    @rpc
    def assessment_ranking(self, period, query=None):
        query = load(contract.RankingQuery(), query or {})
        parsed = assessment_rules.Period.parse(period)
        units = [assessment_rules.UnitAssessment(parsed, d.subject, d.score)
                 for d in Assessment.objects(period=str(parsed), kind="unit")]
        ranking = assessment_rules.rank_units(parsed, units, query["bottom"])
        # cadres incompetent in this period and the one before it (调整不称职不胜任现职)
        cadres = Assessment.objects(period=str(parsed), kind="cadre").distinct("subject")
        adjustments = []
        for cadre in sorted(cadres):
            flag = assessment_rules.adjustment_flag(self._cadre_history(cadre, up_to=parsed))
            if flag is not None and flag.periods[1] == parsed:
                adjustments.append(flag.as_dict())
        self._announce_ranking(str(parsed), ranking)
        return {"period": str(parsed), "bottom": query["bottom"], "items": [i.as_dict() for i in ranking.items],
                "next_cursor": None, "adjustments": adjustments}

    def _announce_ranking(self, period, ranking):
        """Send ``assessment.ranked`` when this period's ranking differs from the one last sent."""
        if not ranking.items:
            return
        event = ranking.events[0]
        digest = hashlib.sha256(json.dumps(event.data, sort_keys=True).encode()).hexdigest()
        try:
            Ranking.objects(key=period).update_one(upsert=True, set_on_insert__outbox_n=0, set_on_insert__version=0)
        except NotUniqueError:
            pass
        doc = Ranking.objects(key=period).first()
        if doc.digest == digest:
            return
        outbox.modify(Ranking.objects(key=period, version=doc.version),
                      {"set__digest": digest, "inc__version": 1}, [self._envelope(event)])

    # ---- the clock: overdue reviews and filings, notices at the end of their period

    @timer(interval=config.get_float("SUPERVISION_TICK_SECONDS"))
    def tick(self):
        # Off the database at rest: look when a worker of this process wrote something, when a time
        # learnt at the last look has come, or at the safety interval (another replica's writes).
        if not self.clock.due(utcnow()):
            return
        for step in (self._mark_reviews_overdue, self._close_notices, self._mark_filings_overdue, self._gauges):
            try:
                step(utcnow())
            except Exception:  # one failing step must not starve the others; the next tick retries
                log.exception("supervision tick step %s failed", step.__name__)
                self.clock.wake.poke()
        try:
            self.clock.next_due = self._next_due()
        except Exception:
            log.exception("supervision tick could not learn the next due time")
            self.clock.next_due = None
            self.clock.wake.poke()

    def _next_due(self):
        """The earliest time a pending review, an open notice or a due filing comes due, or None."""
        found = [doc.due_at for doc in Review.objects(status=review_rules.PENDING).order_by("due_at").only("due_at")[:1]]
        found += [doc.closes_at for doc in Notice.objects(status=notice_rules.OPEN).order_by("closes_at")
                  .only("closes_at")[:1]]
        found += [doc.due_at for doc in Filing.objects(status=filing_rules.DUE).order_by("due_at").only("due_at")[:1]]
        found = [as_utc(moment) for moment in found if moment not in (None, "")]
        return min(found) if found else None

    def _mark_reviews_overdue(self, now):
        for doc in Review.objects(status=review_rules.PENDING, due_at__lte=now).order_by("due_at").limit(500):
            marked = review_rules.mark_overdue(_review(doc), now)
            if marked.status != review_rules.OVERDUE:
                continue
            event = self._new("review.overdue", selection_subject(doc.selection), contract.ReviewOverdue().dump(
                {"review": str(doc.id), "selection": doc.selection, "cadre": doc.cadre,
                 "missing": list(marked.missing)}))
            if outbox.modify(Review.objects(id=doc.id, version=doc.version),
                             {"set__status": review_rules.OVERDUE, "inc__version": 1}, [event]) is not None:
                REVIEWS_OVERDUE.inc()

    def _close_notices(self, now):
        for doc in Notice.objects(status=notice_rules.OPEN, closes_at__lte=now).order_by("closes_at").limit(500):
            try:
                closed, events = notice_rules.close_notice(_notice(doc), _objection_stubs(doc), now)
            except Conflict:
                # The embedded database compares dates to the whole second, so it can hand over a
                # notice up to a second early; the rule refuses it and a later tick closes it.
                continue
            # the version guard loses to an objection lodged meanwhile; the next tick closes with it
            if outbox.modify(Notice.objects(id=doc.id, version=doc.version),
                             {"set__status": closed.status, "set__outcome": closed.outcome,
                              "set__revision": closed.revision, "inc__version": 1},
                             [self._envelope(e) for e in events]) is not None:
                NOTICES_CLOSED.labels(closed.outcome).inc()

    def _mark_filings_overdue(self, now):
        for doc in Filing.objects(status=filing_rules.DUE, due_at__lte=now).order_by("due_at").limit(500):
            marked = filing_rules.mark_overdue(_filing(doc), now)
            if marked.status != filing_rules.OVERDUE:
                continue
            event = self._new("filing.overdue", selection_subject(doc.selection), contract.FilingOverdue().dump(
                {"selection": doc.selection, "due_at": rfc3339(doc.due_at)}))
            if outbox.modify(Filing.objects(id=doc.id, status=filing_rules.DUE),
                             {"set__status": filing_rules.OVERDUE}, [event]) is not None:
                FILINGS_OVERDUE.inc()

    def _gauges(self, now):
        for status, n in counts_by(Review._get_collection(), "status", contract.REVIEW_STATUSES).items():
            REVIEWS.labels(status).set(n)
        for status, n in counts_by(Filing._get_collection(), "status", contract.FILING_STATUSES).items():
            FILINGS.labels(status).set(n)

