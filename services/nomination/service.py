"""Nomination service entrypoints: units, posts, cadres, selections and their procedure, secret ballots,
and the events of supervision and examination it acts on. The rules are in ``domain/``."""
import logging
import time

from services.common import outbox
from services.common.asking import Ask
from services.common.base import HealthMixin, chassis
from services.common.entrypoints import event_handler, query, rpc, timer
from services.common.envelope import load_envelope
from services.common.errors import Conflict, Invalid, NotFound
from services.common.idempotency import insert_once
from services.common.validation import load
from services.nomination import ballot_box, contract, steps, store, telemetry
from services.nomination.domain import ballots as ballot_rules
from services.nomination.domain import entities, ranking, stages
from services.nomination.domain.nomination import check_nomination
from services.nomination.domain.stages import Action
from services.nomination.models import (AssessmentRanking, BallotSession, CampaignResult, Cadre, Nomination, Post,
                                        Selection, Unit)

log = logging.getLogger(__name__)


class NominationService(HealthMixin):
    name = "nomination"
    db, caller, relay, metrics = chassis("nomination")
    # asked only when our copy of supervision's state refuses a decision or an appointment
    supervision = Ask("supervision")

    def _clearance(self, id):
        """Supervision's state of selection ``id``, asked at most once per call, when first needed."""
        answers = []

        def clearance():
            if not answers:
                answers.append(self.supervision("clearance", selection=id))
            return answers[0]

        return clearance

    # --- units, posts, cadres ------------------------------------------------------------------

    @rpc
    def create_unit(self, body):
        body = load(contract.UnitIn(), body)
        unit = Unit(**body)
        outbox.insert(unit, self.caller.envelope("unit.created", f"unit:{unit.code}", contract.UnitCreated().dump(body)),
                      exists_detail=f"unit {unit.code!r} already exists")
        return contract.UnitOut().dump(unit)

    def _insert_post(self, body):
        post = Post(**body, free=body["headcount"])
        outbox.insert(post, self.caller.envelope("post.created", f"post:{post.code}", contract.PostCreated().dump(body)),
                      exists_detail=f"post {post.code!r} already exists")
        return post

    def _insert_cadre(self, body):
        cadre = Cadre(**body)
        outbox.insert(cadre, self.caller.envelope("cadre.created", f"cadre:{cadre.code}",
                                                  contract.CadreCreated().dump(body)),
                      exists_detail=f"cadre {cadre.code!r} already exists")
        return cadre

    @rpc
    def create_post(self, body):
        body = load(contract.PostIn(), body)
        store.require_unit(body["unit"])
        return store.post_view(self._insert_post(body))

    @rpc
    def get_post(self, code):
        post = Post.objects(code=code).first()
        if post is None:
            raise NotFound(f"no post {code!r}")
        return store.post_view(post)

    @rpc
    def create_cadre(self, body):
        body = load(contract.CadreIn(), body)
        store.require_unit(body["unit"])
        return contract.CadreOut().dump(self._insert_cadre(body))

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
        return self._import(body, entities.import_posts, contract.PostIn, self._insert_post)

    @rpc
    def import_cadres(self, body):
        return self._import(body, entities.import_cadres, contract.CadreIn, self._insert_cadre)

    # --- selections -----------------------------------------------------------------------------

    @rpc
    @telemetry.counts_violations
    def create_selection(self, body):
        body = load(contract.SelectionIn(), body)
        doc = steps.opening(body, self.caller)
        telemetry.refresh_stage_gauge_soon()
        return store.selection_summary(doc)

    @rpc
    def get_selection(self, id):
        return store.selection_view(store.load_selection(id))

    @query
    def selection_facts(self, id):
        """What supervision asks of a selection it has not heard of (or not heard decided) yet."""
        return store.selection_facts(store.load_selection(id))

    @rpc
    @telemetry.counts_violations
    def qualify(self, id, body):
        body = load(contract.QualificationIn(), body)
        store.require_units(body["scope"], "scope")
        return store.act(id, lambda doc: steps.qualification(doc, body, self.caller))

    @rpc
    @telemetry.counts_violations
    def consult(self, id, body):
        body = load(contract.ConsultationIn(), body)
        return store.act(id, lambda doc: steps.consultation(doc, body, self.caller))

    # --- secret ballots -------------------------------------------------------------------------

    @rpc
    @telemetry.counts_violations
    def open_ballot_session(self, id, body):
        body = load(contract.BallotSessionIn(), body)
        doc = store.load_selection(id)
        terms = ballot_rules.open_session(doc.stage, kind=body["kind"], electorate=body["electorate"],
                                          seats=body["seats"], candidates=body["candidates"])
        store.require_cadres(terms.candidates, "candidates")
        session = BallotSession(selection=doc.id, kind=terms.kind, electorate=terms.electorate, seats=terms.seats,
                                candidates=list(terms.candidates))
        tokens = ballot_box.issue(session.id, terms.electorate)  # the tokens themselves exist only in this answer
        outbox.insert(session, self.caller.envelope("ballot_session.opened", steps.subject(doc.id),
                                                    contract.BallotSessionOpened().dump({
            "selection": doc.id, "session": session.id, "kind": terms.kind, "electorate": terms.electorate,
            "seats": terms.seats})))
        return {"id": session.id, "tokens": tokens}

    @rpc
    @telemetry.counts_violations
    @telemetry.counts_refused_ballots
    def cast_ballot(self, body):
        body = load(contract.BallotIn(), body)
        tracker = ballot_box.cast(body["token"], ballot_rules.parse_choices(body["choices"]))
        telemetry.BALLOTS_CAST.inc()
        return {"accepted": True, "tracker": tracker}

    @rpc
    @telemetry.counts_violations
    @telemetry.counts_refused_ballots
    def ballot_form(self, body):
        """What a token holder may see before casting: the session's seats and its candidates' names."""
        body = load(contract.BallotFormIn(), body)
        session = ballot_box.admit(body["token"])
        names = {cadre.code: cadre.name for cadre in Cadre.objects(code__in=session["candidates"]).only("code", "name")}
        return {"session": session["_id"], "seats": session["seats"],
                "candidates": [{"code": code, "name": names.get(code, code)} for code in session["candidates"]]}

    @rpc
    def get_ballot_receipt(self, tracker):
        if not ballot_rules.is_tracker(tracker):
            raise Invalid({"tracker": ["must be 32 lowercase hexadecimal characters"]})
        session_id = ballot_box.find_tracker(tracker)
        session = BallotSession.objects(id=session_id).only("id", "tallied").first() if session_id else None
        if session is None:
            raise NotFound("no ballot has this tracker")
        return {"session": session.id, "counted": bool(session.tallied)}

    @rpc
    def get_ballot_board(self, id):
        session = BallotSession.objects(id=id).first()
        if session is None:
            raise NotFound(f"no ballot session {id!r}")
        ballot_rules.check_board(tallied=session.tallied)
        terms = ballot_rules.SessionTerms(session.kind, session.electorate, session.seats, tuple(session.candidates))
        published = ballot_rules.board(ballot_box.read_ballots(id), ballot_box.read_trackers(id), terms=terms)
        return {"session": id, **published, "results": (session.result or {}).get("results", [])}

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
        started = time.perf_counter()
        result = ballot_rules.close_session(
            doc.stage, ballot_box.seal(id),
            terms=ballot_rules.SessionTerms(session.kind, session.electorate, session.seats, tuple(session.candidates)),
            already_closed=False)
        tally = result.as_dict()
        log.info("tallied %d ballots in %.3fs", tally["cast"], time.perf_counter() - started)
        event = self.caller.envelope("ballot_session.closed", steps.subject(doc.id), contract.BallotSessionClosed().dump({
            "selection": doc.id, "session": id, "kind": session.kind, **tally}))
        stored = outbox.modify(BallotSession.objects(id=id, tallied=False),
                               {"set__tallied": True, "set__result": tally}, [event])
        if stored is None:
            raise Conflict("the ballot session is closed", "session_closed")
        return tally

    # --- nominations ----------------------------------------------------------------------------

    @rpc
    @telemetry.counts_violations
    def nominate(self, id, body):
        body = load(contract.NominationIn(), body)
        doc = store.load_selection(id)
        stages.check_stage(Action.NOMINATION, doc.stage)  # out_of_order comes before a 400 on the cadre
        cadre = store.require_cadre(body["cadre"])
        basis = body.get("basis")
        session, campaign = store.nomination_evidence(doc, cadre, basis)
        made = check_nomination(store.selection_value(doc), store.cadre_value(cadre), store.qualification_value(doc),
                                basis=basis, disclosure=body.get("disclosure"), relations=body.get("relations"),
                                session=session, campaign=campaign)
        nomination = Nomination(selection=doc.id, cadre=cadre.code, basis=made.basis.as_dict(),
                                personal_matters_reported=made.personal_matters_reported,
                                relations=[{"person": r.person, "kind": r.kind} for r in made.relations])
        outbox.insert(nomination, self.caller.envelope("nomination.made", steps.subject(doc.id), contract.NominationMade().dump({
            "selection": doc.id, "cadre": cadre.code, "basis": made.basis.as_dict()})),
            exists_detail="this cadre is already nominated in this selection")
        return {"id": nomination.id, "selection": doc.id, "cadre": cadre.code, "basis": made.basis.as_dict(),
                "status": made.status}

    # --- deliberation, inspection, decision ------------------------------------------------------

    @rpc
    @telemetry.counts_violations
    def deliberate(self, id, body):
        body = load(contract.DeliberationIn(), body)
        return store.act(id, lambda doc: steps.deliberation(doc, body, self.caller))

    @rpc
    @telemetry.counts_violations
    def inspect(self, id, body):
        body = load(contract.InspectionIn(), body)
        return store.act(id, lambda doc: steps.inspection(doc, body, self.caller))

    @rpc
    @telemetry.counts_violations
    def decide(self, id, body):
        body = load(contract.DecisionIn(), body)
        clearance = self._clearance(id)
        return store.act(id, lambda doc: steps.decision(doc, body, self.caller, clearance))

    # --- appointment and filing -----------------------------------------------------------------

    @rpc
    @telemetry.counts_violations
    def appoint(self, id):
        clearance = self._clearance(id)
        return store.act(id, lambda doc: steps.appointment(doc, self.caller, clearance))

    @rpc
    @telemetry.counts_violations
    def file(self, id, body):
        body = load(contract.FilingIn(), body)
        return store.act(id, lambda doc: steps.filing(doc, body, self.caller))

    # --- ranking --------------------------------------------------------------------------------

    @rpc
    def get_ranking(self, id):
        doc = store.load_selection(id)
        result = ranking.rank_nominees(**store.ranking_inputs(doc))
        return {"selection": doc.id, **result}

    # --- what supervision and examination tell us -------------------------------------------------

    def _on_selection_event(self, payload, schema, step):
        envelope = load_envelope(payload)
        data = load(schema(), envelope["data"])
        try:
            store.change_selection(data["selection"], lambda doc: step(doc, data, self.caller), once=envelope["id"])
        except NotFound:
            log.warning("%s for a selection this service does not hold", envelope["type"])

    @event_handler("supervision", "review.cleared")
    def on_review_cleared(self, payload):
        self._on_selection_event(payload, contract.ReviewOutcome, steps.review_cleared)

    @event_handler("supervision", "review.vetoed")
    def on_review_vetoed(self, payload):
        self._on_selection_event(payload, contract.ReviewOutcome, steps.review_vetoed)

    @event_handler("supervision", "pre_report.approved")
    def on_pre_report_approved(self, payload):
        self._on_selection_event(payload, contract.PreReportApproved, steps.pre_report_approved)

    @event_handler("supervision", "notice.opened")
    def on_notice_opened(self, payload):
        self._on_selection_event(payload, contract.NoticeOpened, steps.notice_opened)

    @event_handler("supervision", "objection.lodged")
    def on_objection_lodged(self, payload):
        self._on_selection_event(payload, contract.ObjectionEvent, steps.objection_lodged)

    @event_handler("supervision", "objection.resolved")
    def on_objection_resolved(self, payload):
        self._on_selection_event(payload, contract.ObjectionEvent, steps.objection_resolved)

    @event_handler("supervision", "notice.closed")
    def on_notice_closed(self, payload):
        self._on_selection_event(payload, contract.NoticeClosed, steps.notice_closed)

    @event_handler("examination", "campaign.results_published")
    def on_results_published(self, payload):
        envelope = load_envelope(payload)
        data = load(contract.ResultsPublished(), envelope["data"])
        insert_once(CampaignResult(event_id=envelope["id"], campaign=data["campaign"],
                                   published_at=envelope["occurred_at"], posts=data["posts"]))

    @event_handler("supervision", "assessment.ranked")
    def on_assessment_ranked(self, payload):
        envelope = load_envelope(payload)
        data = load(contract.AssessmentRanked(), envelope["data"])
        insert_once(AssessmentRanking(event_id=envelope["id"], period=data["period"],
                                      ranked_at=envelope["occurred_at"], units=data["units"]))

    # --- metrics --------------------------------------------------------------------------------

    @timer(interval=5)
    def count_stages(self):
        telemetry.refresh_stage_gauge(Selection, stages.STAGES)
