"""The unseal ceremony: an officer's share taken, the shares so far held in this process only, a stage opened.

Shares given so far per (campaign, stage) live in this process's memory only — never in the database,
which would hand whoever reads it the key. A restart during a ceremony means officers give theirs again.
One lock per (campaign, stage) makes officers arriving together wait for each other, so a quorum is
counted, and a stage opened, once.
"""

from contextlib import contextmanager

from eventlet.semaphore import Semaphore

from services.common import outbox
from services.common.clock import as_utc, utcnow
from services.common.errors import Forbidden, RuleViolation
from services.examination import contract, sheets, store, telemetry
from services.examination.domain import campaigns, results
from services.examination.models import Campaign
from services.examination.sealing import UnsealQuorum, open_sheets

_PENDING = {}
_LOCKS = {}


def take_share(code, stage, officer, share, event):
    """An unsealing officer's share for ``stage``: ``pending`` below the threshold, the stage opened at it.

    ``event(type, campaign, schema, data)`` makes an envelope (the service's ``_event``).
    """
    if officer not in (store.campaign(code).share_hashes or {}):
        telemetry.SHARES_REFUSED.labels("forbidden").inc()
        raise Forbidden("only the campaign's unsealing officers may give a share")
    with turn(code, stage):
        campaign = store.campaign(code)
        campaigns.check_unseal(stage, utcnow(), as_utc(campaign.not_before), campaign.unsealed)
        quorum, shares = give(campaign, stage, officer, share)  # 422 invalid_share
        data = {
            "campaign": code,
            "stage": stage,
            "officer": officer,
            "shares": shares,
            "threshold": campaign.threshold,
        }
        outbox.modify(Campaign.objects(code=code), {}, [event("share.given", code, contract.ShareGiven, data)])
        if not quorum.ready:
            return {"status": "pending", "shares": shares, "threshold": campaign.threshold}
        try:
            return open_stage(
                campaign,
                stage,
                quorum,
                lambda found: event("campaign.unsealed", code, contract.CampaignUnsealed, found),
            )
        finally:
            forget(code, stage, quorum)


@contextmanager
def turn(code, stage):
    """Wait for this (campaign, stage)'s turn."""
    with _LOCKS.setdefault((code, stage), Semaphore(1)):
        yield


def give(campaign, stage, officer, share):
    """Add an officer's share (422 ``invalid_share`` when it is not the one issued); the quorum and its count.

    Call within ``turn``.
    """
    key = (campaign.code, stage)
    quorum = _PENDING.get(key) or UnsealQuorum(
        campaign.code, campaign.threshold, dict(campaign.share_hashes), campaign.public_key
    )
    try:
        shares = quorum.add(officer, share)
    except RuleViolation as refused:
        telemetry.SHARES_REFUSED.labels(refused.code).inc()
        raise
    _PENDING[key] = quorum
    telemetry.SHARES_GIVEN.labels(stage).inc()
    return quorum, shares


def forget(code, stage, quorum):
    """Drop the key material whatever happened: officers give their shares again if need be."""
    _PENDING.pop((code, stage), None)
    quorum.given.clear()


def open_stage(campaign, stage, quorum, envelope_of):
    """Rebuild the key, open and score every sheet of ``stage``, store the scores; the answer of the last share.

    ``envelope_of(data)`` makes the ``campaign.unsealed`` envelope from what the unseal found.
    """
    code = campaign.code
    private_key = quorum.private_key()
    sheets.close_stage(code, stage)
    try:
        sealed = sheets.sealed_sheets(code, stage)
        candidates = store.candidates(code)
        if stage == "interview":
            known = store.shortlisted(campaign, candidates)
            examiners = campaign.draw.get("examiners") if campaign.drawn else None
        else:
            known = {c.blind_code for c in candidates}
            examiners = None
        opened = open_sheets(private_key, sealed, code, stage, known, examiners)
    except Exception:
        sheets.reopen_stage(code, stage)
        raise
    finally:
        del private_key
    scores, duplicates = results.stage_scores(opened.sheets, stage)
    problems = opened.problems + duplicates
    summary = sheets.problem_summary(problems)
    envelope = envelope_of({"campaign": code, "stage": stage, "sheets": len(sealed), "problems": summary})
    sheets.record_unseal(code, stage, sealed, {s.sheet for s in opened.sheets}, scores, problems, summary, envelope)
    telemetry.UNSEALS.labels(stage).inc()
    for p in problems:
        telemetry.SHEET_PROBLEMS.labels(p.code).inc()
    return {"status": "unsealed", "sheets": len(sealed), "problems": summary}
