"""Between the documents and the rules for selections: domain values from stored documents, the guarded
change of a selection (optimistic, by ``version``), headcount updates, the ballot-token key, and the views.
Units, posts and cadres are in ``registry``."""

import logging
import secrets
from collections import Counter
from dataclasses import dataclass, field

from services.common import applied, config, keyfiles, outbox, paging, retry
from services.common.clock import as_utc, rfc3339
from services.common.copies import LastWritten
from services.common.errors import Conflict, NotFound
from services.nomination import contract, telemetry
from services.nomination.domain import ballots as ballots_rules
from services.nomination.domain import listing, stages, vocabulary
from services.nomination.domain import nomination as nomination_rules
from services.nomination.domain.ballots import SessionOutcome
from services.nomination.domain.qualification import Qualification
from services.nomination.domain.selection import Selection as SelectionValue
from services.nomination.models import (
    AssessmentRanking,
    BallotSession,
    Cadre,
    CampaignResult,
    Nomination,
    Post,
    Selection,
)

log = logging.getLogger(__name__)

# --- the ballot-token key -----------------------------------------------------------------------

_key_cache = {}


def ballot_key():
    """The HMAC key of ballot-token hashes: BALLOT_TOKEN_KEY, or a key generated once into the data dir."""
    configured = config.get("BALLOT_TOKEN_KEY")
    if configured:
        key = configured.encode("utf-8")
        if len(key) < ballots_rules.MIN_KEY_BYTES:
            raise RuntimeError(f"BALLOT_TOKEN_KEY must be at least {ballots_rules.MIN_KEY_BYTES} bytes")
        return key
    path = config.data_dir() / "keys" / "ballot.key"
    if path in _key_cache:
        return _key_cache[path]
    key = bytes.fromhex(keyfiles.read_or_create(path, lambda: secrets.token_hex(32)))
    _key_cache[path] = key
    return key


# --- domain values from documents ----------------------------------------------------------------


def load_selection(selection_id):
    doc = Selection.objects(id=selection_id).first()
    if doc is None:
        raise NotFound(f"no selection {selection_id!r}")
    return doc


def selection_value(doc) -> SelectionValue:
    return SelectionValue(
        id=doc.id,
        post=doc.post,
        post_rank=doc.post_rank,
        category=doc.category,
        vacancies=doc.vacancies,
        competitive=doc.competitive,
        stage=doc.stage,
        proposed_by=doc.proposed_by,
    )


def qualification_value(doc):
    q = doc.qualification or None
    if not q:
        return None
    conditions = q.get("conditions") or {}
    return Qualification(conditions.get("min_rank"), conditions.get("min_grassroots_years"), frozenset(q["scope"]))


def session_outcome(doc) -> SessionOutcome:
    result = doc.result or {}
    votes = {item["cadre"]: item["votes"] for item in result.get("results", [])}
    return SessionOutcome(
        doc.id,
        doc.selection,
        doc.kind,
        bool(doc.tallied),
        bool(result.get("quorum_met")),
        int(result.get("valid", 0)),
        votes,
    )


def nomination_evidence(doc, cadre, basis):
    """(ballot session outcome, campaign outcome) that a nomination's ``basis`` names; None where it
    names none, or one this service does not hold (the rules then refuse the basis)."""
    if not (isinstance(basis, dict) and len(basis) == 1):
        return None, None
    ((kind, reference),) = basis.items()
    if not isinstance(reference, str):
        return None, None
    if kind == "ballot_session":
        found = BallotSession.objects(id=reference, selection=doc.id).first()
        return (session_outcome(found) if found else None), None
    if kind == "campaign":
        found = CampaignResult.objects(campaign=reference).order_by("-published_at").first()
        return None, nomination_rules.campaign_outcome(
            reference, found.posts if found else None, doc.post, cadre.code, cadre.name
        )
    return None, None


def ranking_inputs(doc):
    """What ``domain.ranking.rank_nominees`` weighs for a selection: its nominees (the shortlist once
    deliberated, else every nomination in order; voided ones left out), the inspection ratings, the
    latest assessment score of each nominee's unit, grassroots years and the tallied ballot sessions."""
    if doc.shortlist:
        nominees = [c for c in doc.shortlist if c not in doc.voided]
    else:
        nominees = [
            n.cadre for n in Nomination.objects(selection=doc.id).order_by("created_at") if n.cadre not in doc.voided
        ]
    cadres = {c.code: c for c in Cadre.objects(code__in=nominees)}
    latest = AssessmentRanking.objects.order_by("-ranked_at").first()
    scores = {u["unit"]: u["score"] for u in (latest.units if latest else [])}
    return {
        "nominees": nominees,
        "ratings": dict(doc.ratings),
        "performance": {c: scores.get(cadres[c].unit) if c in cadres else None for c in nominees},
        "grassroots_years": {c: cadres[c].grassroots_years for c in nominees if c in cadres},
        "sessions": selection_sessions(doc.id),
        "weights": dict(doc.weights) or None,
    }


