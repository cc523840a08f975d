"""The nomination service's contract: marshmallow schemas of every body, RPC result and event it takes or sends, shared by producer, consumer and gateway."""

from marshmallow import Schema, ValidationError, fields, validate

from services.common.envelope import EventData
from services.common.paging import ListQuery, page_of

# A selection's stages in the procedure's order (domain/stages.py makes its Stage of these): 动议 motion,
# 资格条件和范围 qualification, 征求意见 consultation, 推荐 recommendation, 考察 inspection, 会审 joint review,
# 公示 public notice, 任职 appointment, 备案 filing.
STAGES = (
    "motion",
    "qualification",
    "consultation",
    "recommendation",
    "inspection",
    "joint_review",
    "public_notice",
    "appointment",
    "filing",
    "closed",
)
RANKS = ("clerk", "deputy_section", "section")
CATEGORIES = ("key_leadership", "promotion", "lateral_transfer", "public_selection")
CODE = validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$", error="1-64 letters, digits, '-' or '_'")


def Code(**kwargs):
    return fields.String(validate=CODE, **kwargs)


class UnitIn(Schema):
    code = Code(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class UnitOut(UnitIn):
    pass


class PostIn(Schema):
    code = Code(required=True)
    unit = Code(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    rank = fields.String(required=True, validate=validate.OneOf(RANKS))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    headcount = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1000))


class PostOut(PostIn):
    occupied = fields.Integer()
    reserved = fields.Integer()
    vacancies = fields.Integer()


class CadreIn(Schema):
    code = Code(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    unit = Code(required=True)
    rank = fields.String(required=True, validate=validate.OneOf(RANKS))
    grassroots_years = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=60))


class CadreOut(CadreIn):
    pass


class UnitCreated(EventData):
    """Data of ``unit.created``."""

    code = Code(required=True)
    name = fields.String(required=True)


class PostCreated(EventData):
    """Data of ``post.created``."""

    code = Code(required=True)
    unit = Code(required=True)
    rank = fields.String(required=True)
    category = fields.String(required=True)
    headcount = fields.Integer(required=True)


class CadreCreated(EventData):
    """Data of ``cadre.created`` (no name: events carry no personal data they do not need)."""

    code = Code(required=True)
    unit = Code(required=True)
    rank = fields.String(required=True)


# --- selections -------------------------------------------------------------------------------
# Request bodies are checked here for shape (unknown fields, types); the domain checks the rules
# and gives 422 codes. Fields whose absence or emptiness is a rule (a nomination's basis or
# disclosure) stay loose here so that the rule, not a 400, answers.


def _datetime_text(value):
    from datetime import datetime

    try:
        datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError("must be an RFC 3339 date-time")


DateTimeText = lambda **kw: fields.String(validate=_datetime_text, **kw)  # noqa: E731  kept as text across RPC


class MotionIn(Schema):
    proposed_by = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class WeightsIn(Schema):
    integrity_ability = fields.Float(required=True)
    performance = fields.Float(required=True)
    public_opinion = fields.Float(required=True)
    grassroots = fields.Float(required=True)


class SelectionIn(Schema):
    post = Code(required=True)
    vacancies = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1000))
    competitive = fields.Boolean(required=True, truthy={True}, falsy={False})
    motion = fields.Nested(MotionIn, required=True)
    weights = fields.Nested(WeightsIn)


class SelectionOut(Schema):
    id = fields.String()
    post = fields.String()
    mode = fields.String()
    competitive = fields.Boolean()
    slate_ratio = fields.Integer()
    stage = fields.String()
    vacancies = fields.Integer()


class SelectionsQuery(ListQuery):
    """``list_selections``: a page of selections, newest first, at one ``stage`` if given."""

    stage = fields.String(load_default=None, validate=validate.OneOf(STAGES))


