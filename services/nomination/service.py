"""Nomination service entrypoints: units, posts, cadres, selections and their procedure, secret ballots,
and the events of supervision and examination it acts on. The rules are in ``domain/``."""
import logging
import time

from pymongo.errors import DuplicateKeyError

from services.common import config, outbox
from services.common.base import HealthMixin, chassis
from services.common.entrypoints import event_handler, rpc, timer
from services.common.envelope import load_envelope, rfc3339, utcnow
from services.common.errors import Conflict, Invalid, NotFound, RuleViolation
from services.common.idempotency import insert_once
from services.common.validation import load
from services.nomination import schemas, store, telemetry
from services.nomination.domain import appointment as appointment_rules
from services.nomination.domain import ballots as ballot_rules
from services.nomination.domain import entities, ranking, stages
from services.nomination.domain.consultation import record_consultation
from services.nomination.domain.decision import check_decision
from services.nomination.domain.deliberation import check_deliberation
from services.nomination.domain.inspection import check_inspection
from services.nomination.domain.nomination import CampaignOutcome, check_nomination
from services.nomination.domain.qualification import set_qualification
from services.nomination.domain.selection import open_selection
from services.nomination.domain.stages import Action, Stage
from services.nomination.models import (AssessmentRanking, BallotBucket, BallotSession, CampaignResult, Cadre,
                                        Nomination, Post, Selection, UsedToken, Unit, new_id)
from services.nomination.store import Change, transition

log = logging.getLogger(__name__)


def _require_unit(code, field="unit"):
    if not Unit.objects(code=code).only("code").first():
        raise Invalid({field: [f"unknown unit {code!r}"]})


def _subject(selection_id):
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
            upheld_objections=1 if doc.notice_outcome == "upheld" else 0)
    pending = set(doc.objections_lodged) - set(doc.objections_resolved)
    return appointment_rules.NoticeStatus(closes_at=None, pending_objections=len(pending),
                                          upheld_objections=len(set(doc.objections_upheld)))