def selection_sessions(selection_id):
    return [session_outcome(s) for s in BallotSession.objects(selection=selection_id, tallied=True)]


# --- changing a selection ------------------------------------------------------------------------


@dataclass
class Change:
    """What one decision about a selection writes: mongoengine updates, events, and the answer."""

    updates: dict = field(default_factory=dict)
    envelopes: list = field(default_factory=list)
    result: object = None
    # run after the decision and before the selection is written (idempotent, keyed effects)
    before_write: object = None


def transition(doc, new_stage, action, now, caller, change):
    """Add the stage change (history item and ``selection.stage_changed``) to ``change``, if any."""
    new_stage = str(new_stage)
    if new_stage == doc.stage:
        return change
    item = {"stage": new_stage, "previous": doc.stage, "action": str(action), "at": rfc3339(now)}
    change.updates["set__stage"] = new_stage
    change.updates["set__history"] = list(doc.history) + [item]
    data = {"selection": doc.id, "stage": new_stage, "previous": doc.stage}
    change.envelopes.append(
        caller.envelope("selection.stage_changed", f"selection:{doc.id}", contract.StageChanged().dump(data))
    )
    return change


def change_selection(selection_id, decide, *, once=None, attempts=10):
    """Apply ``decide(doc) -> Change|None`` to the selection under the guard of its ``version``;
    redone on a fresh read when another change got there first. With ``once`` (an envelope id)
    the change is applied at most once. Returns the change's result (None if already handled)."""
    return _apply(selection_id, decide, once, attempts)[0]


def act(selection_id, decide):
    """A call on a selection: apply its decision and answer with the selection's new state."""
    return selection_view(_apply(selection_id, decide, None, 10)[1])


# Each selection as this process last wrote it: the next step on it is decided on this copy, and its write,
# guarded by the copy's version, checks it (services/common/copies.py).
_WRITTEN = LastWritten()


def written(doc):
    """Keep ``doc`` as this process just wrote it (created, or as a guarded write returned it)."""
    _WRITTEN.keep(doc.id, doc)
    return doc


def _apply(selection_id, decide, once, attempts):
    """(the change's result, the selection as written)."""

    def attempt(doc):
        if once is not None and once in doc.handled:  # marks are never taken back: a copy's word holds too
            return None, doc
        change = decide(doc) or Change()
        if change.before_write is not None:
            change.before_write()
        updates = dict(change.updates)
        updates["inc__version"] = 1
        made = outbox.modify(
            Selection.objects(id=selection_id, version=doc.version), updates, change.envelopes, once=once
        )
        if made is None:
            return None
        telemetry.refresh_stage_gauge_soon()
        return change.result, made

    return retry.until_written(
        lambda: _WRITTEN.attempt(selection_id, lambda: load_selection(selection_id), attempt),
        attempts,
        gave_up=Conflict("the selection kept changing under this request; retry"),
    )


# --- headcount books -----------------------------------------------------------------------------


def reserve(post_code, vacancies):
    """Hold ``vacancies`` of the post in ONE guarded atomic update; False when not that many are free.

    In a keyed request the hold is marked with the request, so the retry of a request that died
    after holding (and before its selection was stored) reuses that hold instead of taking another.
    """
    mark = _hold_mark()
    if mark is None:
        return (
            Post.objects(code=post_code, free__gte=vacancies).modify(
                new=True, inc__free=-vacancies, inc__reserved=vacancies
            )
            is not None
        )
    held = Post.objects(code=post_code, free__gte=vacancies, handled__nin=[mark]).modify(
        new=True, inc__free=-vacancies, inc__reserved=vacancies, push__handled=mark
    )
    return held is not None or Post.objects(code=post_code, handled=mark).first() is not None


def _hold_mark():
    # not the request's own stamp: a hold alone does not mean the request took effect
    stamp = applied.stamp()
    return f"{stamp}:hold" if stamp else None


def release(post_code, vacancies, key):
    """Give a closed selection's vacancies back, once per ``key`` (redeliveries change nothing)."""
    outbox.modify(Post.objects(code=post_code), {"inc__reserved": -vacancies, "inc__free": vacancies}, once=key)


def unreserve(post_code, vacancies):
    """Undo a reservation whose selection could not be stored."""
    mark = _hold_mark()
    if mark is None:
        Post.objects(code=post_code).modify(inc__free=vacancies, inc__reserved=-vacancies)
    else:
        Post.objects(code=post_code, handled=mark).modify(
            inc__free=vacancies, inc__reserved=-vacancies, pull__handled=mark
        )


