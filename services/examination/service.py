"""Examination service entrypoints: vendors, campaigns, papers, applications, blind codes, sealed sheets,
the unseal ceremony and results (API.md "Examination")."""

import secrets
import uuid

from services.common import idempotency, outbox, paging
from services.common.base import HealthMixin, chassis
from services.common.entrypoints import event_handler, rpc
from services.common.clock import as_utc, rfc3339, utcnow
from services.common.envelope import load_envelope
from services.common.errors import Conflict, Forbidden, Invalid, RuleViolation
from services.common.validation import load
from services.examination import ceremony, contract, store, telemetry
from services.examination.domain import applications as apps
from services.examination.domain import campaigns, draw, results, vendors
from services.examination.models import Campaign, LocalUnit
from services.examination.sealing import check_commitment, check_reveal, new_campaign_key, verify_receipt


class ExaminationService(HealthMixin):
    name = "examination"
    db, caller, relay, metrics = chassis("examination")

    def _event(self, event_type, code, schema, data):
        return self.caller.envelope(event_type, f"campaign:{code}", schema().dump(data))

    @event_handler("nomination", "unit.created")
    def learn_unit(self, payload):
        envelope = load_envelope(payload)
        data = load(contract.UnitCreated(), envelope["data"])
        idempotency.insert_once(LocalUnit(code=data["code"], event_id=envelope["id"]))

    @rpc
    def register_vendor(self, body):
        body = load(contract.VendorIn(), body)
        vendor = vendors.register_vendor(
            body["code"],
            body["name"],
            body["roles"],
            body["signing_key"],
            body["affiliations"],
            store.local_units(body["affiliations"]),
        )
        envelope = self.caller.envelope(
            "vendor.registered",
            f"vendor:{vendor.code}",
            contract.VendorRegistered().dump({"vendor": vendor.code, "roles": list(vendor.roles)}),
        )
        return contract.VendorOut().dump(store.add_vendor(vendor, envelope))

    @rpc
    def assign_vendor(self, code, body):
        body = load(contract.AssignmentIn(), body)
        store.campaign(code)
        vendor = store.vendor(body["vendor"])
        if vendor is None:
            raise Invalid({"vendor": [f"unknown vendor {body['vendor']!r}"]})
        vendors.check_assignment(
            vendor.roles, body["role"], vendor.affiliations, store.local_units(vendor.affiliations)
        )
        view = {"campaign": code, "vendor": vendor.code, "role": body["role"]}
        store.add_assignment(view, self._event("vendor.assigned", code, contract.VendorAssigned, view))
        return view

    @rpc
    def create_campaign(self, body):
        body = load(contract.CampaignIn(), body)
        unseal = body["unseal"]
        campaigns.check_campaign(
            body["posts"], body["weights"], body["interview_ratio"], unseal["threshold"], unseal["officers"]
        )
        store.not_a_campaign(body["code"])
        key = new_campaign_key(body["code"], unseal["officers"], unseal["threshold"])
        data = {
            "campaign": body["code"],
            "title": body["title"],
            "posts": body["posts"],
            "threshold": unseal["threshold"],
            "officers": unseal["officers"],
        }
        store.add_campaign(body, key, self._event("campaign.opened", body["code"], contract.CampaignOpened, data))
        # The shares leave in this answer and nowhere else; only their hashes were stored.
        return {"code": body["code"], "public_key": key.public_key, "key_shares": key.key_shares}

    @rpc
    def commit_paper(self, code, body):
        body = load(contract.PaperIn(), body)
        campaign, actor = store.campaign(code), self.caller.actor
        if "question_setting" not in store.vendor_roles_or_403(code, actor):
            raise Forbidden("the vendor is not assigned to set this campaign's papers")
        commitment = check_commitment(body["commitment"])
        if utcnow() >= as_utc(campaign.not_before):
            raise Conflict("papers are committed before the exam", "wrong_stage")
        paper = uuid.uuid4().hex
        data = {"campaign": code, "paper": paper, "vendor": actor, "commitment": commitment}
        store.add_paper(data, utcnow(), self._event("paper.committed", code, contract.PaperEvent, data))
        return {"id": paper}

    @rpc
    def reveal_paper(self, id, body):
        body = load(contract.RevealIn(), body)
        paper = store.paper(id)
        if paper.vendor != self.caller.actor:
            raise Forbidden("only the vendor who committed the paper may reveal it")
        if utcnow() < as_utc(store.campaign(paper.campaign).not_before):
            raise Conflict("papers are revealed after the exam", "too_early")
        data = {"campaign": paper.campaign, "paper": paper.id, "vendor": paper.vendor, "commitment": paper.commitment}
        try:
            check_reveal(paper.commitment, body["paper"])
        except RuleViolation:  # refused, and the refusal is on the record
            store.refuse_reveal(id, self._event("paper.reveal_refused", paper.campaign, contract.PaperEvent, data))
            raise
        return store.reveal(
            paper,
            body["paper"],
            utcnow(),
            lambda: self._event("paper.revealed", paper.campaign, contract.PaperEvent, data),
        )

    @rpc
    def create_application(self, code, body):
        body = load(contract.ApplicationIn(), body)
        campaign = store.campaign(code)
        store.not_unsealed(campaign, "applications")
        applicant = apps.validate_application(
            body["post"], body["applicant"], set(store.seats(campaign)), utcnow().date()
        )
        created = store.add_application(code, applicant)
        telemetry.APPLICATIONS.labels("one").inc()
        return created

    @rpc
    def import_applications(self, code, body):
        if not isinstance(body, str):
            raise Invalid({"csv": ["must be a text/csv body"]})
        campaign = store.campaign(code)
        store.not_unsealed(campaign, "applications")
        parsed = apps.parse_applications_csv(body, set(store.seats(campaign)), store.registered(code), utcnow().date())
        imported, rejected = store.add_applications(code, parsed)
        telemetry.APPLICATIONS.labels("csv").inc(imported)
        return {"imported": imported, "rejected": rejected}

    @rpc
    def list_applications(self, code, query):
        query = load(contract.ListQuery(), query)
        store.campaign(code)
        try:
            after = int(query["cursor"]) if query["cursor"] else 0
        except ValueError:
            raise Invalid({"cursor": ["is not a cursor this list gave"]})
        rows = store.applications_page(code, after, query["limit"])
        return paging.page(rows, query["limit"], lambda r: str(r["seq"]), store.application_view)

    @rpc
    def decide_eligibility(self, id, body):
        body = load(contract.EligibilityIn(), body)
        doc = store.application(id)
        store.not_unsealed(store.campaign(doc.campaign), "eligibility")
        eligibility = apps.decide_eligibility(body["eligible"], body.get("reason"))
        view = store.set_eligibility(id, eligibility, (body.get("reason") or "").strip())
        telemetry.ELIGIBILITY_DECIDED.labels("one").inc()
        return view

    @rpc
    def import_eligibility(self, code, body):
        if not isinstance(body, str):
            raise Invalid({"csv": ["must be a text/csv body"]})
        store.not_unsealed(store.campaign(code), "eligibility")
        ids = store.exam_numbers(code)
        parsed = apps.parse_eligibility_csv(body, ids)
        updated = store.apply_eligibility(code, ids, parsed.decisions)
        telemetry.ELIGIBILITY_DECIDED.labels("csv").inc(updated)
        return {"updated": updated, "rejected": parsed.rejected}

    @rpc
    def assign_blind_codes(self, code):
        store.not_unsealed(store.campaign(code), "blind codes")
        assigned = store.assign_blind_codes(code, secrets.choice)
        envelope = self._event(
            "blind_codes.assigned", code, contract.BlindCodesAssigned, {"campaign": code, "assigned": assigned}
        )
        outbox.modify(Campaign.objects(code=code), {}, [envelope])
        return {"assigned": assigned}

    @rpc
    def list_blind_codes(self, code, query):
        query = load(contract.BlindCodeQuery(), query)
        campaign, stage = store.campaign(code), query["stage"]
        if self.caller.role != "org":
            vendors.check_stage_access(stage, store.vendor_roles_or_403(code, self.caller.actor))
        items, after = store.stage_blind_codes(campaign, stage), query["cursor"] or ""
        return paging.page([i for i in items if i["blind_code"] > after], query["limit"], lambda i: i["blind_code"])

    @rpc
    def interview_draw(self, code, body):
        body = load(contract.DrawIn(), body)
        campaign = store.campaign(code)
        if campaign.drawn:
            raise Conflict("the interview draw was already made", "exists")
        made = draw.draw_interview(
            store.interview_vendors(code),
            body["examiners"],
            store.shortlisted(campaign),
            draw.new_seed(secrets.token_bytes),
        )
        result = {"examiners": made.examiners, "order": made.order, "seed": made.seed}
        store.record_draw(
            code, result, self._event("interview.drawn", code, contract.InterviewDrawn, {"campaign": code, **result})
        )
        return result

    @rpc
    def submit_sheet(self, code, body):
        body = load(contract.SheetIn(), body)
        campaign, actor, stage = store.campaign(code), self.caller.actor, body["stage"]
        vendors.check_stage_access(stage, store.vendor_roles_or_403(code, actor))
        if stage == "interview" and campaign.drawn and actor not in campaign.draw.get("examiners", []):
            raise Forbidden("the vendor was not drawn as an interview examiner")
        try:
            received = verify_receipt(body, code, store.vendor(actor).signing_key, actor)
            if stage in campaign.unsealed or stage in campaign.closing:
                raise Conflict("this stage is already unsealed", "already_unsealed")
            sheet = store.add_sheet(
                code,
                actor,
                received,
                utcnow(),
                lambda s: self._event(
                    "sheet.received",
                    code,
                    contract.SheetReceivedEvent,
                    {"campaign": code, "sheet": s.id, "stage": stage, "vendor": actor, "commitment": s.commitment},
                ),
            )
        except (RuleViolation, Conflict) as refused:
            telemetry.SHEETS_REFUSED.labels(refused.code).inc()
            raise
        telemetry.SHEETS_RECEIVED.labels(stage).inc()
        return {"id": sheet.id, "received_at": rfc3339(sheet.received_at)}

    @rpc
    def unseal(self, code, body):
        body = load(contract.UnsealActionIn(), body)
        stage, officer = body["stage"], self.caller.actor
        if officer not in (store.campaign(code).share_hashes or {}):
            telemetry.SHARES_REFUSED.labels("forbidden").inc()
            raise Forbidden("only the campaign's unsealing officers may give a share")
        with ceremony.turn(code, stage):
            campaign = store.campaign(code)
            campaigns.check_unseal(stage, utcnow(), as_utc(campaign.not_before), campaign.unsealed)
            quorum, shares = ceremony.give(campaign, stage, officer, body["share"])  # 422 invalid_share
            data = {
                "campaign": code,
                "stage": stage,
                "officer": officer,
                "shares": shares,
                "threshold": campaign.threshold,
            }
            outbox.modify(
                Campaign.objects(code=code), {}, [self._event("share.given", code, contract.ShareGiven, data)]
            )
            if not quorum.ready:
                return {"status": "pending", "shares": shares, "threshold": campaign.threshold}
            try:
                return ceremony.open_stage(
                    campaign,
                    stage,
                    quorum,
                    lambda found: self._event("campaign.unsealed", code, contract.CampaignUnsealed, found),
                )
            finally:
                ceremony.forget(code, stage, quorum)

    @rpc
    def get_results(self, code):
        campaign = store.campaign(code)
        if "written" not in campaign.unsealed:
            raise Conflict("there are no results before the written unseal", "wrong_stage")
        return store.rank(campaign)

    @rpc
    def publish_results(self, code):
        campaign = store.campaign(code)
        if "interview" not in campaign.unsealed:
            raise Conflict("results are published after the interview unseal", "wrong_stage")
        if campaign.published:
            raise Conflict("the results are already published", "exists")
        body = store.rank(campaign)
        data = {"campaign": code, "posts": results.notice(body["posts"])}
        now = utcnow()
        store.publish(code, now, self._event("campaign.results_published", code, contract.ResultsPublished, data))
        return {"campaign": code, "published_at": rfc3339(now), **body}