class SelectionSummary(Schema):
    """One selection of the console's list."""

    id = fields.String()
    post = fields.String()
    post_title = fields.String(allow_none=True)
    mode = fields.String()
    competitive = fields.Boolean()
    vacancies = fields.Integer()
    stage = fields.String()
    created_at = fields.String(metadata={"description": "RFC 3339; left out for a selection stored without one"})
    nominees = fields.Integer(metadata={"description": "how many nominations it holds (voided ones included)"})
    next_actions = fields.List(fields.String(), metadata={"description": "the calls the stage table allows next"})


SelectionSummaryPage = page_of(SelectionSummary)


class NomineeOut(Schema):
    cadre = fields.String()
    name = fields.String(allow_none=True, metadata={"description": "the cadre's name; null if it is not registered"})
    status = fields.String()
    basis = fields.Dict()


class HistoryItem(Schema):
    stage = fields.String()
    previous = fields.String()
    action = fields.String()
    at = fields.String()


class SelectionDetail(SelectionOut):
    post_title = fields.String()
    category = fields.String()
    motion = fields.Nested(MotionIn)
    weights = fields.Dict()
    qualification = fields.Dict(allow_none=True)
    consultations = fields.List(fields.Dict())
    nominees = fields.List(fields.Nested(NomineeOut))
    history = fields.List(fields.Nested(HistoryItem))
    notice = fields.String(allow_none=True)
    closed_reason = fields.String(allow_none=True)


class ConditionsIn(Schema):
    # each optional (API.md): one left out, or null, sets no such condition
    min_rank = fields.String(allow_none=True, validate=validate.OneOf(RANKS))
    min_grassroots_years = fields.Float(allow_none=True, validate=validate.Range(min=0))


class QualificationIn(Schema):
    conditions = fields.Nested(ConditionsIn, required=True)
    scope = fields.List(Code(), required=True, validate=validate.Length(min=1, max=1000))


class ConsultationIn(Schema):
    source = fields.String(required=True, validate=validate.OneOf(("leader_in_charge", "grassroots")))
    opinion = fields.String(required=True, validate=validate.Length(min=1, max=10_000))


class BallotSessionIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("plenary", "democratic")))
    electorate = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=50_000))
    seats = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=500))
    candidates = fields.List(Code(), required=True, validate=validate.Length(min=1, max=500))


class BallotSessionOut(Schema):
    id = fields.String()
    tokens = fields.List(fields.String())


class BallotIn(Schema):
    # choices are not checked against the list here: an over-marked or off-list ballot is
    # accepted and counted as invalid
    token = fields.String(required=True, validate=validate.Length(min=1, max=200))
    choices = fields.List(
        fields.String(validate=validate.Length(max=200)), required=True, validate=validate.Length(max=500)
    )


# A voter's receipt is this many random bytes, written as lowercase hex (API.md: 32 characters); the
# gateway draws it, the ballot rules check it.
TRACKER_BYTES = 16


class BallotOut(Schema):
    accepted = fields.Boolean()
    tracker = fields.String(metadata={"description": "32 lowercase hex: the voter's receipt, linked to nothing stored"})


class BallotFormIn(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class CandidateOut(Schema):
    code = fields.String()
    name = fields.String()


class BallotFormOut(Schema):
    session = fields.String()
    seats = fields.Integer()
    candidates = fields.List(fields.Nested(CandidateOut))


class ReceiptOut(Schema):
    session = fields.String()
    counted = fields.Boolean()


class BoardBallotOut(Schema):
    choices = fields.List(fields.String())
    valid = fields.Boolean()


class BoardOut(Schema):
    session = fields.String()
    trackers = fields.List(fields.String())
    ballots = fields.List(fields.Nested("BoardBallotOut"))
    results = fields.List(fields.Nested("VotesOut"))
    candidates = fields.List(fields.Nested(CandidateOut), metadata={"description": "the session's candidates by name"})


class VotesOut(Schema):
    cadre = fields.String()
    votes = fields.Integer()


class TallyOut(Schema):
    cast = fields.Integer()
    valid = fields.Integer()
    invalid = fields.Integer()
    turnout = fields.Float()
    quorum_met = fields.Boolean()
    results = fields.List(fields.Nested(VotesOut))


class RelationIn(Schema):
    person = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    kind = fields.String(required=True, validate=validate.OneOf(("kin", "canvassing")))


class NominationIn(Schema):
    cadre = Code(required=True)
    basis = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True), load_default=None, allow_none=True)
    disclosure = fields.Dict(keys=fields.String(), load_default=None, allow_none=True)
    relations = fields.List(fields.Nested(RelationIn), load_default=list)


