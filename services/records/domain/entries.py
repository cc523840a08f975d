"""What goes into a record: entry fields from any event envelope, or from a manual entry, without personal data."""

import math
import re

from services.common.errors import Invalid
from services.records.contract import RECORD_STAGES
from services.records.log import jcs

RECORDER = "records-service"

STAGE_BY_EVENT_TYPE = {
    "selection.opened": "motion",
    "selection.qualified": "qualification",
    "selection.consulted": "consultation",
    "ballot_session.opened": "recommendation",
    "ballot_session.closed": "recommendation",
    "nomination.made": "nomination",
    "nomination.voided": "nomination",
    "selection.deliberated": "deliberation",
    "selection.inspected": "inspection",
    "review.opened": "joint_review",
    "review.cleared": "joint_review",
    "review.vetoed": "joint_review",
    "review.overdue": "joint_review",
    # The pre-appointment report (任前报审) and the observer (任中派员列席) serve the decision meeting.
    "pre_report.approved": "decision",
    "selection.decided": "decision",
    "notice.opened": "public_notice",
    "objection.lodged": "public_notice",
    "objection.resolved": "public_notice",
    "notice.closed": "public_notice",
    "selection.appointed": "appointment",
    "filing.recorded": "filing",
    "campaign.opened": "examination",
    "sheet.received": "examination",
    "campaign.unsealed": "examination",
    "campaign.results_published": "examination",
}

# Event types this table has never seen still land in a stage through their aggregate.
STAGE_BY_AGGREGATE = {
    "ballot_session": "recommendation",
    "ballot": "recommendation",
    "nomination": "nomination",
    "review": "joint_review",
    "pre_report": "decision",
    "observer": "decision",
    "decision": "decision",
    "notice": "public_notice",
    "objection": "public_notice",
    "appointment": "appointment",
    "filing": "filing",
    "campaign": "examination",
    "application": "examination",
    "sheet": "examination",
    "paper": "examination",
    "vendor": "examination",
}

# Keys whose values are never recorded, at any depth: personal data (DESIGN.md
# "Security") and secrets that must exist in one place only.
NEVER_RECORDED_KEYS = frozenset(
    {
        "id_number",
        "birth_date",
        "token",
        "tokens",
        "share",
        "key_shares",
        "private_key",
        "seed",
    }
)

# A PRC resident ID number (18 characters, the last a digit or X) inside free text.
_ID_NUMBER_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
REDACTED = "[redacted]"

RESULT_MAX_CHARS = 1000
_ELLIPSIS = "…"


def is_recordable(envelope):
    """False for the records service's own events, which would otherwise record themselves forever."""
    return envelope.get("source") != "records" and not str(envelope.get("type", "")).startswith("record.")


def without_personal_data(value):
    """A JSON-safe copy of ``value`` with never-recorded keys dropped and ID numbers in text redacted."""
    if isinstance(value, dict):
        return {
            str(key): without_personal_data(item)
            for key, item in value.items()
            if str(key).lower() not in NEVER_RECORDED_KEYS
        }
    if isinstance(value, (list, tuple)):
        return [without_personal_data(item) for item in value]
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        # JCS only carries integers a double holds exactly; larger ones are kept as text.
        return value if abs(value) <= 2**53 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return _ID_NUMBER_IN_TEXT.sub(REDACTED, value if isinstance(value, str) else str(value))


def stage_of(event_type, data):
    """The record stage of an event: its table entry, the stage it announces, or its aggregate's; else None."""
    if event_type == "selection.stage_changed":
        stage = data.get("stage")
        return stage if isinstance(stage, str) and stage else None
    if event_type in STAGE_BY_EVENT_TYPE:
        return STAGE_BY_EVENT_TYPE[event_type]
    announced = data.get("stage")
    if isinstance(announced, str) and announced in RECORD_STAGES:
        return announced
    aggregate = event_type.split(".", 1)[0]
    return STAGE_BY_AGGREGATE.get(aggregate)


def matter_of(event_type):
    """ "selection.stage_changed" → "selection stage changed"."""
    return " ".join(event_type.replace(".", " ").replace("_", " ").split()) or None


def result_of(data):
    """Canonical JSON of the (already cleaned) data, cut at RESULT_MAX_CHARS so a record stays readable."""
    if data in (None, {}, []):
        return None
    text = jcs.dumps(data).decode("utf-8")
    if len(text) > RESULT_MAX_CHARS:
        text = text[: RESULT_MAX_CHARS - len(_ELLIPSIS)] + _ELLIPSIS
    return text


def place_of(data):
    place = data.get("place")
    if not isinstance(place, str):
        meeting = data.get("meeting")
        place = meeting.get("place") if isinstance(meeting, dict) else None
    return place if isinstance(place, str) and place else None


def _text_or_none(value):
    if value is None:
        return None
    return without_personal_data(value if isinstance(value, str) else str(value))


def entry_fields_from_event(envelope):
    """The entry fields for one event envelope of any type: who, what, when, where and the outcome."""
    event_type = str(envelope.get("type") or "")
    data = envelope.get("data")
    data = without_personal_data(data) if isinstance(data, dict) else {}
    return {
        "subject": _text_or_none(envelope.get("subject")),
        "stage": stage_of(event_type, data),
        "occurred_at": _text_or_none(envelope.get("occurred_at")),
        "place": place_of(data),
        "responsible": _text_or_none(envelope.get("actor")),
        "matter": matter_of(event_type),
        "result": result_of(data),
        "recorder": RECORDER,
        "correlation_id": _text_or_none(envelope.get("correlation_id")),
    }


MANUAL_FIELDS = ("subject", "stage", "place", "responsible", "matter", "result")
MANUAL_REQUIRED = ("subject", "stage", "matter")


def manual_entry_fields(body, recorder, occurred_at, correlation_id=None):
    """The entry fields of ``POST /api/v1/records``: the body's six fields, the caller as recorder, now as the time."""
    errors = {}
    for name in set(body) - set(MANUAL_FIELDS):
        errors[name] = ["Unknown field."]
    for name in MANUAL_FIELDS:
        value = body.get(name)
        if value is None:
            if name in MANUAL_REQUIRED:
                errors[name] = ["Missing data for required field."]
        elif not isinstance(value, str) or not value.strip():
            errors[name] = ["Not a valid non-empty string."]
    if "stage" not in errors and body.get("stage") not in RECORD_STAGES:
        errors["stage"] = [f"Must be one of: {', '.join(RECORD_STAGES)}."]
    if errors:
        raise Invalid(errors)
    fields = {name: _text_or_none(body.get(name)) for name in MANUAL_FIELDS}
    fields.update(recorder=recorder, occurred_at=occurred_at, correlation_id=correlation_id)
    return fields
