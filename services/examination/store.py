"""Between the examination documents and its rules: domain values from documents, guarded writes, views."""

import secrets
import uuid
from decimal import Decimal
from types import SimpleNamespace

from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from services.common import config, keyfiles, outbox
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.facts import Remembered
from services.examination.domain import applications as apps
from services.examination.domain import codes, results
from services.examination.models import Application, Assignment, Campaign, Vendor

_ID_KEY = []


def id_key():
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


# --- reading ----------------------------------------------------------------------------------------


def campaign(code, *fields):
    """The campaign; 404 for an unknown code. With ``fields`` named, only those, as plain values (the field's
    default where the document has none) read without building a document: a sealed sheet reads two such
    views per request, and mongoengine's document was most of what each cost this process."""
    if not fields:
        doc = Campaign.objects(code=code).first()
        if doc is None:
            raise NotFound(f"no campaign {code!r}")
        return doc
    declared = {name: Campaign._fields[name] for name in fields}
    found = Campaign._get_collection().find_one({"code": code}, {field.db_field: 1 for field in declared.values()})
    if found is None:
        raise NotFound(f"no campaign {code!r}")
    return SimpleNamespace(
        **{
            name: found[field.db_field] if field.db_field in found else _default(field)
            for name, field in declared.items()
        }
    )


def _default(field):
    return field.default() if callable(field.default) else field.default


def not_a_campaign(code):
    if Campaign.objects(code=code).only("code").first() is not None:
        raise Conflict(f"campaign {code!r} already exists", "exists")


def vendor(code):
    return Vendor.objects(code=code).first()


def add_vendor(vendor_, envelope):
    doc = Vendor(
        code=vendor_.code,
        name=vendor_.name,
        roles=list(vendor_.roles),
        signing_key=vendor_.signing_key,
        affiliations=list(vendor_.affiliations),
    )
    outbox.insert(doc, envelope, exists_detail=f"vendor {vendor_.code!r} already exists")
    return doc


def add_campaign(body, key, envelope):
    unseal = body["unseal"]
    doc = Campaign(
        code=body["code"],
        title=body["title"],
        posts=body["posts"],
        weights=body["weights"],
        interview_ratio=body["interview_ratio"],
        not_before=unseal["not_before"],
        threshold=unseal["threshold"],
        officers=unseal["officers"],
        share_hashes=key.share_hashes,
        public_key=key.public_key,
    )
    outbox.insert(doc, envelope, exists_detail=f"campaign {doc.code!r} already exists")
    return doc


def add_assignment(view, envelope):
    try:
        outbox.insert(Assignment(**view), envelope)
    except Conflict:
        pass  # assigned already: the same action twice has one effect


def vendor_roles_or_403(campaign_code, actor):
    """The calling vendor's roles in the campaign; 403 for a caller that is no vendor."""
    vendor_signing_key(actor)
    return {a.role for a in Assignment.objects(campaign=campaign_code, vendor=actor).only("role")}


# A vendor's signing key and its assignments are never changed nor removed (API.md has no route that would):
# found once, they need no read again in this process, which a vendor posting sheet after sheet would pay.
_VENDOR_KEYS = Remembered()
_ASSIGNED = Remembered()


def vendor_signing_key(actor):
    """The calling vendor's signing key; 403 for a caller that is no vendor."""

    def find():
        found = Vendor._get_collection().find_one({"code": actor}, {"signing_key": 1})
        return found["signing_key"] if found else None

    key = _VENDOR_KEYS.get(actor, find) if actor else None
    if key is None:
        raise Forbidden("the caller is not a registered vendor")
    return key


def roles_held(campaign_code, actor, roles):
    """Which of ``roles`` the vendor is assigned to the campaign in (remembered once found)."""

    def find_all(unknown):
        asked = [role for _, _, role in unknown]
        found = Assignment.objects(campaign=campaign_code, vendor=actor, role__in=asked).only("role")
        return {(campaign_code, actor, a.role): True for a in found}

    return {role for _, _, role in _ASSIGNED.among([(campaign_code, actor, r) for r in roles], find_all)}


