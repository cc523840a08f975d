"""Each step of a selection's procedure as the change it writes: the rule's verdict (from ``domain/``)
turned into the selection's updates, its events and its stage change. ``store.act`` and
``store.change_selection`` apply these under the selection's version guard; ``service.py`` only picks
the step. The steps that write documents of their own (opening, nominations) store them with their event
here; the ballot sessions' steps are in ``ballot_sessions.py``, the decision and the appointment (which may
ask supervision) in ``appointing.py``, and what supervision's events tell us in ``heard.py``."""

from services.common import outbox
from services.common.clock import rfc3339, utcnow
from services.common.errors import Invalid, RuleViolation
from services.nomination import contract, registry, store
from services.nomination.domain import appointment as appointment_rules
from services.nomination.domain.consultation import record_consultation
from services.nomination.domain.deliberation import check_deliberation
from services.nomination.domain.inspection import check_inspection
from services.nomination.domain.nomination import check_nomination
from services.nomination.domain.qualification import set_qualification
from services.nomination.domain.selection import open_selection
from services.nomination.domain.stages import Action, Stage, check_stage
from services.nomination.models import Cadre, Nomination, Post, Selection
from services.nomination.store import Change, transition


def subject(selection_id):
    """The subject of a selection's events and records entries."""
    return f"selection:{selection_id}"


def cadre_names(codes):
    """The cadres of ``codes`` with their names, as the events name them."""
    found = {c.code: c.name for c in Cadre.objects(code__in=list(codes)).only("code", "name")}
    return [{"cadre": code, "name": found.get(code, "")} for code in codes]


# --- the organization department's steps (RPC) ---------------------------------------------------


def opening(body, caller):
    """Open a selection on a post: the opening rule, then the seats held on the post (the guarded
    update decides; the rule only read the books), then the selection and its event. The seats go
    back if the selection cannot be written."""
    post = Post.objects(code=body["post"]).first()
    if post is None:
        raise Invalid({"post": ["unknown post"]})
    opened = open_selection(
        registry.post_value(post),
        vacancies=body["vacancies"],
        competitive=body["competitive"],
        motion=body["motion"],
        weights=body.get("weights"),
    )
    if not store.reserve(post.code, opened.vacancies):
        raise RuleViolation("more vacancies than the post has free", "over_headcount")
    doc = Selection(
        post=post.code,
        post_title=post.title,
        post_rank=post.rank,
        category=post.category,
        mode=opened.mode,
        competitive=opened.competitive,
        slate_ratio=opened.slate_ratio,
        vacancies=opened.vacancies,
        stage=str(opened.stage),
        proposed_by=opened.motion.proposed_by,
        reason=opened.motion.reason,
        weights=opened.weights,
    )
    data = {
        "selection": doc.id,
        "post": post.code,
        "mode": opened.mode,
        "competitive": opened.competitive,
        "vacancies": opened.vacancies,
        "key_leadership": post.category == "key_leadership",
    }
    try:
        outbox.insert(doc, caller.envelope("selection.opened", subject(doc.id), contract.SelectionOpened().dump(data)))
    except Exception:
        store.unreserve(post.code, opened.vacancies)
        raise
    return store.written(doc)


def qualification(doc, body, caller):
    qualified = set_qualification(doc.stage, body["conditions"], body["scope"])
    change = Change(updates={"set__qualification": qualified.as_dict()})
    change.envelopes.append(
        caller.envelope(
            "selection.qualified",
            subject(doc.id),
            contract.SelectionQualified().dump({"selection": doc.id, **qualified.as_dict()}),
        )
    )
    return transition(doc, Stage.QUALIFICATION, Action.QUALIFICATION, utcnow(), caller, change)


def consultation(doc, body, caller):
    heard = record_consultation(doc.stage, doc.sources_heard, source=body["source"], opinion=body["opinion"])
    now = utcnow()
    item = {"source": heard.source, "opinion": heard.opinion, "at": rfc3339(now)}
    change = Change(
        updates={
            "set__sources_heard": sorted(heard.sources_heard),
            "set__consultations": list(doc.consultations) + [item],
        }
    )
    change.envelopes.append(
        caller.envelope(
            "selection.consulted",
            subject(doc.id),
            contract.SelectionConsulted().dump({"selection": doc.id, "source": heard.source}),
        )
    )
    return transition(doc, heard.stage, Action.CONSULTATION, now, caller, change)