class NominationService(HealthMixin):
    name = "nomination"
    db, caller, relay, metrics = chassis("nomination")

    # --- units, posts, cadres ------------------------------------------------------------------

    @rpc
    def create_unit(self, body):
        body = load(schemas.UnitIn(), body)
        unit = Unit(**body)
        outbox.insert(unit, self.caller.envelope("unit.created", f"unit:{unit.code}", schemas.UnitCreated().dump(body)),
                      exists_detail=f"unit {unit.code!r} already exists")
        return schemas.UnitOut().dump(unit)

    def _insert_post(self, body):
        post = Post(**body, free=body["headcount"])
        outbox.insert(post, self.caller.envelope("post.created", f"post:{post.code}", schemas.PostCreated().dump(body)),
                      exists_detail=f"post {post.code!r} already exists")
        return post

    def _insert_cadre(self, body):
        cadre = Cadre(**body)
        outbox.insert(cadre, self.caller.envelope("cadre.created", f"cadre:{cadre.code}",
                                                  schemas.CadreCreated().dump(body)),
                      exists_detail=f"cadre {cadre.code!r} already exists")
        return cadre

    @rpc
    def create_post(self, body):
        body = load(schemas.PostIn(), body)
        _require_unit(body["unit"])
        return store.post_view(self._insert_post(body))

    @rpc
    def get_post(self, code):
        post = Post.objects(code=code).first()
        if post is None:
            raise NotFound(f"no post {code!r}")
        return store.post_view(post)

    @rpc
    def create_cadre(self, body):
        body = load(schemas.CadreIn(), body)
        _require_unit(body["unit"])
        return schemas.CadreOut().dump(self._insert_cadre(body))

    def _import(self, text, parse, schema, insert):
        if not isinstance(text, str):
            raise Invalid({"body": ["a text/csv body is required"]})
        parsed = parse(text)
        rejected = list(parsed.rejected)
        units = {u.code for u in Unit.objects(code__in=list({item.unit for item in parsed.good})).only("code")}
        imported = 0
        for row, item in zip(parsed.rows, parsed.good):
            values = {name: getattr(item, name) for name in schema().fields}
            if isinstance(values.get("grassroots_years"), float):
                if not values["grassroots_years"].is_integer():
                    rejected.append({"row": row, "errors": {"grassroots_years": ["must be a whole number"]}})
                    continue
                values["grassroots_years"] = int(values["grassroots_years"])
            if item.unit not in units:
                rejected.append({"row": row, "errors": {"unit": ["unknown unit"]}})
                continue
            try:
                insert(values)
            except Conflict:
                rejected.append({"row": row, "errors": {"code": ["already exists"]}})
                continue
            imported += 1
        rejected.sort(key=lambda item: item["row"])
        return {"imported": imported, "rejected": rejected}

    @rpc
    def import_posts(self, body):
        return self._import(body, entities.import_posts, schemas.PostIn, self._insert_post)

    @rpc
    def import_cadres(self, body):
        return self._import(body, entities.import_cadres, schemas.CadreIn, self._insert_cadre)

    # --- selections -----------------------------------------------------------------------------

    @rpc
    @telemetry.counts_violations
    def create_selection(self, body):
        body = load(schemas.SelectionIn(), body)
        post = Post.objects(code=body["post"]).first()
        if post is None:
            raise Invalid({"post": ["unknown post"]})
        opened = open_selection(store.post_value(post), vacancies=body["vacancies"], competitive=body["competitive"],
                                motion=body["motion"], weights=body.get("weights"))
        # the rule above read the books; the guarded update below is what actually decides
        if not store.reserve(post.code, opened.vacancies):
            raise RuleViolation("more vacancies than the post has free", "over_headcount")
        doc = Selection(post=post.code, post_title=post.title, post_rank=post.rank, category=post.category,
                        mode=opened.mode, competitive=opened.competitive, slate_ratio=opened.slate_ratio,
                        vacancies=opened.vacancies, stage=str(opened.stage), proposed_by=opened.motion.proposed_by,
                        reason=opened.motion.reason, weights=opened.weights)
        data = {"selection": doc.id, "post": post.code, "mode": opened.mode, "competitive": opened.competitive,
                "vacancies": opened.vacancies, "key_leadership": post.category == "key_leadership"}
        try:
            outbox.insert(doc, self.caller.envelope("selection.opened", _subject(doc.id),
                                                    schemas.SelectionOpened().dump(data)))
        except Exception:
            store.unreserve(post.code, opened.vacancies)
            raise
        telemetry.refresh_stage_gauge_soon()
        return store.selection_summary(doc)

    @rpc
    def get_selection(self, id):
        return store.selection_view(store.load_selection(id))

    @rpc
    @telemetry.counts_violations
    def qualify(self, id, body):
        body = load(schemas.QualificationIn(), body)
        known = {u.code for u in Unit.objects(code__in=body["scope"]).only("code")}
        unknown = [i for i, unit in enumerate(body["scope"]) if unit not in known]
        if unknown:
            raise Invalid({"scope": [f"item {i} is not a known unit" for i in unknown]})

        def decide(doc):
            qualification = set_qualification(doc.stage, body["conditions"], body["scope"])
            now = utcnow()
            change = Change(updates={"set__qualification": qualification.as_dict()})
            change.envelopes.append(self.caller.envelope("selection.qualified", _subject(doc.id),
                                                         {"selection": doc.id, **qualification.as_dict()}))
            transition(doc, Stage.QUALIFICATION, Action.QUALIFICATION, now, self.caller, change)
            return change

        return store.act(id, decide)

    @rpc
    @telemetry.counts_violations
    def consult(self, id, body):
        body = load(schemas.ConsultationIn(), body)

        def decide(doc):
            heard = record_consultation(doc.stage, doc.sources_heard, source=body["source"], opinion=body["opinion"])
            now = utcnow()
            item = {"source": heard.source, "opinion": heard.opinion, "at": rfc3339(now)}
            change = Change(updates={"set__sources_heard": sorted(heard.sources_heard),
                                     "set__consultations": list(doc.consultations) + [item]})
            change.envelopes.append(self.caller.envelope("selection.consulted", _subject(doc.id),
                                                         {"selection": doc.id, "source": heard.source}))
            transition(doc, heard.stage, Action.CONSULTATION, now, self.caller, change)
            return change

        return store.act(id, decide)

    # --- secret ballots -------------------------------------------------------------------------

    @rpc
    @telemetry.counts_violations
    def open_ballot_session(self, id, body):
        body = load(schemas.BallotSessionIn(), body)
        doc = store.load_selection(id)
        terms = ballot_rules.open_session(doc.stage, kind=body["kind"], electorate=body["electorate"],
                                          seats=body["seats"], candidates=body["candidates"])
        store.require_cadres(terms.candidates, "candidates")
        session = BallotSession(selection=doc.id, kind=terms.kind, electorate=terms.electorate, seats=terms.seats,
                                candidates=list(terms.candidates))
        tokens = ballot_rules.issue_tokens(terms.electorate, session=session.id)
        key = store.ballot_key()
        # only keyed hashes of the unused tokens are kept, dealt at random into the session's buckets;
        # the tokens themselves exist only in this answer
        BallotBucket._get_collection().insert_many(
            [{"_id": new_id(), "session": session.id, "bucket": n, "closed": False, "unused": dealt, "ballots": []}
             for n, dealt in enumerate(ballot_rules.deal_buckets(ballot_rules.token_hashes(tokens, key)))])
        outbox.insert(session, self.caller.envelope("ballot_session.opened", _subject(doc.id), {
            "selection": doc.id, "session": session.id, "kind": terms.kind, "electorate": terms.electorate,
            "seats": terms.seats}))
        return {"id": session.id, "tokens": tokens}

    @rpc
    @telemetry.counts_violations
    @telemetry.counts_refused_ballots
    def cast_ballot(self, body):
        body = load(schemas.BallotIn(), body)
        choices = ballot_rules.parse_choices(body["choices"])
        digest = ballot_rules.token_hash(body["token"], store.ballot_key())
        buckets, used = BallotBucket._get_collection(), UsedToken._get_collection()
        # the token names its session; which of the session's buckets holds it is found by looking
        # (an index on ``unused`` would do, but the embedded test database answers nothing through one)
        bucket = buckets.find_one({"session": ballot_rules.session_of_token(body["token"]), "unused": digest},
                                  {"session": 1, "closed": 1})
        if bucket is None:
            marked = used.find_one({"_id": digest}, {"_id": 1}) is not None
            ballot_rules.check_ballot(token_known=marked, token_used=marked, session_closed=False)
        session = BallotSession._get_collection().find_one({"_id": bucket["session"]}, {"closed": 1, "selection": 1})
        if session is None:  # tokens whose session was never stored
            ballot_rules.check_ballot(token_known=False, token_used=False, session_closed=False)
        selection = Selection._get_collection().find_one({"_id": session["selection"]}, {"stage": 1})
        ballot_rules.check_ballot(token_known=True, token_used=False,
                                  session_closed=bool(session.get("closed") or bucket.get("closed")),
                                  stage=selection["stage"] if selection else Stage.CLOSED)
        # Mark the hash used BEFORE the cast: then a hash gone from ``unused`` is always marked, and a
        # racing or redelivered attempt that finds it gone hears token_used. Killed after the mark and
        # before the cast, the token is still unused and a retry casts it (the mark alone spends nothing).
        try:
            used.insert_one({"_id": digest})
        except DuplicateKeyError:
            pass
        stored = ballot_rules.encode_choices(choices)
        for _ in range(3):  # (a retry is only for an update that lost a race with nothing that refuses it)
            # THE cast: one atomic update of one document, so the token is spent iff the ballot is stored;
            # a closed bucket refuses, and a racing attempt on the same token finds the hash gone
            if buckets.update_one({"_id": bucket["_id"], "unused": digest, "closed": False},
                                  {"$pull": {"unused": digest}, "$push": {"ballots": stored}}).matched_count:
                telemetry.BALLOTS_CAST.inc()
                return {"accepted": True}
            still = buckets.find_one({"_id": bucket["_id"], "unused": digest}, {"closed": 1})
            ballot_rules.refuse_cast(in_unused=still is not None, bucket_closed=bool(still and still.get("closed")),
                                     marked_used=True)
        raise RuntimeError("a ballot bucket refused an open, unused token three times")

    @rpc
    @telemetry.counts_violations
    def close_ballot_session(self, id):
        session = BallotSession.objects(id=id).first()
        if session is None:
            raise NotFound(f"no ballot session {id!r}")
        doc = store.load_selection(session.selection)
        stages.check_stage(Action.CLOSE_SESSION, doc.stage)
        if session.tallied:
            raise Conflict("the ballot session is closed", "session_closed")
        BallotSession.objects(id=id).update_one(set__closed=True)
        buckets = BallotBucket._get_collection()
        # Once every bucket is closed no cast can succeed, and every cast that did is already in its
        # bucket (admission and storage are one update): nothing to wait for. A close killed half-way
        # is simply called again; casts meanwhile land in the still-open buckets and are counted.
        buckets.update_many({"session": id}, {"$set": {"closed": True}})
        started = time.perf_counter()
        result = ballot_rules.close_session(
            doc.stage, (ballot_rules.decode_choices(stored)
                        for bucket in buckets.find({"session": id}, {"ballots": 1, "_id": 0})
                        for stored in bucket.get("ballots", [])),
            terms=ballot_rules.SessionTerms(session.kind, session.electorate, session.seats,
                                            tuple(session.candidates)),
            already_closed=False)
        tally = result.as_dict()
        log.info("tallied %d ballots in %.3fs", tally["cast"], time.perf_counter() - started)
        event = self.caller.envelope("ballot_session.closed", _subject(doc.id), {
            "selection": doc.id, "session": id, "kind": session.kind, **tally})
        stored = outbox.modify(BallotSession.objects(id=id, tallied=False),
                               {"set__tallied": True, "set__result": tally}, [event])
        if stored is None:
            raise Conflict("the ballot session is closed", "session_closed")
        return tally

    # --- nominations ----------------------------------------------------------------------------

    def _campaign_outcome(self, selection, cadre, reference):
        found = CampaignResult.objects(campaign=reference).order_by("-published_at").first()
        if found is None:
            return None
        for post in found.posts:
            if post.get("post") != selection.post:
                continue
            ranking = post.get("ranking", [])
            by_number = [c for c in ranking if c.get("exam_number") == cadre.code]
            named = [c for c in ranking if c.get("name") == cadre.name]
            match = by_number[0] if by_number else (named[0] if len(named) == 1 else None)
            ranks = {cadre.code: int(match["rank"])} if match else {}
            return CampaignOutcome(reference, True, int(post.get("seats", 0)), ranks)
        return CampaignOutcome(reference, True, 0, {})

    @rpc
    @telemetry.counts_violations
    def nominate(self, id, body):
        body = load(schemas.NominationIn(), body)
        doc = store.load_selection(id)
        stages.check_stage(Action.NOMINATION, doc.stage)  # out_of_order comes before a 400 on the cadre
        cadre = store.require_cadre(body["cadre"])
        basis = body.get("basis")
        session = campaign = None
        if isinstance(basis, dict) and len(basis) == 1:
            (kind, reference), = basis.items()
            if kind == "ballot_session" and isinstance(reference, str):
                found = BallotSession.objects(id=reference, selection=doc.id).first()
                session = store.session_outcome(found) if found else None
            elif kind == "campaign" and isinstance(reference, str):
                campaign = self._campaign_outcome(doc, cadre, reference)
        made = check_nomination(store.selection_value(doc), store.cadre_value(cadre), store.qualification_value(doc),
                                basis=basis, disclosure=body.get("disclosure"), relations=body.get("relations"),
                                session=session, campaign=campaign)
        nomination = Nomination(selection=doc.id, cadre=cadre.code, basis=made.basis.as_dict(),
                                personal_matters_reported=made.personal_matters_reported,
                                relations=[{"person": r.person, "kind": r.kind} for r in made.relations])
        outbox.insert(nomination, self.caller.envelope("nomination.made", _subject(doc.id), {
            "selection": doc.id, "cadre": cadre.code, "basis": made.basis.as_dict()}),
            exists_detail="this cadre is already nominated in this selection")
        return {"id": nomination.id, "selection": doc.id, "cadre": cadre.code, "basis": made.basis.as_dict(),
                "status": made.status}

    # --- deliberation, inspection, decision ------------------------------------------------------

    @rpc
    @telemetry.counts_violations
    def deliberate(self, id, body):
        body = load(schemas.DeliberationIn(), body)

        def decide(doc):
            nominated = [n.cadre for n in Nomination.objects(selection=doc.id).only("cadre")
                         if n.cadre not in doc.voided]
            result = check_deliberation(store.selection_value(doc), meeting=body["meeting"],
                                        nominees=body["nominees"], nominated=nominated)
            now = utcnow()
            meeting = dict(body["meeting"])
            change = Change(updates={"set__shortlist": list(result.nominees), "set__deliberation": meeting})
            change.envelopes.append(self.caller.envelope("selection.deliberated", _subject(doc.id), {
                "selection": doc.id, "nominees": list(result.nominees), "meeting": meeting}))
            return transition(doc, result.stage, Action.DELIBERATION, now, self.caller, change)

        return store.act(id, decide)

    @rpc
    @telemetry.counts_violations
    def inspect(self, id, body):
        body = load(schemas.InspectionIn(), body)

        def decide(doc):
            nominees = [c for c in doc.shortlist if c not in doc.voided]
            result = check_inspection(doc.stage, reports=body["reports"], nominees=nominees)
            now = utcnow()
            change = Change(updates={"set__ratings": result.ratings()})
            change.envelopes.append(self.caller.envelope("selection.inspected", _subject(doc.id), {
                "selection": doc.id, "post": doc.post, "post_title": doc.post_title,
                "key_leadership": doc.category == "key_leadership", "nominees": _names(nominees)}))
            return transition(doc, result.stage, Action.INSPECTION, now, self.caller, change)

        return store.act(id, decide)

    @rpc
    @telemetry.counts_violations
    def decide(self, id, body):
        body = load(schemas.DecisionIn(), body)

        def decide(doc):
            vetoed = set(doc.reviews_vetoed)
            reviews = {c: "cleared" for c in doc.reviews_cleared if c not in vetoed}
            result = check_decision(store.selection_value(doc), meeting=body["meeting"], appointees=body["appointees"],
                                    nominees=list(doc.shortlist), reviews=reviews,
                                    pre_report_approved=bool(doc.pre_report_approved), voided=doc.voided,
                                    agenda_lead_seconds=config.get_float("AGENDA_LEAD_SECONDS"))
            now = utcnow()
            meeting = dict(body["meeting"])
            change = Change(updates={"set__appointees": list(result.appointees), "set__decision": meeting})
            change.envelopes.append(self.caller.envelope("selection.decided", _subject(doc.id), {
                "selection": doc.id, "post": doc.post, "post_title": doc.post_title,
                "key_leadership": doc.category == "key_leadership", "appointees": _names(result.appointees),
                "meeting": {k: meeting[k] for k in ("held_at", "place", "members", "present")}}))
            return transition(doc, result.stage, Action.DECISION, now, self.caller, change)

        return store.act(id, decide)

    # --- appointment and filing -----------------------------------------------------------------

    @rpc
    @telemetry.counts_violations
    def appoint(self, id):
        def decide(doc):
            now = utcnow()
            made = appointment_rules.make_appointment(doc.stage, _notice_status(doc), now,
                                                      appointees=doc.appointees, vacancies=doc.vacancies)
            change = Change(updates={"set__appointed_at": now})
            change.envelopes.append(self.caller.envelope("selection.appointed", _subject(doc.id), {
                "selection": doc.id, "post": doc.post, "appointees": list(made.appointees),
                "appointed_at": rfc3339(now)}))
            # keyed by the selection: a retried write never fills the seats twice
            change.before_write = lambda: store.appoint(doc.post, len(made.appointees), doc.vacancies,
                                                        f"appoint:{doc.id}")
            return transition(doc, made.stage, Action.APPOINTMENT, now, self.caller, change)

        return store.act(id, decide)

    @rpc
    @telemetry.counts_violations
    def file(self, id, body):
        body = load(schemas.FilingIn(), body)

        def decide(doc):
            filing = appointment_rules.check_filing(doc.stage, filed_with=body["filed_with"],
                                                    reference=body["reference"])
            now = utcnow()
            data = {"selection": doc.id, "filed_with": filing.filed_with, "reference": filing.reference}
            change = Change(updates={"set__filing": {**data, "at": rfc3339(now)}, "set__closed_reason": "filed"})
            change.envelopes.append(self.caller.envelope("filing.recorded", _subject(doc.id), data))
            change.envelopes.append(self.caller.envelope("selection.closed", _subject(doc.id),
                                                         {"selection": doc.id, "reason": "filed"}))
            return transition(doc, filing.stage, Action.FILING, now, self.caller, change)

        return store.act(id, decide)

    # --- ranking --------------------------------------------------------------------------------

    @rpc
    def get_ranking(self, id):
        doc = store.load_selection(id)
        if doc.shortlist:
            nominees = [c for c in doc.shortlist if c not in doc.voided]
        else:
            nominees = [n.cadre for n in Nomination.objects(selection=doc.id).order_by("created_at")
                        if n.cadre not in doc.voided]
        cadres = {c.code: c for c in Cadre.objects(code__in=nominees)}
        latest = AssessmentRanking.objects.order_by("-ranked_at").first()
        scores = {u["unit"]: u["score"] for u in (latest.units if latest else [])}
        result = ranking.rank_nominees(
            nominees, ratings=dict(doc.ratings),
            performance={c: scores.get(cadres[c].unit) if c in cadres else None for c in nominees},
            grassroots_years={c: cadres[c].grassroots_years for c in nominees if c in cadres},
            sessions=store.selection_sessions(doc.id), weights=dict(doc.weights) or None)
        return {"selection": doc.id, **result}

    # --- what supervision and examination tell us -------------------------------------------------

    def _on_selection_event(self, payload, schema, decide):
        envelope = load_envelope(payload)
        data = load(schema(), envelope["data"])
        try:
            store.change_selection(data["selection"], lambda doc: decide(doc, data, envelope), once=envelope["id"])
        except NotFound:
            log.warning("%s for a selection this service does not hold", envelope["type"])

    @event_handler("supervision", "review.cleared")
    def on_review_cleared(self, payload):
        self._on_selection_event(payload, schemas.ReviewOutcome, lambda doc, data, envelope: Change(
            updates=_added(doc, "reviews_cleared", data["cadre"])))

    @event_handler("supervision", "review.vetoed")
    def on_review_vetoed(self, payload):
        def decide(doc, data, envelope):
            change = Change(updates=_added(doc, "reviews_vetoed", data["cadre"]))
            if data.get("reason") == "concealment" and data["cadre"] not in doc.voided:
                change.updates.update(_added(doc, "voided", data["cadre"]))
                change.envelopes.append(self.caller.envelope("nomination.voided", _subject(doc.id), {
                    "selection": doc.id, "cadre": data["cadre"], "reason": "concealment"}))
            return change

        self._on_selection_event(payload, schemas.ReviewOutcome, decide)

    @event_handler("supervision", "pre_report.approved")
    def on_pre_report_approved(self, payload):
        self._on_selection_event(payload, schemas.PreReportApproved,
                                 lambda doc, data, envelope: Change(updates={"set__pre_report_approved": True}))

    @event_handler("supervision", "notice.opened")
    def on_notice_opened(self, payload):
        self._on_selection_event(payload, schemas.NoticeOpened,
                                 lambda doc, data, envelope: Change(updates={"set__notice": data["notice"]}))

    @event_handler("supervision", "objection.lodged")
    def on_objection_lodged(self, payload):
        self._on_selection_event(payload, schemas.ObjectionEvent, lambda doc, data, envelope: Change(
            updates=_added(doc, "objections_lodged", data["objection"])))

    @event_handler("supervision", "objection.resolved")
    def on_objection_resolved(self, payload):
        def decide(doc, data, envelope):
            change = Change(updates=_added(doc, "objections_resolved", data["objection"]))
            if data.get("upheld"):
                change.updates.update(_added(doc, "objections_upheld", data["objection"]))
            return change

        self._on_selection_event(payload, schemas.ObjectionEvent, decide)

    @event_handler("supervision", "notice.closed")
    def on_notice_closed(self, payload):
        def decide(doc, data, envelope):
            if data["revision"] <= doc.notice_revision:
                return None  # an older outcome than the one we hold
            change = Change(updates={"set__notice_closed": True, "set__notice_outcome": data["outcome"],
                                     "set__notice_revision": data["revision"]})
            if data.get("notice"):
                change.updates["set__notice"] = data["notice"]
            now = utcnow()
            stage = Stage(doc.stage)
            if data["outcome"] == "clear" and stage is Stage.PUBLIC_NOTICE:
                transition(doc, Stage.APPOINTMENT, "notice_closed", now, self.caller, change)
            elif data["outcome"] == "upheld" and stage in (Stage.PUBLIC_NOTICE, Stage.APPOINTMENT):
                # closed without appointment: the reserved vacancies go back to the post, once
                change.updates.update({"set__closed_reason": "objection_upheld", "set__released": True})
                change.before_write = lambda: store.release(doc.post, doc.vacancies, f"release:{doc.id}")
                change.envelopes.append(self.caller.envelope("selection.closed", _subject(doc.id), {
                    "selection": doc.id, "reason": "objection_upheld"}))
                transition(doc, Stage.CLOSED, "notice_closed", now, self.caller, change)
            return change

        self._on_selection_event(payload, schemas.NoticeClosed, decide)

    @event_handler("examination", "campaign.results_published")
    def on_results_published(self, payload):
        envelope = load_envelope(payload)
        data = load(schemas.ResultsPublished(), envelope["data"])
        insert_once(CampaignResult(event_id=envelope["id"], campaign=data["campaign"],
                                   published_at=envelope["occurred_at"], posts=data["posts"]))

    @event_handler("supervision", "assessment.ranked")
    def on_assessment_ranked(self, payload):
        envelope = load_envelope(payload)
        data = load(schemas.AssessmentRanked(), envelope["data"])
        insert_once(AssessmentRanking(event_id=envelope["id"], period=data["period"],
                                      ranked_at=envelope["occurred_at"], units=data["units"]))

    # --- metrics --------------------------------------------------------------------------------

    @timer(interval=5)
    def count_stages(self):
        telemetry.refresh_stage_gauge(Selection, stages.STAGES)