def interview_vendors(campaign_code):
    return [a.vendor for a in Assignment.objects(campaign=campaign_code, role="interview").only("vendor")]


def not_unsealed(doc, what):
    if "written" in doc.unsealed:
        raise Conflict(f"the written stage is unsealed: {what} can no longer change", "wrong_stage")


def scores(doc, stage):
    return {code: Decimal(text) for code, text in (doc.scores or {}).get(stage, {}).items()}


def candidates(code):
    """Eligible applicants holding a blind code: who is scored and ranked."""
    rows = Application._get_collection().find(
        {"campaign": code, "eligibility": "eligible"}, {"exam_number": 1, "name": 1, "post": 1, "blind_code": 1}
    )
    return [
        results.Candidate(r["exam_number"], r["name"], r["post"], r["blind_code"]) for r in rows if r.get("blind_code")
    ]


def seats(doc):
    return {p["code"]: p["seats"] for p in doc.posts}


def shortlisted(doc, candidates_=None):
    if "written" not in doc.unsealed:
        raise Conflict("the interview shortlist exists only after the written unseal", "wrong_stage")
    candidates_ = candidates(doc.code) if candidates_ is None else candidates_
    return results.shortlist(candidates_, scores(doc, "written"), seats(doc), doc.interview_ratio)


def stage_blind_codes(doc, stage):
    """``[{post, blind_code}]`` a stage scores (for interview, the shortlisted), sorted by blind code — never by
    exam number: the order must not hint at who is who."""
    candidates_ = candidates(doc.code)
    if stage == "interview":
        chosen = shortlisted(doc, candidates_)
        candidates_ = [c for c in candidates_ if c.blind_code in chosen]
    return sorted(({"post": c.post, "blind_code": c.blind_code} for c in candidates_), key=lambda i: i["blind_code"])


def rank(doc):
    return results.rank_results(
        [{"code": p["code"], "seats": p["seats"]} for p in doc.posts],
        candidates(doc.code),
        scores(doc, "written"),
        scores(doc, "interview"),
        doc.weights,
        doc.interview_ratio,
        "interview" in doc.unsealed,
    )


def application_view(doc):
    return {
        "id": doc["_id"] if "_id" in doc else doc["id"],
        "post": doc["post"],
        "exam_number": doc["exam_number"],
        "name": doc["name"],
        "eligibility": doc.get("eligibility", "pending"),
    }


# --- applications -----------------------------------------------------------------------------------


def _reserve(code, n):
    """The first of ``n`` fresh application sequence numbers (an atomic counter on the campaign)."""
    doc = Campaign.objects(code=code).modify(new=True, inc__applications=n)
    return doc.applications - n + 1


def _application_doc(code, seq, applicant, key):
    return {
        "_id": uuid.uuid4().hex,
        "campaign": code,
        "seq": seq,
        "post": applicant.post,
        "exam_number": codes.exam_number(code, seq),
        "id_hash": apps.id_number_digest(key, applicant.id_number),
        "name": applicant.name,
        "birth_date": applicant.birth_date,
        "education": applicant.education,
        "eligibility": "pending",
    }


def add_application(code, applicant):
    key = id_key()
    if Application.objects(campaign=code, id_hash=apps.id_number_digest(key, applicant.id_number)).first():
        raise Conflict("this person has already applied in this campaign", "exists")
    doc = _application_doc(code, _reserve(code, 1), applicant, key)
    try:
        Application._get_collection().insert_one(doc)
    except Exception as exc:
        if "duplicate" in str(exc).lower() or "E11000" in str(exc):
            raise Conflict("this person has already applied in this campaign", "exists")
        raise
    return {"id": doc["_id"], "exam_number": doc["exam_number"]}


def registered(code):
    """What ``parse_applications_csv`` asks: is this ID number registered in the campaign already?"""
    key = id_key()
    hashes = {r["id_hash"] for r in Application._get_collection().find({"campaign": code}, {"id_hash": 1})}
    return _Registered(hashes, key)


