"""Nomination service entrypoints: units, posts, cadres, selections and their procedure, secret ballots,
and the events of supervision and examination it acts on. The rules are in ``domain/``."""

from services.common.asking import Ask
from services.common.base import HealthMixin, chassis
from services.common.entrypoints import event_handler, query, rpc, timer
from services.common.envelope import load_event
from services.common.validation import load
from services.nomination import appointing, ballot_box, ballot_sessions, contract, registry, steps, store, telemetry
from services.nomination import heard
from services.examination import contract as examination_contract
from services.supervision import contract as supervision_contract
from services.nomination.domain import ballots as ballot_rules
from services.nomination.domain import ranking, stages
from services.nomination.models import Selection


class NominationService(HealthMixin):
    name = "nomination"
    db, caller, relay, metrics = chassis("nomination")
    # asked only when our copy of supervision's state refuses a decision or an appointment
    supervision = Ask("supervision")

    def _clearance(self, id):
        """Supervision's state of selection ``id``, asked at most once per call, when first needed."""
        return appointing.asked_once(lambda: self.supervision("clearance", selection=id))

    # --- units, posts, cadres ------------------------------------------------------------------

    @rpc
    def create_unit(self, body):
        return registry.create_unit(load(contract.UnitIn(), body), self.caller)

    @rpc
    def create_post(self, body):
        return registry.create_post(load(contract.PostIn(), body), self.caller)

    @rpc
    def get_post(self, code):
        return registry.post_view(registry.load_post(code))

    @rpc
    def create_cadre(self, body):
        return registry.create_cadre(load(contract.CadreIn(), body), self.caller)

    @rpc
    def import_posts(self, body):
        return registry.import_posts(body, self.caller)

    @rpc
    def import_cadres(self, body):
        return registry.import_cadres(body, self.caller)

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

    @rpc
    def list_selections(self, query=None):
        """The web console's list of selections (an RPC only, no route of API.md)."""
        return store.list_selections(load(contract.SelectionsQuery(), query or {}))

    @query
    def local_units(self, codes):
        """Which of ``codes`` are the district's own units (examination asks, to keep vendors outside them)."""
        return registry.local_units(codes)

    @query
    def selection_facts(self, id):
        """What supervision asks of a selection it has not heard of (or not heard decided) yet."""
        return store.selection_facts(store.load_selection(id))

    @rpc
    @telemetry.counts_violations
    def qualify(self, id, body):
        body = load(contract.QualificationIn(), body)
        registry.require_units(body["scope"], "scope")
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
        return ballot_sessions.ballot_session_opening(store.load_selection(id), body, self.caller)

    @rpc
    @telemetry.counts_violations
    @telemetry.counts_refused_ballots
    def cast_ballot(self, body, tracker=None):
        body = load(contract.BallotIn(), body)
        tracker = ballot_box.cast(body["token"], ballot_rules.parse_choices(body["choices"]), tracker)
        telemetry.BALLOTS_CAST.inc()
        return {"accepted": True, "tracker": tracker}

    @rpc
    @telemetry.counts_violations
    @telemetry.counts_refused_ballots
    def ballot_form(self, body):
        """What a token holder may see before casting: the session's seats and its candidates' names."""
        return ballot_box.form(load(contract.BallotFormIn(), body)["token"])

    @rpc
    def get_ballot_receipt(self, tracker):
        return ballot_box.receipt(tracker)

    @rpc
    def get_ballot_board(self, id):
        return ballot_box.board(id)

    @rpc
    @telemetry.counts_violations
    def close_ballot_session(self, id):
        return ballot_sessions.ballot_session_closing(id, self.caller)

    # --- nominations ----------------------------------------------------------------------------

    @rpc
    @telemetry.counts_violations
    def nominate(self, id, body):
        body = load(contract.NominationIn(), body)
        return steps.nomination(store.load_selection(id), body, self.caller)

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
        return store.act(id, lambda doc: appointing.decision(doc, body, self.caller, clearance))

    # --- appointment and filing -----------------------------------------------------------------

    @rpc
    @telemetry.counts_violations
    def appoint(self, id):
        clearance = self._clearance(id)
        return store.act(id, lambda doc: appointing.appointment(doc, self.caller, clearance))

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

    @event_handler("supervision", "review.cleared")
    def on_review_cleared(self, payload):
        heard.apply_to_selection(payload, supervision_contract.ReviewCleared, heard.review_cleared, self.caller)

    @event_handler("supervision", "review.vetoed")
    def on_review_vetoed(self, payload):
        heard.apply_to_selection(payload, supervision_contract.ReviewVetoed, heard.review_vetoed, self.caller)

    @event_handler("supervision", "pre_report.approved")
    def on_pre_report_approved(self, payload):
        heard.apply_to_selection(
            payload, supervision_contract.PreReportApproved, heard.pre_report_approved, self.caller
        )

    @event_handler("supervision", "notice.opened")
    def on_notice_opened(self, payload):
        heard.apply_to_selection(payload, supervision_contract.NoticeOpened, heard.notice_opened, self.caller)

    @event_handler("supervision", "objection.lodged")
    def on_objection_lodged(self, payload):
        heard.apply_to_selection(payload, supervision_contract.ObjectionLodged, heard.objection_lodged, self.caller)

    @event_handler("supervision", "objection.resolved")
    def on_objection_resolved(self, payload):
        heard.apply_to_selection(payload, supervision_contract.ObjectionResolved, heard.objection_resolved, self.caller)

    @event_handler("supervision", "notice.closed")
    def on_notice_closed(self, payload):
        heard.apply_to_selection(payload, supervision_contract.NoticeClosed, heard.notice_closed, self.caller)

    @event_handler("examination", "campaign.results_published")
    def on_results_published(self, payload):
        heard.keep_campaign_result(*load_event(payload, examination_contract.ResultsPublished))

    @event_handler("supervision", "assessment.ranked")
    def on_assessment_ranked(self, payload):
        heard.keep_assessment_ranking(*load_event(payload, supervision_contract.AssessmentRanked))

    # --- metrics --------------------------------------------------------------------------------

    @timer(interval=5)
    def count_stages(self):
        telemetry.refresh_stage_gauge(Selection, stages.STAGES)
