"""Supervision service entrypoints: joint reviews, pre-reports and observers, public notices and
objections, filings and routine assessments. The rules are in ``domain/``; ``store.py`` reads the
documents as their values and views, ``changes.py`` and its siblings write their outcomes with the events."""

import logging

from services.common import config
from services.common.asking import Ask
from services.common.base import HealthMixin, chassis
from services.common.clock import as_utc, utcnow
from services.common.entrypoints import event_handler, query, rpc, timer
from services.common.envelope import load_event
from services.common.validation import load
from services.common.wake import WokenByWorkers
from services.nomination import contract as nomination_contract
from services.supervision import changes, contract, public_notice, routine_assessment, store, tick

log = logging.getLogger(__name__)


class SupervisionService(HealthMixin):
    name = "supervision"
    db, caller, relay, metrics = chassis("supervision")
    # asked when our copy of a selection (from nomination's events) does not know it, or its decision, yet
    nomination = Ask("nomination")
    clock = WokenByWorkers("tick")

    # ---- joint review (会审)

    @event_handler("nomination", "selection.inspected")
    def on_selection_inspected(self, payload):
        envelope, data = load_event(payload, nomination_contract.SelectionInspected)
        sid = data["selection"]
        changes.learn_selection(
            sid,
            envelope["id"],
            post=data["post"] or "",
            post_title=data["post_title"],
            key_leadership=data["key_leadership"],
        )
        changes.open_reviews(sid, [n["cadre"] for n in data["nominees"]], self.caller, envelope)

    @rpc
    def list_reviews(self, query=None):
        query = load(contract.ReviewQuery(), query or {})
        if query.get("selection") and not query.get("cursor"):
            store.wait_for_reviews(query["selection"], self.nomination)
        return store.reviews_page(query, self.caller.role)

    @rpc
    def give_verdict(self, id, body):
        body = load(contract.VerdictIn(), body)
        return changes.give_verdict(id, self.caller.role, body["verdict"], body["reason"], self.caller)

    @event_handler("nomination", "nomination.voided")
    def on_nomination_voided(self, payload):
        envelope, data = load_event(payload, nomination_contract.NominationVoided)
        changes.void_reviews(data["selection"], data["cadre"], envelope["id"])

    # ---- what supervision learns of selections

    @event_handler("nomination", "selection.opened")
    def on_selection_opened(self, payload):
        envelope, data = load_event(payload, nomination_contract.SelectionOpened)
        changes.learn_selection(
            data["selection"], envelope["id"], post=data["post"] or "", key_leadership=data["key_leadership"]
        )

    # ---- what nomination asks when its copy of supervision's state says no

    @query
    def clearance(self, selection):
        """The pre-report approval, review statuses and notice of ``selection`` as of this call."""
        return store.clearance(selection)

    # ---- pre-report (任前报审) and observer (任中派员列席)

    @rpc
    def submit_pre_report(self, id, body=None):
        body = load(contract.PreReportIn(), body or {})
        known = store.known_selection(id, self.nomination)
        return changes.submit_pre_report(id, body.get("summary"), known, self.caller)

    @rpc
    def approve_pre_report(self, id):
        return changes.approve_pre_report(id, self.caller)

    @rpc
    def name_observer(self, id, body):
        body = load(contract.ObserverIn(), body)
        known = store.known_selection(id, self.nomination)
        return changes.name_observer(id, body["name"], known, self.caller)

    # ---- decision: observer attendance and the public notice (公示)

    @event_handler("nomination", "selection.decided")
    def on_selection_decided(self, payload):
        envelope, data = load_event(payload, nomination_contract.SelectionDecided)
        known = changes.record_decision(data, envelope, self.caller)
        public_notice.open_notice(data, known, envelope, self.caller)

    @rpc
    def list_notices(self, query=None):
        return store.notices_page(load(contract.NoticeQuery(), query or {}))

    @rpc
    def lodge_objection(self, id, body):
        body = load(contract.ObjectionIn(), body)
        return public_notice.lodge_objection(id, body["content"], self.caller)

    @rpc
    def list_objections(self, id, query=None):
        return store.objections_page(id, load(contract.ListQuery(), query or {}))

    @rpc
    def resolve_objection(self, id, body):
        body = load(contract.ResolveIn(), body)
        return public_notice.resolve_objection(id, body["upheld"], body["finding"], self.caller)

    # ---- filing (任后备案)

    @event_handler("nomination", "selection.appointed")
    def on_selection_appointed(self, payload):
        envelope, data = load_event(payload, nomination_contract.SelectionAppointed)
        changes.open_filing(data["selection"], as_utc(data["appointed_at"]) or envelope["occurred_at"])

    @event_handler("nomination", "filing.recorded")
    def on_filing_recorded(self, payload):
        envelope, data = load_event(payload, nomination_contract.FilingRecorded)
        changes.record_filing(data, envelope)

    @rpc
    def list_filings(self, query=None):
        return store.filings_page(load(contract.FilingQuery(), query or {}))

    # ---- routine assessment (平时考核)

    @rpc
    def record_assessment(self, body):
        return routine_assessment.record_assessment(load(contract.AssessmentIn(), body), self.caller)

    @rpc
    def assessment_ranking(self, period, query=None):
        query = load(contract.RankingQuery(), query or {})
        return routine_assessment.ranking(period, query["bottom"], self.caller)

    # ---- the clock: overdue reviews and filings, notices at the end of their period

    @timer(interval=config.get_float("SUPERVISION_TICK_SECONDS"))
    def tick(self):
        # Off the database at rest: look when a worker of this process wrote something, when a time
        # learnt at the last look has come, or at the safety interval (another replica's writes).
        if not self.clock.due(utcnow()):
            return
        for step in tick.TICK_STEPS:
            try:
                step(utcnow(), self.caller)
            except Exception:  # one failing step must not starve the others; the next tick retries
                log.exception("supervision tick step %s failed", step.__name__)
                self.clock.wake.poke()
        try:
            self.clock.next_due = store.next_due()
        except Exception:
            log.exception("supervision tick could not learn the next due time")
            self.clock.next_due = None
            self.clock.wake.poke()