def add_applications(code, parsed):
    """Insert the parsed good rows at once; ``(imported, rejected)`` with rows lost to a concurrent twin."""
    rejected = list(parsed.rejected)
    imported = 0
    if parsed.applicants:
        key = id_key()
        first = _reserve(code, len(parsed.applicants))
        docs = [_application_doc(code, first + i, a, key) for i, (_, a) in enumerate(parsed.applicants)]
        try:
            imported = len(Application._get_collection().insert_many(docs, ordered=False).inserted_ids)
        except BulkWriteError as exc:
            # Someone else registered the same person meanwhile: that row is refused, the rest kept.
            failed = {e["index"] for e in exc.details.get("writeErrors", [])}
            imported = len(docs) - len(failed)
            for index in sorted(failed):
                row = parsed.applicants[index][0]
                rejected.append({"row": row, "errors": {"id_number": ["has already applied in this campaign"]}})
    return imported, sorted(rejected, key=lambda r: r["row"])


def applications_page(code, after, limit):
    return list(
        Application._get_collection()
        .find(
            {"campaign": code, "seq": {"$gt": after}},
            {"post": 1, "exam_number": 1, "name": 1, "eligibility": 1, "seq": 1},
        )
        .sort("seq", 1)
        .limit(limit + 1)
    )


def application(id):
    doc = Application.objects(id=id).first()
    if doc is None:
        raise NotFound(f"no application {id!r}")
    return doc


def set_eligibility(id, eligibility, reason):
    updated = Application.objects(id=id).modify(new=True, set__eligibility=eligibility, set__reason=reason)
    return application_view(
        {
            "id": updated.id,
            "post": updated.post,
            "exam_number": updated.exam_number,
            "name": updated.name,
            "eligibility": updated.eligibility,
        }
    )


def exam_numbers(code):
    """``{exam_number: application id}`` of a campaign."""
    return {
        r["exam_number"]: r["_id"] for r in Application._get_collection().find({"campaign": code}, {"exam_number": 1})
    }


def apply_eligibility(code, ids, decisions):
    """Apply a file's decisions in one round trip, whatever its length; how many applications matched."""
    if not decisions:
        return 0
    operations = [
        UpdateOne(
            {"_id": ids[d.exam_number], "campaign": code}, {"$set": {"eligibility": d.eligibility, "reason": d.reason}}
        )
        for d in decisions
    ]
    return Application._get_collection().bulk_write(operations, ordered=False).matched_count


def assign_blind_codes(code, pick):
    """Give every eligible applicant without one a fresh blind code; how many were given."""
    coll = Application._get_collection()
    everyone = list(coll.find({"campaign": code}, {"blind_code": 1, "eligibility": 1}))
    taken = {r["blind_code"] for r in everyone if r.get("blind_code")}
    waiting = [r["_id"] for r in everyone if r.get("eligibility") == "eligible" and not r.get("blind_code")]
    fresh = codes.assign_blind_codes(len(waiting), taken, pick)
    if not waiting:
        return 0
    # guarded by blind_code null: an application never gets a second code
    operations = [
        UpdateOne({"_id": pk, "blind_code": None}, {"$set": {"blind_code": bc}}) for pk, bc in zip(waiting, fresh)
    ]
    return coll.bulk_write(operations, ordered=False).modified_count


# --- the interview draw and the results -------------------------------------------------------------


def record_draw(code, result, envelope):
    """Keep the interview draw, once."""
    if (
        outbox.modify(Campaign.objects(code=code, drawn=False), {"set__drawn": True, "set__draw": result}, [envelope])
        is None
    ):
        raise Conflict("the interview draw was already made", "exists")


def publish(code, now, envelope):
    """Mark the results published, once."""
    if (
        outbox.modify(
            Campaign.objects(code=code, published=False), {"set__published": True, "set__published_at": now}, [envelope]
        )
        is None
    ):
        raise Conflict("the results are already published", "exists")