def nomination(doc, body, caller):
    """A nomination in the selection: the stage, the cadre known, then the rules on the evidence its
    basis names; stored with its event (409 ``exists`` for a cadre nominated before)."""
    check_stage(Action.NOMINATION, doc.stage)  # out_of_order comes before a 400 on the cadre
    cadre = registry.require_cadre(body["cadre"])
    basis = body.get("basis")
    session, campaign = store.nomination_evidence(doc, cadre, basis)
    made = check_nomination(
        store.selection_value(doc),
        registry.cadre_value(cadre),
        store.qualification_value(doc),
        basis=basis,
        disclosure=body.get("disclosure"),
        relations=body.get("relations"),
        session=session,
        campaign=campaign,
    )
    nominated = Nomination(
        selection=doc.id,
        cadre=cadre.code,
        basis=made.basis.as_dict(),
        personal_matters_reported=made.personal_matters_reported,
        relations=[{"person": r.person, "kind": r.kind} for r in made.relations],
    )
    outbox.insert(
        nominated,
        caller.envelope(
            "nomination.made",
            subject(doc.id),
            contract.NominationMade().dump({"selection": doc.id, "cadre": cadre.code, "basis": made.basis.as_dict()}),
        ),
        exists_detail="this cadre is already nominated in this selection",
    )
    return {
        "id": nominated.id,
        "selection": doc.id,
        "cadre": cadre.code,
        "basis": made.basis.as_dict(),
        "status": made.status,
    }


def deliberation(doc, body, caller):
    nominated = [n.cadre for n in Nomination.objects(selection=doc.id).only("cadre") if n.cadre not in doc.voided]
    result = check_deliberation(
        store.selection_value(doc), meeting=body["meeting"], nominees=body["nominees"], nominated=nominated
    )
    meeting = dict(body["meeting"])
    change = Change(updates={"set__shortlist": list(result.nominees), "set__deliberation": meeting})
    change.envelopes.append(
        caller.envelope(
            "selection.deliberated",
            subject(doc.id),
            contract.SelectionDeliberated().dump(
                {"selection": doc.id, "nominees": list(result.nominees), "meeting": meeting}
            ),
        )
    )
    return transition(doc, result.stage, Action.DELIBERATION, utcnow(), caller, change)


def inspection(doc, body, caller):
    nominees = [c for c in doc.shortlist if c not in doc.voided]
    result = check_inspection(doc.stage, reports=body["reports"], nominees=nominees)
    change = Change(updates={"set__ratings": result.ratings()})
    change.envelopes.append(
        caller.envelope(
            "selection.inspected",
            subject(doc.id),
            contract.SelectionInspected().dump(
                {
                    "selection": doc.id,
                    "post": doc.post,
                    "post_title": doc.post_title,
                    "key_leadership": doc.category == "key_leadership",
                    "nominees": cadre_names(nominees),
                }
            ),
        )
    )
    return transition(doc, result.stage, Action.INSPECTION, utcnow(), caller, change)


def filing(doc, body, caller):
    filed = appointment_rules.check_filing(doc.stage, filed_with=body["filed_with"], reference=body["reference"])
    now = utcnow()
    data = {"selection": doc.id, "filed_with": filed.filed_with, "reference": filed.reference}
    change = Change(updates={"set__filing": {**data, "at": rfc3339(now)}, "set__closed_reason": "filed"})
    change.envelopes.append(caller.envelope("filing.recorded", subject(doc.id), contract.FilingRecorded().dump(data)))
    change.envelopes.append(
        caller.envelope(
            "selection.closed",
            subject(doc.id),
            contract.SelectionClosed().dump({"selection": doc.id, "reason": "filed"}),
        )
    )
    return transition(doc, filed.stage, Action.FILING, now, caller, change)