def appoint(post_code, appointees, vacancies, key):
    """occupied += appointees, reserved -= vacancies, once per ``key``."""
    outbox.modify(
        Post.objects(code=post_code),
        {"inc__occupied": appointees, "inc__reserved": -vacancies, "inc__free": vacancies - appointees},
        once=key,
    )


# --- views ---------------------------------------------------------------------------------------


def selection_facts(doc):
    """The selection as supervision needs it to act on it: its post, whether it was inspected and
    whose joint reviews that opened, and whether it was decided."""
    return {
        "selection": doc.id,
        "post": doc.post,
        "post_title": doc.post_title,
        "key_leadership": doc.category == "key_leadership",
        "inspected": bool(doc.ratings),
        "under_review": [c for c in doc.shortlist if c not in doc.voided] if doc.ratings else [],
        "decided": bool(doc.decision),
    }


def selection_summary(doc):
    return {
        "id": doc.id,
        "post": doc.post,
        "mode": doc.mode,
        "competitive": doc.competitive,
        "slate_ratio": doc.slate_ratio,
        "stage": doc.stage,
        "vacancies": doc.vacancies,
    }


def nominee_status(doc, cadre):
    if cadre in doc.voided:
        return vocabulary.VOIDED
    if cadre in doc.appointees:
        return vocabulary.APPOINTED if doc.appointed_at is not None else vocabulary.APPOINTEE
    if cadre in doc.shortlist:
        return vocabulary.SHORTLISTED
    return vocabulary.NOMINATED


def selection_view(doc):
    nominations = (
        list(Nomination.objects(selection=doc.id).order_by("created_at")) if stages.may_have_nominees(doc.stage) else []
    )
    # each nominee's name, so that the console reads people by name: one query for all of them
    names = (
        {c.code: c.name for c in Cadre.objects(code__in=[n.cadre for n in nominations]).only("code", "name")}
        if nominations
        else {}  # no nominee, no names to look up: a round trip saved on every step before nomination
    )
    view = selection_summary(doc)
    view.update(
        {
            "post_title": doc.post_title,
            "category": doc.category,
            "motion": {"proposed_by": doc.proposed_by, "reason": doc.reason},
            "weights": dict(doc.weights),
            "qualification": dict(doc.qualification) if doc.qualification else None,
            "consultations": [dict(c) for c in doc.consultations],
            "nominees": [
                {
                    "cadre": n.cadre,
                    "name": names.get(n.cadre),
                    "status": nominee_status(doc, n.cadre),
                    "basis": dict(n.basis),
                }
                for n in nominations
            ],
            "history": [dict(h) for h in doc.history],
            "notice": doc.notice,
            "closed_reason": doc.closed_reason,
        }
    )
    return view


# --- the console's list --------------------------------------------------------------------------

_LISTED = ("_id", "post", "post_title", "mode", "competitive", "vacancies", "stage", "created_at")


def list_selections(query):
    """A page of selections, newest first (by creation time, then id), at ``query["stage"]`` if given."""
    limit, cursor = query["limit"], query.get("cursor")
    filters = {"stage": query["stage"]} if query.get("stage") else {}
    if cursor is not None:
        filters["created_at"] = {"$lt": listing.asked_before(listing.check_cursor(cursor))}
    found = Selection._get_collection().find(filters, dict.fromkeys(_LISTED, 1)).sort([("created_at", -1), ("_id", -1)])
    rows = []
    for doc in found:  # the query gave a superset of the page: the key cuts it exactly
        if listing.after_cursor(_listing_key(doc), cursor):
            rows.append(doc)
            if len(rows) > limit:
                break
    found.close()
    counts = Counter(
        n["selection"]
        for n in Nomination._get_collection().find(
            {"selection": {"$in": [doc["_id"] for doc in rows[:limit]]}}, {"selection": 1}
        )
    )
    return paging.page(rows, limit, _listing_key, lambda doc: selection_listed(doc, counts[doc["_id"]]))


def _listing_key(doc):
    return listing.listing_key(as_utc(doc.get("created_at")), doc["_id"])


def selection_listed(doc, nominees):
    """A stored selection (as the database gives it) as one item of the console's list."""
    item = {
        "id": doc["_id"],
        "post": doc["post"],
        "post_title": doc.get("post_title"),
        "mode": doc["mode"],
        "competitive": doc["competitive"],
        "vacancies": doc["vacancies"],
        "stage": doc["stage"],
    }
    if doc.get("created_at") is not None:
        item["created_at"] = rfc3339(doc["created_at"])
    item["nominees"] = nominees
    item["next_actions"] = [str(action) for action in stages.next_actions(doc["stage"])]
    return item
