"""The data of every event supervision sends on supervision.events, as schemas: what it dumps and what its
consumers load (``services.common.envelope.load_event``)."""

from marshmallow import fields, validate

from services.common.envelope import EventData

NOTICE_OUTCOMES = ("clear", "pending", "upheld")  # how a closed notice came out, as nomination acts on it


class ReviewOpened(EventData):
    review = fields.String(required=True)
    selection = fields.String(required=True)
    cadre = fields.String(required=True)
    due_at = fields.String(required=True)


class ReviewOverdue(EventData):
    review = fields.String(required=True)
    selection = fields.String(required=True)
    cadre = fields.String(required=True)
    missing = fields.List(fields.String(), required=True)


class _ReviewEvent(EventData):
    review = fields.String(required=True)
    selection = fields.String(required=True)
    cadre = fields.String(required=True)


class VerdictGiven(_ReviewEvent):
    department = fields.String(required=True)
    verdict = fields.String(required=True)
    reason = fields.String(required=True)
    concealment = fields.Boolean(required=True)
    status = fields.String(required=True)


class ReviewVetoed(_ReviewEvent):
    department = fields.String(required=True)
    concealment = fields.Boolean(required=True)
    reason = fields.String(required=True)  # exactly "concealment" for a concealment finding


class ReviewCleared(_ReviewEvent):
    pass


class ObserverNamed(EventData):
    selection = fields.String(required=True)
    name = fields.String(required=True)


class ObserverAbsent(EventData):
    selection = fields.String(required=True)


class PreReportSubmitted(EventData):
    pre_report = fields.String(required=True)
    selection = fields.String(required=True)


class PreReportApproved(EventData):
    pre_report = fields.String(required=True)
    selection = fields.String(required=True)


class NoticeOpened(EventData):
    notice = fields.String(required=True)
    selection = fields.String(required=True)
    title = fields.String(required=True)
    opens_at = fields.String(required=True)
    closes_at = fields.String(required=True)


class ObjectionLodged(EventData):
    objection = fields.String(required=True)
    notice = fields.String(required=True)
    selection = fields.String(required=True)


class ObjectionResolved(ObjectionLodged):
    upheld = fields.Boolean(required=True)


class NoticeClosed(EventData):
    notice = fields.String(required=True)
    selection = fields.String(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(NOTICE_OUTCOMES))
    revision = fields.Integer(required=True)
    pending = fields.Integer(required=True)
    upheld = fields.Integer(required=True)


class FilingOverdue(EventData):
    selection = fields.String(required=True)
    due_at = fields.String(required=True)


class AssessmentRecorded(EventData):
    period = fields.String(required=True)
    unit = fields.String()
    cadre = fields.String()
    score = fields.Float(required=True)


class RankedUnit(EventData):
    unit = fields.String(required=True)
    score = fields.Raw(required=True)  # as recorded: an integer stays one
    rank = fields.Integer(required=True)
    key_management = fields.Boolean(required=True)


class AssessmentRanked(EventData):
    period = fields.String(required=True)
    bottom = fields.Integer(required=True)
    units = fields.List(fields.Nested(RankedUnit), required=True)


# every event type supervision sends: store.envelope dumps each event's data through its schema, so what
# goes on the bus is what the schema says (an event type missing here cannot be sent)
SENT = {
    "review.opened": ReviewOpened,
    "review.overdue": ReviewOverdue,
    "review.verdict_given": VerdictGiven,
    "review.vetoed": ReviewVetoed,
    "review.cleared": ReviewCleared,
    "observer.named": ObserverNamed,
    "observer.absent": ObserverAbsent,
    "pre_report.submitted": PreReportSubmitted,
    "pre_report.approved": PreReportApproved,
    "notice.opened": NoticeOpened,
    "objection.lodged": ObjectionLodged,
    "objection.resolved": ObjectionResolved,
    "notice.closed": NoticeClosed,
    "filing.overdue": FilingOverdue,
    "assessment.recorded": AssessmentRecorded,
    "assessment.ranked": AssessmentRanked,
}
