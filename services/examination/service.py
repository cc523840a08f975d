"""Examination service entrypoints: vendors, campaigns, papers, applications, blind codes, sealed sheets,
the unseal ceremony and results (API.md "Examination")."""
import logging
import secrets
import uuid
from collections import Counter as Tally
from datetime import datetime, timezone
from decimal import Decimal

from eventlet.semaphore import Semaphore
from prometheus_client import Counter
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from services.common import config, idempotency, keyfiles, outbox, paging
from services.common.base import HealthMixin, chassis
from services.common.entrypoints import event_handler, rpc
from services.common.envelope import load_envelope, rfc3339
from services.common.errors import Conflict, Forbidden, Invalid, NotFound, RuleViolation
from services.common.validation import load
from services.examination import schemas
from services.examination.domain import applications as apps
from services.examination.domain import campaigns, codes, draw, results, vendors
from services.examination.models import Application, Assignment, Campaign, LocalUnit, Paper, Sheet, Vendor
from services.examination.sealing import (UnsealQuorum, check_commitment, check_reveal, new_campaign_key,
                                          open_sheets, verify_receipt)

log = logging.getLogger(__name__)

SHEETS_RECEIVED = Counter("cadre_sealed_sheets_received_total", "Sealed score sheets accepted at receipt.", ["stage"])
SHEETS_REFUSED = Counter("cadre_sealed_sheets_refused_total", "Sealed score sheets refused at receipt.", ["code"])
SHARES_REFUSED = Counter("cadre_unseal_shares_refused_total",
                         "Key shares refused: from someone not an officer of the campaign, or not the share issued.",
                         ["code"])
SHARES_GIVEN = Counter("cadre_unseal_shares_given_total", "Valid key shares given by unsealing officers.", ["stage"])
UNSEALS = Counter("cadre_unseals_total", "Stages unsealed.", ["stage"])
SHEET_PROBLEMS = Counter("cadre_sheet_problems_total", "Problems found in sheets at unseal.", ["code"])
APPLICATIONS = Counter("cadre_applications_total", "Applications registered.", ["via"])

# Shares given so far per (campaign, stage). In this process's memory only — never in the database,
# which would hand whoever reads it the key. A restart during a ceremony means officers give theirs again.
_PENDING = {}
_LOCKS = {}
_ID_KEY = []


def _now():
    return datetime.now(timezone.utc)


def _aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _id_key():
    """The key of the ID-number hash: EXAMINATION_ID_KEY, or one made once and kept in the data dir."""
    if not _ID_KEY:
        configured = config.get("EXAMINATION_ID_KEY")
        if configured:
            _ID_KEY.append(configured.encode("utf-8"))
        else:
            path = config.data_dir() / "examination" / "id-hash.key"
            _ID_KEY.append(keyfiles.read_or_create(path, lambda: secrets.token_hex(32)).encode("utf-8"))
    return _ID_KEY[0]


class _Registered:
    """The ID numbers registered in a campaign, as the CSV parser asks about them (by keyed hash)."""

    def __init__(self, hashes, key):
        self.hashes, self.key = hashes, key

    def __contains__(self, id_number):
        return apps.id_number_digest(self.key, id_number) in self.hashes


def _campaign(code):
    campaign = Campaign.objects(code=code).first()
    if campaign is None:
        raise NotFound(f"no campaign {code!r}")
    return campaign


def _roles_of(campaign, vendor):
    return {a.role for a in Assignment.objects(campaign=campaign, vendor=vendor).only("role")}


def _vendor_roles_or_403(campaign, actor):
    if not actor or Vendor.objects(code=actor).only("code").first() is None:
        raise Forbidden("the caller is not a registered vendor")
    return _roles_of(campaign, actor)


def _not_unsealed(campaign, what):
    if "written" in campaign.unsealed:
        raise Conflict(f"the written stage is unsealed: {what} can no longer change", "wrong_stage")


