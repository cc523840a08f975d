"""Part of the nomination contract: the data of the selection events nomination sends (every envelope's
``data`` is dumped through one of these) and of the other services' events it acts on. Named in
``contract`` too, which is the one import."""

from marshmallow import EXCLUDE, Schema, fields, validate

# --- events this service sends (data of the envelope) -------------------------------------------


class SelectionOpened(Schema):
    selection = fields.String(required=True)
    post = fields.String(required=True)
    mode = fields.String(required=True)
    competitive = fields.Boolean(required=True)
    vacancies = fields.Integer(required=True)
    key_leadership = fields.Boolean(required=True)


class StageChanged(Schema):
    selection = fields.String(required=True)
    stage = fields.String(required=True)
    previous = fields.String(required=True)


class SelectionQualified(Schema):
    selection = fields.String(required=True)
    conditions = fields.Dict(required=True)  # only the conditions set, as given
    scope = fields.List(fields.String(), required=True)


class SelectionConsulted(Schema):
    selection = fields.String(required=True)
    source = fields.String(required=True)


class BallotSessionOpened(Schema):
    selection = fields.String(required=True)
    session = fields.String(required=True)
    kind = fields.String(required=True)
    electorate = fields.Integer(required=True)
    seats = fields.Integer(required=True)


class Votes(Schema):
    cadre = fields.String(required=True)
    votes = fields.Integer(required=True)


class BallotSessionClosed(Schema):
    """The session and its tally (what the close answers)."""

    selection = fields.String(required=True)
    session = fields.String(required=True)
    kind = fields.String(required=True)
    cast = fields.Integer(required=True)
    valid = fields.Integer(required=True)
    invalid = fields.Integer(required=True)
    turnout = fields.Float(required=True)
    quorum_met = fields.Boolean(required=True)
    results = fields.List(fields.Nested(Votes), required=True)


class NominationMade(Schema):
    selection = fields.String(required=True)
    cadre = fields.String(required=True)
    basis = fields.Dict(required=True)  # one kind: its reference


class NominationVoided(Schema):
    selection = fields.String(required=True)
    cadre = fields.String(required=True)
    reason = fields.String(required=True)


class DeliberationMeeting(Schema):
    held_at = fields.String(required=True)
    place = fields.String(required=True)
    attendees = fields.Integer(required=True)
    present = fields.Integer(required=True)


class SelectionDeliberated(Schema):
    selection = fields.String(required=True)
    nominees = fields.List(fields.String(), required=True)
    meeting = fields.Nested(DeliberationMeeting, required=True)


class NamedCadre(Schema):
    cadre = fields.String(required=True)
    name = fields.String(required=True)


class SelectionInspected(Schema):
    """What supervision opens the joint reviews with."""

    selection = fields.String(required=True)
    post = fields.String(required=True)
    post_title = fields.String(required=True)
    key_leadership = fields.Boolean(required=True)
    nominees = fields.List(fields.Nested(NamedCadre), required=True)


class DecisionMeeting(Schema):
    """The decision meeting as announced (its agenda filing time stays with the selection)."""

    held_at = fields.String(required=True)
    place = fields.String(required=True)
    members = fields.Integer(required=True)
    present = fields.Integer(required=True)


class SelectionDecided(Schema):
    selection = fields.String(required=True)
    post = fields.String(required=True)
    post_title = fields.String(required=True)
    key_leadership = fields.Boolean(required=True)
    appointees = fields.List(fields.Nested(NamedCadre), required=True)
    meeting = fields.Nested(DecisionMeeting, required=True)


class SelectionAppointed(Schema):
    selection = fields.String(required=True)
    post = fields.String(required=True)
    appointees = fields.List(fields.String(), required=True)
    appointed_at = fields.String(required=True)  # RFC 3339


class FilingRecorded(Schema):
    selection = fields.String(required=True)
    filed_with = fields.String(required=True)
    reference = fields.String(required=True)


class SelectionClosed(Schema):
    selection = fields.String(required=True)
    reason = fields.String(required=True)  # filed | objection_upheld


# --- events this service consumes (data of the envelope) ----------------------------------------


class _Loose(Schema):
    class Meta:
        unknown = EXCLUDE


class ReviewOutcome(_Loose):
    """``review.cleared`` / ``review.vetoed``."""

    selection = fields.String(required=True)
    cadre = fields.String(required=True)
    reason = fields.String(load_default=None, allow_none=True)


class PreReportApproved(_Loose):
    selection = fields.String(required=True)


class NoticeOpened(_Loose):
    notice = fields.String(required=True)
    selection = fields.String(required=True)


class ObjectionEvent(_Loose):
    """``objection.lodged`` / ``objection.resolved``."""

    notice = fields.String(load_default=None, allow_none=True)
    objection = fields.String(required=True)
    selection = fields.String(required=True)
    upheld = fields.Boolean(load_default=None, allow_none=True)


class NoticeClosed(_Loose):
    notice = fields.String(load_default=None, allow_none=True)
    selection = fields.String(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(("clear", "pending", "upheld")))
    revision = fields.Integer(load_default=1)


class CandidateRanked(_Loose):
    exam_number = fields.String(required=True)
    name = fields.String(load_default=None, allow_none=True)
    rank = fields.Integer(required=True)
    status = fields.String(load_default=None, allow_none=True)
    total = fields.Float(load_default=None, allow_none=True)


class CampaignPost(_Loose):
    post = fields.String(required=True)
    seats = fields.Integer(required=True)
    ranking = fields.List(fields.Nested(CandidateRanked), load_default=list)


class ResultsPublished(_Loose):
    campaign = fields.String(required=True)
    posts = fields.List(fields.Nested(CampaignPost), required=True)


class UnitAssessed(_Loose):
    unit = fields.String(required=True)
    score = fields.Float(required=True)


class AssessmentRanked(_Loose):
    period = fields.String(required=True)
    units = fields.List(fields.Nested(UnitAssessed), required=True)
