"""Sealed sheets in the database: a vendor's sheet checked and kept; a stage's closed, read and recorded at unseal."""

import uuid
from collections import Counter as Tally

from services.common import outbox
from services.common.clock import utcnow
from services.common.errors import Conflict, Forbidden, RuleViolation
from services.examination import contract, store, telemetry
from services.examination.domain import vendors
from services.examination.models import Campaign, Sheet
from services.examination.sealing import verify_receipt


def receive_sheet(code, actor, body, event):
    """Check a vendor's sealed sheet and keep it (403 not the stage's examiner, 422 a bad receipt, 409 sent
    before or its stage unsealed); the kept sheet.

    ``event(type, campaign, schema, data)`` makes an envelope (the service's ``_event``).
    """
    campaign, stage = store.campaign(code, "drawn", "draw", "unsealed", "closing"), body["stage"]
    signing_key = store.vendor_signing_key(actor)
    vendors.check_stage_access(stage, store.roles_held(code, actor, [vendors.stage_role(stage)]))
    if stage == "interview" and campaign.drawn and actor not in campaign.draw.get("examiners", []):
        raise Forbidden("the vendor was not drawn as an interview examiner")
    try:
        received = verify_receipt(body, code, signing_key, actor)
        if stage in campaign.unsealed or stage in campaign.closing:
            raise Conflict("this stage is already unsealed", "already_unsealed")
        sheet = add_sheet(
            code,
            actor,
            received,
            utcnow(),
            lambda s: event(
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
    return sheet


def add_sheet(code, actor, received, now, envelope_of):
    """Keep a sheet received sealed; 409 when it was sent before or its stage began to unseal meanwhile.

    ``envelope_of(sheet)`` makes the ``sheet.received`` envelope once the sheet is surely kept.
    """
    sheet = Sheet(
        id=uuid.uuid4().hex,
        campaign=code,
        stage=received.stage,
        vendor=actor,
        examiner=received.examiner,
        ciphertext=received.ciphertext,
        commitment=received.commitment,
        signature=received.signature,
        ciphertext_sha256=received.ciphertext_sha256,
        received_at=now,
    )
    try:
        outbox.insert(sheet)
    except Conflict:
        raise Conflict("this sheet was already submitted", "already_submitted")
    # The unseal marks the stage closing, then takes the sheets there are, then reads the taken ones.
    # A sheet that sees no mark was inserted before the take: it is opened. One that sees the mark was
    # taken or not, and the guarded delete tells which, atomically: not taken, it is withdrawn and
    # refused; taken, the unseal opens it, so it is kept and answered as kept.
    if received.stage in store.campaign(code, "closing").closing:
        if Sheet._get_collection().delete_one({"_id": sheet.id, "taken": False}).deleted_count:
            raise Conflict("this stage is already unsealed", "already_unsealed")
    outbox.append(Sheet, sheet.id, [envelope_of(sheet)])  # inserted without events: its outbox holds none
    return sheet


def close_stage(code, stage):
    """Mark the stage closing, then take every sheet of it there is: from now on no sheet of it is kept
    but those taken (``add_sheet`` checks the mark), and the unseal reads exactly those."""
    Campaign.objects(code=code).modify(push__closing=stage)
    Sheet._get_collection().update_many({"campaign": code, "stage": stage}, {"$set": {"taken": True}})


def sealed_sheets(code, stage):
    """The stage's sheets taken by its unseal, still sealed, with their signed examiners."""
    return [
        {"id": r["_id"], "examiner": r.get("examiner"), "ciphertext": r["ciphertext"], "commitment": r["commitment"]}
        for r in Sheet._get_collection().find(
            {"campaign": code, "stage": stage, "taken": True}, {"examiner": 1, "ciphertext": 1, "commitment": 1}
        )
    ]


def reopen_stage(code, stage):
    Campaign.objects(code=code).modify(pull__closing=stage)


def problem_summary(problems):
    """Problems per sheet and code, with how many entries each covers: what events and answers carry."""
    tally = Tally((p.sheet, p.code) for p in problems)
    return [{"sheet": sheet, "code": code, "count": n} for (sheet, code), n in sorted(tally.items())]


def record_unseal(code, stage, sheets, accepted, stage_scores, problems, summary, envelope):
    """Store a stage's scores and each sheet's outcome; 409 when the stage was unsealed meanwhile."""
    done = outbox.modify(
        Campaign.objects(code=code, unsealed__nin=[stage]),
        {
            f"set__scores__{stage}": {bc: str(s) for bc, s in stage_scores.items()},
            f"set__problems__{stage}": summary,
            "push__unsealed": stage,
        },
        [envelope],
    )
    if done is None:
        raise Conflict("this stage is already unsealed", "already_unsealed")
    by_sheet = {}
    for p in problems:
        by_sheet.setdefault(p.sheet, []).append(p.as_dict())
    coll = Sheet._get_collection()
    for sheet in sheets:
        status = "opened" if sheet["id"] in accepted else "rejected"
        coll.update_one(
            {"_id": sheet["id"]}, {"$set": {"status": status, "problems": by_sheet.get(sheet["id"], [])[:1000]}}
        )