def _scores(campaign, stage):
    return {code: Decimal(text) for code, text in (campaign.scores or {}).get(stage, {}).items()}


def _candidates(code):
    """Eligible applicants holding a blind code: who is scored and ranked."""
    rows = Application._get_collection().find(
        {"campaign": code, "eligibility": "eligible"}, {"exam_number": 1, "name": 1, "post": 1, "blind_code": 1})
    return [results.Candidate(r["exam_number"], r["name"], r["post"], r["blind_code"]) for r in rows
            if r.get("blind_code")]


def _seats(campaign):
    return {p["code"]: p["seats"] for p in campaign.posts}


def _shortlisted(campaign, candidates=None):
    if "written" not in campaign.unsealed:
        raise Conflict("the interview shortlist exists only after the written unseal", "wrong_stage")
    candidates = _candidates(campaign.code) if candidates is None else candidates
    return results.shortlist(candidates, _scores(campaign, "written"), _seats(campaign), campaign.interview_ratio)


def _application_view(doc):
    return {"id": doc["_id"] if "_id" in doc else doc["id"], "post": doc["post"], "exam_number": doc["exam_number"],
            "name": doc["name"], "eligibility": doc.get("eligibility", "pending")}


def _paper_view(paper):
    return {"id": paper.id, "campaign": paper.campaign, "vendor": paper.vendor, "commitment": paper.commitment,
            "status": paper.status, "revealed_at": rfc3339(_aware(paper.revealed_at)) if paper.revealed_at else None}


def _problem_summary(problems):
    """Problems per sheet and code, with how many entries each covers: what events and answers carry."""
    tally = Tally((p.sheet, p.code) for p in problems)
    return [{"sheet": sheet, "code": code, "count": n} for (sheet, code), n in sorted(tally.items())]


