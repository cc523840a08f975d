"""What the other services' events tell us: supervision's each applied to the selection it names, and the
rankings of examination and supervision kept; each once per envelope."""

import logging

from services.common.clock import utcnow
from services.common.envelope import load_event
from services.common.errors import NotFound
from services.common.idempotency import insert_once
from services.nomination import contract, store
from services.nomination.domain.stages import Stage
from services.nomination.models import AssessmentRanking, CampaignResult
from services.nomination.steps import subject
from services.nomination.store import Change, transition

log = logging.getLogger(__name__)


def apply_to_selection(payload, schema, step, caller):
    """Apply ``step`` to the selection a supervision event names, once per envelope; an event about a
    selection this service does not hold is logged and dropped."""
    envelope, data = load_event(payload, schema)
    try:
        store.change_selection(data["selection"], lambda doc: step(doc, data, caller), once=envelope["id"])
    except NotFound:
        log.warning("%s for a selection this service does not hold", envelope["type"])


def _added(doc, field, value):
    """The update that adds ``value`` to the list ``field`` of a selection, unless it is there."""
    return {} if value in getattr(doc, field) else {f"push__{field}": value}


def review_cleared(doc, data, caller):
    return Change(updates=_added(doc, "reviews_cleared", data["cadre"]))


def review_vetoed(doc, data, caller):
    change = Change(updates=_added(doc, "reviews_vetoed", data["cadre"]))
    if data.get("reason") == "concealment" and data["cadre"] not in doc.voided:
        change.updates.update(_added(doc, "voided", data["cadre"]))
        change.envelopes.append(
            caller.envelope(
                "nomination.voided",
                subject(doc.id),
                contract.NominationVoided().dump(
                    {"selection": doc.id, "cadre": data["cadre"], "reason": "concealment"}
                ),
            )
        )
    return change


def pre_report_approved(doc, data, caller):
    return Change(updates={"set__pre_report_approved": True})


def notice_opened(doc, data, caller):
    return Change(updates={"set__notice": data["notice"]})


def objection_lodged(doc, data, caller):
    return Change(updates=_added(doc, "objections_lodged", data["objection"]))


def objection_resolved(doc, data, caller):
    change = Change(updates=_added(doc, "objections_resolved", data["objection"]))
    if data.get("upheld"):
        change.updates.update(_added(doc, "objections_upheld", data["objection"]))
    return change


def notice_closed(doc, data, caller):
    if data["revision"] <= doc.notice_revision:
        return None  # an older outcome than the one we hold
    change = Change(
        updates={
            "set__notice_closed": True,
            "set__notice_outcome": data["outcome"],
            "set__notice_revision": data["revision"],
        }
    )
    if data.get("notice"):
        change.updates["set__notice"] = data["notice"]
    now = utcnow()
    stage = Stage(doc.stage)
    if data["outcome"] == "clear" and stage is Stage.PUBLIC_NOTICE:
        transition(doc, Stage.APPOINTMENT, "notice_closed", now, caller, change)
    elif data["outcome"] == "upheld" and stage in (Stage.PUBLIC_NOTICE, Stage.APPOINTMENT):
        # closed without appointment: the reserved vacancies go back to the post, once
        change.updates.update({"set__closed_reason": "objection_upheld", "set__released": True})
        change.before_write = lambda: store.release(doc.post, doc.vacancies, f"release:{doc.id}")
        change.envelopes.append(
            caller.envelope(
                "selection.closed",
                subject(doc.id),
                contract.SelectionClosed().dump({"selection": doc.id, "reason": "objection_upheld"}),
            )
        )
        transition(doc, Stage.CLOSED, "notice_closed", now, caller, change)
    return change


def keep_campaign_result(envelope, data):
    """Examination's published ranking, kept once per event: the basis of nominations in public selection."""
    insert_once(
        CampaignResult(
            event_id=envelope["id"],
            campaign=data["campaign"],
            published_at=envelope["occurred_at"],
            posts=data["posts"],
        )
    )


def keep_assessment_ranking(envelope, data):
    """Supervision's routine-assessment ranking, kept once per event: the performance component of a ranking."""
    insert_once(
        AssessmentRanking(
            event_id=envelope["id"], period=data["period"], ranked_at=envelope["occurred_at"], units=data["units"]
        )
    )
