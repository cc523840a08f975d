"""The supervision service's contract: marshmallow schemas of every body, RPC result and event it takes or sends, shared by producer, consumer and gateway."""

import re

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from services.common.paging import ListQuery, page_of
from services.common.errors import Invalid

CODE = validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$", error="1-64 letters, digits, '-' or '_'")
ID = validate.Length(min=1, max=64)

# ---- the vocabulary callers see; the rules in ``domain/`` take their names from here

# joint reviews: the status a review has, the verdict a department gives
REVIEW_STATUSES = ("pending", "cleared", "vetoed", "overdue")
VERDICTS = ("clear", "veto")
REASON_MAX_CHARS = 2000
# post-appointment filings
FILING_STATUSES = ("due", "overdue", "filed")
# public notices, and what the public writes to one and its resolver answers
NOTICE_STATUSES = ("open", "closed")
CONTENT_MAX_CHARS = 4000
FINDING_MAX_CHARS = 4000
OBSERVER_NAME_MAX_CHARS = 100
# routine assessment: a score's range, and the periods scores are given for
SCORE_MIN, SCORE_MAX = 0, 100
PERIOD_KINDS = ("year", "half", "quarter", "month")
_PERIOD = re.compile(r"^(\d{4})(?:-(?:H([12])|Q([1-4])|(\d{2})))?$")


def period_parts(text):
    """``(year, kind, index)`` of a period written ``YYYY``, ``YYYY-H1``..``H2``, ``YYYY-Q1``..``Q4`` or
    ``YYYY-MM``, years 1900-2999; Invalid ``{"period": [...]}`` when it is none of them."""
    match = _PERIOD.match(text) if isinstance(text, str) else None
    if match is None:
        raise Invalid({"period": ["Must be YYYY, YYYY-H1..H2, YYYY-Q1..Q4 or YYYY-MM."]})
    year = int(match.group(1))
    if not 1900 <= year <= 2999:
        raise Invalid({"period": ["Year must be between 1900 and 2999."]})
    half, quarter, month = match.group(2), match.group(3), match.group(4)
    year_kind, half_kind, quarter_kind, month_kind = PERIOD_KINDS
    if half:
        return year, half_kind, int(half)
    if quarter:
        return year, quarter_kind, int(quarter)
    if month:
        if not 1 <= int(month) <= 12:
            raise Invalid({"period": ["Month must be 01..12."]})
        return year, month_kind, int(month)
    return year, year_kind, 1


def Code(**kwargs):
    return fields.String(validate=CODE, **kwargs)


# ---- HTTP bodies and queries (loaded at the gateway and again in the service)


class ReviewQuery(ListQuery):
    selection = fields.String(load_default=None, validate=ID)
    status = fields.String(load_default=None, validate=validate.OneOf(REVIEW_STATUSES))


class VerdictIn(Schema):
    verdict = fields.String(required=True, validate=validate.OneOf(VERDICTS))
    # required for a veto (the domain says so, naming the field); optional for a clear
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=REASON_MAX_CHARS))


class PreReportIn(Schema):
    summary = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))


class ObserverIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=OBSERVER_NAME_MAX_CHARS))


class FilingQuery(ListQuery):
    status = fields.String(load_default=None, validate=validate.OneOf(FILING_STATUSES))


class NoticeQuery(ListQuery):
    selection = fields.String(load_default=None, validate=ID)
    status = fields.String(load_default=None, validate=validate.OneOf(NOTICE_STATUSES))


class ObjectionIn(Schema):
    content = fields.String(required=True, validate=validate.Length(min=1, max=CONTENT_MAX_CHARS))


class ResolveIn(Schema):
    upheld = fields.Boolean(required=True, truthy={True}, falsy={False})
    finding = fields.String(required=True, validate=validate.Length(min=1, max=FINDING_MAX_CHARS))


def _period(text):
    try:
        period_parts(text)
    except Invalid as exc:
        raise ValidationError(exc.errors["period"])


class AssessmentIn(Schema):
    """``{period, unit, score}`` for a unit, or ``{period, cadre, score}`` for a cadre."""

    period = fields.String(required=True, validate=_period)
    unit = Code(load_default=None)
    cadre = Code(load_default=None)
    score = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=SCORE_MIN, max=SCORE_MAX))

    @validates_schema
    def exactly_one_subject(self, data, **kwargs):
        if (data.get("unit") is None) == (data.get("cadre") is None):
            raise ValidationError("Give exactly one of unit or cadre.", "unit")


class RankingQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    bottom = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10000))


# ---- HTTP responses (for the OpenAPI document)


class VerdictOut(Schema):
    verdict = fields.String()
    reason = fields.String(allow_none=True)
    at = fields.String()


class ReviewOut(Schema):
    id = fields.String()
    selection = fields.String()
    cadre = fields.String()
    status = fields.String()
    verdicts = fields.Dict(keys=fields.String(), values=fields.Nested(VerdictOut, allow_none=True))
    opened_at = fields.String()
    due_at = fields.String()


ReviewPage = page_of(ReviewOut, "ReviewPage")


class CreatedOut(Schema):
    id = fields.String()


class PreReportOut(Schema):
    id = fields.String()
    selection = fields.String()
    status = fields.String()
    created_at = fields.String()
    approved_at = fields.String(allow_none=True)
    approved_by = fields.String(allow_none=True)


class ObserverOut(Schema):
    selection = fields.String()
    name = fields.String()
    named_at = fields.String()


class FilingOut(Schema):
    selection = fields.String()
    status = fields.String()
    appointed_at = fields.String()
    due_at = fields.String()
    filed_with = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)
    filed_at = fields.String(allow_none=True)
    late = fields.Boolean()


FilingPage = page_of(FilingOut, "FilingPage")


class NoticeOut(Schema):
    id = fields.String()
    subject = fields.String()
    title = fields.String()
    body = fields.String()
    opens_at = fields.String()
    closes_at = fields.String()
    status = fields.String()


NoticePage = page_of(NoticeOut, "NoticePage")


class ObjectionOut(Schema):
    id = fields.String()
    notice = fields.String()
    status = fields.String()
    content = fields.String()
    lodged_at = fields.String()
    finding = fields.String(allow_none=True)
    resolved_at = fields.String(allow_none=True)
    resolved_by = fields.String(allow_none=True)


ObjectionPage = page_of(ObjectionOut, "ObjectionPage")


class AdjustmentOut(Schema):
    cadre = fields.String()
    periods = fields.List(fields.String())
    scores = fields.List(fields.Float())


class AssessmentOut(Schema):
    period = fields.String()
    unit = fields.String()
    cadre = fields.String()
    score = fields.Float()
    adjustment = fields.Nested(AdjustmentOut, allow_none=True)


class RectificationOut(Schema):
    unit = fields.String()
    period = fields.String()
    title = fields.String()


class RankedUnitOut(Schema):
    rank = fields.Integer()
    unit = fields.String()
    score = fields.Float()
    key_management = fields.Boolean()
    rectification = fields.Nested(RectificationOut, allow_none=True)


class RankingOut(Schema):
    period = fields.String()
    bottom = fields.Integer()
    items = fields.List(fields.Nested(RankedUnitOut))
    next_cursor = fields.String(allow_none=True)
    adjustments = fields.List(fields.Nested(AdjustmentOut))


# ---- events sent on supervision.events (data only; the envelope is common): in events.py, named here too

from services.supervision.events import *  # noqa: E402,F401,F403