class ExaminationService(HealthMixin):
    name = "examination"
    db, caller, relay, metrics = chassis("examination")

    # --- local units, learnt from nomination ------------------------------------------------------

    @event_handler("nomination", "unit.created")
    def learn_unit(self, payload):
        envelope = load_envelope(payload)
        data = load(schemas.UnitCreated(), envelope["data"])
        idempotency.insert_once(LocalUnit(code=data["code"], event_id=envelope["id"]))

    # --- vendors ----------------------------------------------------------------------------------

    @rpc
    def register_vendor(self, body):
        body = load(schemas.VendorIn(), body)
        local = [u.code for u in LocalUnit.objects(code__in=body["affiliations"]).only("code")]
        vendor = vendors.register_vendor(body["code"], body["name"], body["roles"], body["signing_key"],
                                         body["affiliations"], local)
        doc = Vendor(code=vendor.code, name=vendor.name, roles=list(vendor.roles), signing_key=vendor.signing_key,
                     affiliations=list(vendor.affiliations))
        envelope = self.caller.envelope("vendor.registered", f"vendor:{vendor.code}",
                                        schemas.VendorRegistered().dump({"vendor": vendor.code,
                                                                         "roles": list(vendor.roles)}))
        outbox.insert(doc, envelope, exists_detail=f"vendor {vendor.code!r} already exists")
        return schemas.VendorOut().dump(doc)

    @rpc
    def assign_vendor(self, code, body):
        body = load(schemas.AssignmentIn(), body)
        _campaign(code)
        vendor = Vendor.objects(code=body["vendor"]).first()
        if vendor is None:
            raise Invalid({"vendor": [f"unknown vendor {body['vendor']!r}"]})
        local = [u.code for u in LocalUnit.objects(code__in=vendor.affiliations).only("code")]
        vendors.check_assignment(vendor.roles, body["role"], vendor.affiliations, local)
        view = {"campaign": code, "vendor": vendor.code, "role": body["role"]}
        envelope = self.caller.envelope("vendor.assigned", f"campaign:{code}", schemas.VendorAssigned().dump(view))
        try:
            outbox.insert(Assignment(**view), envelope)
        except Conflict:
            pass  # assigned already: the same action twice has one effect
        return view

    # --- campaigns --------------------------------------------------------------------------------

    @rpc
    def create_campaign(self, body):
        body = load(schemas.CampaignIn(), body)
        unseal = body["unseal"]
        campaigns.check_campaign(body["posts"], body["weights"], body["interview_ratio"], unseal["threshold"],
                                 unseal["officers"])
        if Campaign.objects(code=body["code"]).only("code").first() is not None:
            raise Conflict(f"campaign {body['code']!r} already exists", "exists")
        key = new_campaign_key(body["code"], unseal["officers"], unseal["threshold"])
        doc = Campaign(code=body["code"], title=body["title"], posts=body["posts"], weights=body["weights"],
                       interview_ratio=body["interview_ratio"], not_before=unseal["not_before"],
                       threshold=unseal["threshold"], officers=unseal["officers"], share_hashes=key.share_hashes,
                       public_key=key.public_key)
        data = {"campaign": doc.code, "title": doc.title, "posts": body["posts"], "threshold": doc.threshold,
                "officers": doc.officers}
        envelope = self.caller.envelope("campaign.opened", f"campaign:{doc.code}", schemas.CampaignOpened().dump(data))
        outbox.insert(doc, envelope, exists_detail=f"campaign {doc.code!r} already exists")
        # The shares leave in this answer and nowhere else; only their hashes were stored.
        return {"code": doc.code, "public_key": key.public_key, "key_shares": key.key_shares}

    # --- papers (set outside) ---------------------------------------------------------------------

    @rpc
    def commit_paper(self, code, body):
        body = load(schemas.PaperIn(), body)
        campaign = _campaign(code)
        actor = self.caller.actor
        if "question_setting" not in _vendor_roles_or_403(code, actor):
            raise Forbidden("the vendor is not assigned to set this campaign's papers")
        commitment = check_commitment(body["commitment"])
        if _now() >= _aware(campaign.not_before):
            raise Conflict("papers are committed before the exam", "wrong_stage")
        paper = Paper(id=uuid.uuid4().hex, campaign=code, vendor=actor, commitment=commitment, committed_at=_now())
        data = {"campaign": code, "paper": paper.id, "vendor": actor, "commitment": commitment}
        outbox.insert(paper, self.caller.envelope("paper.committed", f"campaign:{code}",
                                                  schemas.PaperEvent().dump(data)))
        return {"id": paper.id}

    @rpc
    def reveal_paper(self, id, body):
        body = load(schemas.RevealIn(), body)
        paper = Paper.objects(id=id).first()
        if paper is None:
            raise NotFound(f"no paper {id!r}")
        if paper.vendor != self.caller.actor:
            raise Forbidden("only the vendor who committed the paper may reveal it")
        campaign = _campaign(paper.campaign)
        if _now() < _aware(campaign.not_before):
            raise Conflict("papers are revealed after the exam", "too_early")
        data = {"campaign": paper.campaign, "paper": paper.id, "vendor": paper.vendor, "commitment": paper.commitment}
        try:
            check_reveal(paper.commitment, body["paper"])
        except RuleViolation:
            # Refused, and the refusal is on the record.
            envelope = self.caller.envelope("paper.reveal_refused", f"campaign:{paper.campaign}",
                                            schemas.PaperEvent().dump(data))
            outbox.modify(Paper.objects(id=id), {"inc__refusals": 1}, [envelope])
            raise
        if paper.status == "revealed":
            return _paper_view(paper)
        envelope = self.caller.envelope("paper.revealed", f"campaign:{paper.campaign}", schemas.PaperEvent().dump(data))
        now = _now()
        updated = outbox.modify(Paper.objects(id=id, status="committed"),
                                {"set__status": "revealed", "set__paper": body["paper"], "set__revealed_at": now},
                                [envelope])
        if updated is None:  # revealed meanwhile by a concurrent request
            return _paper_view(Paper.objects(id=id).first())
        paper.status, paper.revealed_at = "revealed", now
        return _paper_view(paper)

    # --- applications -----------------------------------------------------------------------------

    def _reserve(self, code, n):
        """The first of ``n`` fresh application sequence numbers (an atomic counter on the campaign)."""
        doc = Campaign.objects(code=code).modify(new=True, inc__applications=n)
        return doc.applications - n + 1

    def _application_doc(self, code, seq, applicant, key):
        return {"_id": uuid.uuid4().hex, "campaign": code, "seq": seq, "post": applicant.post,
                "exam_number": codes.exam_number(code, seq), "id_hash": apps.id_number_digest(key, applicant.id_number),
                "name": applicant.name, "birth_date": applicant.birth_date, "education": applicant.education,
                "eligibility": "pending"}

    @rpc
    def create_application(self, code, body):
        body = load(schemas.ApplicationIn(), body)
        campaign = _campaign(code)
        _not_unsealed(campaign, "applications")
        applicant = apps.validate_application(body["post"], body["applicant"], set(_seats(campaign)),
                                              _now().date())
        key = _id_key()
        if Application.objects(campaign=code, id_hash=apps.id_number_digest(key, applicant.id_number)).first():
            raise Conflict("this person has already applied in this campaign", "exists")
        doc = self._application_doc(code, self._reserve(code, 1), applicant, key)
        try:
            Application._get_collection().insert_one(doc)
        except Exception as exc:
            if "duplicate" in str(exc).lower() or "E11000" in str(exc):
                raise Conflict("this person has already applied in this campaign", "exists")
            raise
        APPLICATIONS.labels("one").inc()
        return {"id": doc["_id"], "exam_number": doc["exam_number"]}

    @rpc
    def import_applications(self, code, body):
        if not isinstance(body, str):
            raise Invalid({"csv": ["must be a text/csv body"]})
        campaign = _campaign(code)
        _not_unsealed(campaign, "applications")
        key = _id_key()
        coll = Application._get_collection()
        hashes = {r["id_hash"] for r in coll.find({"campaign": code}, {"id_hash": 1})}
        parsed = apps.parse_applications_csv(body, set(_seats(campaign)), _Registered(hashes, key), _now().date())
        rejected = list(parsed.rejected)
        imported = 0
        if parsed.applicants:
            first = self._reserve(code, len(parsed.applicants))
            docs = [self._application_doc(code, first + i, a, key) for i, (_, a) in enumerate(parsed.applicants)]
            try:
                imported = len(coll.insert_many(docs, ordered=False).inserted_ids)
            except BulkWriteError as exc:
                # Someone else registered the same person meanwhile: that row is refused, the rest kept.
                failed = {e["index"] for e in exc.details.get("writeErrors", [])}
                imported = len(docs) - len(failed)
                for index in sorted(failed):
                    row = parsed.applicants[index][0]
                    rejected.append({"row": row, "errors": {"id_number": ["has already applied in this campaign"]}})
        APPLICATIONS.labels("csv").inc(imported)
        return {"imported": imported, "rejected": sorted(rejected, key=lambda r: r["row"])}

    @rpc
    def list_applications(self, code, query):
        query = load(schemas.ListQuery(), query)
        _campaign(code)
        try:
            after = int(query["cursor"]) if query["cursor"] else 0
        except ValueError:
            raise Invalid({"cursor": ["is not a cursor this list gave"]})
        rows = list(Application._get_collection()
                    .find({"campaign": code, "seq": {"$gt": after}},
                          {"post": 1, "exam_number": 1, "name": 1, "eligibility": 1, "seq": 1})
                    .sort("seq", 1).limit(query["limit"] + 1))
        return paging.page(rows, query["limit"], lambda r: str(r["seq"]), _application_view)

    @rpc
    def decide_eligibility(self, id, body):
        body = load(schemas.EligibilityIn(), body)
        doc = Application.objects(id=id).first()
        if doc is None:
            raise NotFound(f"no application {id!r}")
        _not_unsealed(_campaign(doc.campaign), "eligibility")
        eligibility = apps.decide_eligibility(body["eligible"], body.get("reason"))
        updated = Application.objects(id=id).modify(new=True, set__eligibility=eligibility,
                                                    set__reason=(body.get("reason") or "").strip())
        return _application_view({"id": updated.id, "post": updated.post, "exam_number": updated.exam_number,
                                  "name": updated.name, "eligibility": updated.eligibility})

    # --- blind codes ------------------------------------------------------------------------------

    @rpc
    def assign_blind_codes(self, code):
        campaign = _campaign(code)
        _not_unsealed(campaign, "blind codes")
        coll = Application._get_collection()
        everyone = list(coll.find({"campaign": code}, {"blind_code": 1, "eligibility": 1}))
        taken = {r["blind_code"] for r in everyone if r.get("blind_code")}
        waiting = [r["_id"] for r in everyone if r.get("eligibility") == "eligible" and not r.get("blind_code")]
        fresh = codes.assign_blind_codes(len(waiting), taken)
        assigned = 0
        if waiting:
            # guarded by blind_code null: an application never gets a second code
            operations = [UpdateOne({"_id": pk, "blind_code": None}, {"$set": {"blind_code": bc}})
                          for pk, bc in zip(waiting, fresh)]
            assigned = coll.bulk_write(operations, ordered=False).modified_count
        envelope = self.caller.envelope("blind_codes.assigned", f"campaign:{code}",
                                        schemas.BlindCodesAssigned().dump({"campaign": code, "assigned": assigned}))
        outbox.modify(Campaign.objects(code=code), {}, [envelope])
        return {"assigned": assigned}

    @rpc
    def list_blind_codes(self, code, query):
        query = load(schemas.BlindCodeQuery(), query)
        campaign = _campaign(code)
        stage = query["stage"]
        if self.caller.role != "org":
            vendors.check_stage_access(stage, _vendor_roles_or_403(code, self.caller.actor))
        candidates = _candidates(code)
        if stage == "interview":
            chosen = _shortlisted(campaign, candidates)
            candidates = [c for c in candidates if c.blind_code in chosen]
        # Sorted by blind code, never by exam number: the order must not hint at who is who.
        items = [{"post": c.post, "blind_code": c.blind_code} for c in candidates]
        after = query["cursor"] or ""
        return paging.page([i for i in sorted(items, key=lambda i: i["blind_code"]) if i["blind_code"] > after],
                           query["limit"], lambda i: i["blind_code"])

    # --- interview draw ---------------------------------------------------------------------------

    @rpc
    def interview_draw(self, code, body):
        body = load(schemas.DrawIn(), body)
        campaign = _campaign(code)
        if campaign.drawn:
            raise Conflict("the interview draw was already made", "exists")
        shortlisted = _shortlisted(campaign)
        interviewers = [a.vendor for a in Assignment.objects(campaign=code, role="interview").only("vendor")]
        made = draw.draw_interview(interviewers, body["examiners"], shortlisted, draw.new_seed())
        result = {"examiners": made.examiners, "order": made.order, "seed": made.seed}
        envelope = self.caller.envelope("interview.drawn", f"campaign:{code}",
                                        schemas.InterviewDrawn().dump({"campaign": code, **result}))
        if outbox.modify(Campaign.objects(code=code, drawn=False), {"set__drawn": True, "set__draw": result},
                         [envelope]) is None:
            raise Conflict("the interview draw was already made", "exists")
        return result

    # --- sealed sheets ----------------------------------------------------------------------------

    @rpc
    def submit_sheet(self, code, body):
        body = load(schemas.SheetIn(), body)
        campaign = _campaign(code)
        actor = self.caller.actor
        stage = body["stage"]
        vendors.check_stage_access(stage, _vendor_roles_or_403(code, actor))
        if stage == "interview" and campaign.drawn and actor not in campaign.draw.get("examiners", []):
            raise Forbidden("the vendor was not drawn as an interview examiner")
        vendor = Vendor.objects(code=actor).first()
        try:
            received = verify_receipt(body, code, vendor.signing_key)
        except RuleViolation as exc:
            SHEETS_REFUSED.labels(exc.code).inc()
            raise
        if stage in campaign.unsealed or stage in campaign.closing:
            SHEETS_REFUSED.labels("already_unsealed").inc()
            raise Conflict("this stage is already unsealed", "already_unsealed")
        sheet = Sheet(id=uuid.uuid4().hex, campaign=code, stage=stage, vendor=actor, ciphertext=received.ciphertext,
                      commitment=received.commitment, signature=received.signature,
                      ciphertext_sha256=received.ciphertext_sha256, received_at=_now())
        try:
            outbox.insert(sheet)
        except Conflict:
            SHEETS_REFUSED.labels("already_submitted").inc()
            raise Conflict("this sheet was already submitted", "already_submitted")
        # The unseal marks the stage closing before it reads the sheets, so either it saw this
        # sheet or this check sees the mark: a sheet is never silently left out.
        if stage in _campaign(code).closing:
            Sheet.objects(id=sheet.id).delete()
            SHEETS_REFUSED.labels("already_unsealed").inc()
            raise Conflict("this stage is already unsealed", "already_unsealed")
        data = {"campaign": code, "sheet": sheet.id, "stage": stage, "vendor": actor, "commitment": sheet.commitment}
        outbox.modify(Sheet.objects(id=sheet.id), {},
                      [self.caller.envelope("sheet.received", f"campaign:{code}",
                                            schemas.SheetReceivedEvent().dump(data))])
        SHEETS_RECEIVED.labels(stage).inc()
        return {"id": sheet.id, "received_at": rfc3339(sheet.received_at)}

    # --- the unseal ceremony ----------------------------------------------------------------------

    @rpc
    def unseal(self, code, body):
        body = load(schemas.UnsealActionIn(), body)
        stage, officer = body["stage"], self.caller.actor
        campaign = _campaign(code)
        if officer not in (campaign.share_hashes or {}):
            SHARES_REFUSED.labels("forbidden").inc()
            raise Forbidden("only the campaign's unsealing officers may give a share")
        key = (code, stage)
        lock = _LOCKS.setdefault(key, Semaphore(1))
        with lock:
            campaign = _campaign(code)
            campaigns.check_unseal(stage, _now(), _aware(campaign.not_before), campaign.unsealed)
            quorum = _PENDING.get(key) or UnsealQuorum(code, campaign.threshold, dict(campaign.share_hashes),
                                                       campaign.public_key)
            try:
                shares = quorum.add(officer, body["share"])  # 422 invalid_share
            except RuleViolation as refused:
                SHARES_REFUSED.labels(refused.code).inc()
                raise
            _PENDING[key] = quorum
            data = {"campaign": code, "stage": stage, "officer": officer, "shares": shares,
                    "threshold": campaign.threshold}
            outbox.modify(Campaign.objects(code=code), {},
                          [self.caller.envelope("share.given", f"campaign:{code}", schemas.ShareGiven().dump(data))])
            SHARES_GIVEN.labels(stage).inc()
            if not quorum.ready:
                return {"status": "pending", "shares": shares, "threshold": campaign.threshold}
            try:
                return self._open_stage(campaign, stage, quorum)
            finally:
                # Forget the key material whatever happened: officers give their shares again if need be.
                _PENDING.pop(key, None)
                quorum.given.clear()

    def _open_stage(self, campaign, stage, quorum):
        code = campaign.code
        private_key = quorum.private_key()
        Campaign.objects(code=code).modify(push__closing=stage)
        try:
            sheets = [{"id": r["_id"], "ciphertext": r["ciphertext"], "commitment": r["commitment"]}
                      for r in Sheet._get_collection().find({"campaign": code, "stage": stage},
                                                            {"ciphertext": 1, "commitment": 1})]
            candidates = _candidates(code)
            if stage == "interview":
                known = _shortlisted(campaign, candidates)
                examiners = campaign.draw.get("examiners") if campaign.drawn else None
            else:
                known = {c.blind_code for c in candidates}
                examiners = None
            opened = open_sheets(private_key, sheets, code, stage, known, examiners)
        except Exception:
            Campaign.objects(code=code).modify(pull__closing=stage)
            raise
        finally:
            del private_key
        scores, conflicts = results.stage_scores(opened.sheets, stage)
        problems = opened.problems + conflicts
        summary = _problem_summary(problems)
        data = {"campaign": code, "stage": stage, "sheets": len(sheets), "problems": summary}
        envelope = self.caller.envelope("campaign.unsealed", f"campaign:{code}", schemas.CampaignUnsealed().dump(data))
        done = outbox.modify(Campaign.objects(code=code, unsealed__nin=[stage]),
                             {f"set__scores__{stage}": {bc: str(s) for bc, s in scores.items()},
                              f"set__problems__{stage}": summary, "push__unsealed": stage}, [envelope])
        if done is None:
            raise Conflict("this stage is already unsealed", "already_unsealed")
        by_sheet = {}
        for p in problems:
            by_sheet.setdefault(p.sheet, []).append(p.as_dict())
        accepted = {s.sheet for s in opened.sheets}
        coll = Sheet._get_collection()
        for sheet in sheets:
            status = "opened" if sheet["id"] in accepted else "rejected"
            coll.update_one({"_id": sheet["id"]},
                            {"$set": {"status": status, "problems": by_sheet.get(sheet["id"], [])[:1000]}})
        UNSEALS.labels(stage).inc()
        for p in problems:
            SHEET_PROBLEMS.labels(p.code).inc()
        return {"status": "unsealed", "sheets": len(sheets), "problems": summary}

    # --- results ----------------------------------------------------------------------------------

    def _results(self, campaign):
        return results.rank_results([{"code": p["code"], "seats": p["seats"]} for p in campaign.posts],
                                    _candidates(campaign.code), _scores(campaign, "written"),
                                    _scores(campaign, "interview"), campaign.weights, campaign.interview_ratio,
                                    "interview" in campaign.unsealed)

    @rpc
    def get_results(self, code):
        campaign = _campaign(code)
        if "written" not in campaign.unsealed:
            raise Conflict("there are no results before the written unseal", "wrong_stage")
        return self._results(campaign)

    @rpc
    def publish_results(self, code):
        campaign = _campaign(code)
        if "interview" not in campaign.unsealed:
            raise Conflict("results are published after the interview unseal", "wrong_stage")
        if campaign.published:
            raise Conflict("the results are already published", "exists")
        body = self._results(campaign)
        data = {"campaign": code, "posts": [
            {"post": p["post"], "seats": p["seats"],
             "ranking": [{k: row[k] for k in ("exam_number", "name", "rank", "status", "total")}
                         for row in p["ranking"]]} for p in body["posts"]]}
        envelope = self.caller.envelope("campaign.results_published", f"campaign:{code}",
                                        schemas.ResultsPublished().dump(data))
        now = _now()
        if outbox.modify(Campaign.objects(code=code, published=False),
                         {"set__published": True, "set__published_at": now}, [envelope]) is None:
            raise Conflict("the results are already published", "exists")
        return {"campaign": code, "published_at": rfc3339(now), **body}
