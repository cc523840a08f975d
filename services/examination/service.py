"""Examination service entrypoints: vendors, campaigns, papers, applications, blind codes, sealed sheets,
the unseal ceremony and results (API.md "Examination")."""

import secrets

from services.common import outbox, paging
from services.common.asking import Ask
from services.common.base import HealthMixin, chassis
from services.common.entrypoints import rpc
from services.common.clock import rfc3339, utcnow
from services.common.errors import Conflict, Invalid
from services.common.validation import load
from services.examination import ceremony, contract, papers, sheets, store, telemetry
from services.examination.domain import applications as apps
from services.examination.domain import campaigns, draw, results, vendors
from services.examination.models import Campaign
from services.examination.sealing import new_campaign_key


class ExaminationService(HealthMixin):
    name = "examination"
    db, caller, relay, metrics = chassis("examination")
    nomination = Ask("nomination")

    def _local_units(self, codes):
        """The district's own units among ``codes``, asked of nomination (which holds the registry) as of now."""
        return self.nomination("local_units", codes=list(codes)) if codes else []

    def _event(self, event_type, code, schema, data):
        return self.caller.envelope(event_type, f"campaign:{code}", schema().dump(data))

    @rpc
    def register_vendor(self, body):
        body = load(contract.VendorIn(), body)
        vendor = vendors.register_vendor(
            body["code"],
            body["name"],
            body["roles"],
            body["signing_key"],
            body["affiliations"],
            self._local_units(body["affiliations"]),
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
            vendor.roles, body["role"], vendor.affiliations, self._local_units(vendor.affiliations)
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
        return {"id": papers.commit_paper(code, self.caller.actor, body["commitment"], self._event)}

    @rpc
    def reveal_paper(self, id, body):
        body = load(contract.RevealIn(), body)
        return papers.reveal_paper(id, self.caller.actor, body["paper"], self._event)

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
        sheet = sheets.receive_sheet(code, self.caller.actor, body, self._event)
        return {"id": sheet.id, "received_at": rfc3339(sheet.received_at)}

    @rpc
    def unseal(self, code, body):
        body = load(contract.UnsealActionIn(), body)
        return ceremony.take_share(code, body["stage"], self.caller.actor, body["share"], self._event)

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
