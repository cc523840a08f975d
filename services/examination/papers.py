"""The exam papers: committed by their setter before the exam, revealed after it against the commitment."""

import uuid

from services.common import outbox
from services.common.clock import as_utc, rfc3339, utcnow
from services.common.errors import Conflict, Forbidden, NotFound, RuleViolation
from services.examination import contract, store
from services.examination.models import Paper
from services.examination.sealing import check_commitment, check_reveal


def commit_paper(code, actor, commitment, event):
    """Keep a question-setting vendor's commitment before the exam; the new paper's id.

    ``event(type, campaign, schema, data)`` makes an envelope (the service's ``_event``).
    """
    campaign = store.campaign(code)
    if "question_setting" not in store.vendor_roles_or_403(code, actor):
        raise Forbidden("the vendor is not assigned to set this campaign's papers")
    commitment = check_commitment(commitment)
    if utcnow() >= as_utc(campaign.not_before):
        raise Conflict("papers are committed before the exam", "wrong_stage")
    paper_id = uuid.uuid4().hex
    data = {"campaign": code, "paper": paper_id, "vendor": actor, "commitment": commitment}
    add_paper(data, utcnow(), event("paper.committed", code, contract.PaperEvent, data))
    return paper_id


def reveal_paper(id, actor, text, event):
    """Reveal a paper after the exam, by the vendor who committed it; a refused reveal is on the record."""
    paper_ = paper(id)
    if paper_.vendor != actor:
        raise Forbidden("only the vendor who committed the paper may reveal it")
    if utcnow() < as_utc(store.campaign(paper_.campaign).not_before):
        raise Conflict("papers are revealed after the exam", "too_early")
    data = {"campaign": paper_.campaign, "paper": paper_.id, "vendor": paper_.vendor, "commitment": paper_.commitment}
    try:
        check_reveal(paper_.commitment, text)
    except RuleViolation:  # refused, and the refusal is on the record
        refuse_reveal(id, event("paper.reveal_refused", paper_.campaign, contract.PaperEvent, data))
        raise
    return reveal(
        paper_,
        text,
        utcnow(),
        lambda: event("paper.revealed", paper_.campaign, contract.PaperEvent, data),
    )


def paper_view(paper):
    return {
        "id": paper.id,
        "campaign": paper.campaign,
        "vendor": paper.vendor,
        "commitment": paper.commitment,
        "status": paper.status,
        "revealed_at": rfc3339(as_utc(paper.revealed_at)) if paper.revealed_at else None,
    }


def paper(id):
    doc = Paper.objects(id=id).first()
    if doc is None:
        raise NotFound(f"no paper {id!r}")
    return doc


def add_paper(data, now, envelope):
    outbox.insert(
        Paper(
            id=data["paper"],
            campaign=data["campaign"],
            vendor=data["vendor"],
            commitment=data["commitment"],
            committed_at=now,
        ),
        envelope,
    )


def refuse_reveal(id, envelope):
    outbox.modify(Paper.objects(id=id), {"inc__refusals": 1}, [envelope])


def reveal(paper_, text, now, envelope_of):
    """Keep a revealed paper once; the paper's view (the same whoever revealed it first)."""
    if paper_.status == "revealed":
        return paper_view(paper_)
    updated = outbox.modify(
        Paper.objects(id=paper_.id, status="committed"),
        {"set__status": "revealed", "set__paper": text, "set__revealed_at": now},
        [envelope_of()],
    )
    if updated is None:  # revealed meanwhile by a concurrent request
        return paper_view(paper(paper_.id))
    paper_.status, paper_.revealed_at = "revealed", now
    return paper_view(paper_)