class NominationOut(Schema):
    id = fields.String()
    selection = fields.String()
    cadre = fields.String()
    basis = fields.Dict()
    status = fields.String()


class DeliberationMeetingIn(Schema):
    held_at = DateTimeText(required=True)
    place = fields.String(required=True, validate=validate.Length(min=1, max=500))
    attendees = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    present = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


class DeliberationIn(Schema):
    meeting = fields.Nested(DeliberationMeetingIn, required=True)
    nominees = fields.List(Code(), required=True, validate=validate.Length(min=1, max=500))


class ReportIn(Schema):
    cadre = Code(required=True)
    summary = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    rating = fields.Float(required=True, validate=validate.Range(min=0, max=100))


class InspectionIn(Schema):
    reports = fields.List(fields.Nested(ReportIn), required=True, validate=validate.Length(min=1, max=500))


class DecisionMeetingIn(Schema):
    held_at = DateTimeText(required=True)
    place = fields.String(required=True, validate=validate.Length(min=1, max=500))
    agenda_filed_at = DateTimeText(required=True)
    members = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    present = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


class DecisionIn(Schema):
    meeting = fields.Nested(DecisionMeetingIn, required=True)
    appointees = fields.List(Code(), required=True, validate=validate.Length(min=1, max=500))


class FilingIn(Schema):
    filed_with = fields.String(required=True, validate=validate.Length(min=1, max=500))
    reference = fields.String(required=True, validate=validate.Length(min=1, max=500))


class ImportOut(Schema):
    imported = fields.Integer()
    rejected = fields.List(fields.Dict())


class RankingItem(Schema):
    cadre = fields.String()
    components = fields.Dict()
    missing = fields.List(fields.String())
    composite = fields.Float()
    rank = fields.Integer()


class RankingOut(Schema):
    selection = fields.String()
    weights = fields.Dict()
    session = fields.String(allow_none=True)
    items = fields.List(fields.Nested(RankingItem))


# --- events (data of the envelope) this service sends: in events.py, named here as well ------------

from services.nomination.events import *  # noqa: E402,F401,F403

# every event type nomination sends, with the schema its data is dumped through and its consumers load it with
SENT = {
    "unit.created": UnitCreated,
    "post.created": PostCreated,
    "cadre.created": CadreCreated,
    "selection.opened": SelectionOpened,  # noqa: F405
    "selection.stage_changed": StageChanged,  # noqa: F405
    "selection.qualified": SelectionQualified,  # noqa: F405
    "selection.consulted": SelectionConsulted,  # noqa: F405
    "ballot_session.opened": BallotSessionOpened,  # noqa: F405
    "ballot_session.closed": BallotSessionClosed,  # noqa: F405
    "nomination.made": NominationMade,  # noqa: F405
    "nomination.voided": NominationVoided,  # noqa: F405
    "selection.deliberated": SelectionDeliberated,  # noqa: F405
    "selection.inspected": SelectionInspected,  # noqa: F405
    "selection.decided": SelectionDecided,  # noqa: F405
    "selection.appointed": SelectionAppointed,  # noqa: F405
    "filing.recorded": FilingRecorded,  # noqa: F405
    "selection.closed": SelectionClosed,  # noqa: F405
}
