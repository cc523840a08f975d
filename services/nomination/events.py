"""Part of the nomination contract: the data of the selection events nomination sends. Every envelope's
``data`` is dumped through one of these, and the services that act on an event load it with the same
schema (``services.common.envelope.load_event``). Named in ``contract`` too, which is the one import."""

from marshmallow import fields, validate

from services.common.envelope import EventData

ID = validate.Length(min=1, max=64)  # a selection's or a cadre's id, as consumers accept it

# --- events this service sends (data of the envelope) -------------------------------------------


class SelectionOpened(EventData):
    selection = fields.String(required=True, validate=ID)
    post = fields.String(required=True)
    mode = fields.String(required=True)
    competitive = fields.Boolean(required=True)
    vacancies = fields.Integer(required=True)
    key_leadership = fields.Boolean(required=True)


class StageChanged(EventData):
    selection = fields.String(required=True, validate=ID)
    stage = fields.String(required=True)
    previous = fields.String(required=True)


class SelectionQualified(EventData):
    selection = fields.String(required=True, validate=ID)
    conditions = fields.Dict(required=True)  # only the conditions set, as given
    scope = fields.List(fields.String(), required=True)


class SelectionConsulted(EventData):
    selection = fields.String(required=True, validate=ID)
    source = fields.String(required=True)


class BallotSessionOpened(EventData):
    selection = fields.String(required=True, validate=ID)
    session = fields.String(required=True)
    kind = fields.String(required=True)
    electorate = fields.Integer(required=True)
    seats = fields.Integer(required=True)


class Votes(EventData):
    cadre = fields.String(required=True, validate=ID)
    votes = fields.Integer(required=True)


class BallotSessionClosed(EventData):
    """The session and its tally (what the close answers)."""

    selection = fields.String(required=True, validate=ID)
    session = fields.String(required=True)
    kind = fields.String(required=True)
    cast = fields.Integer(required=True)
    valid = fields.Integer(required=True)
    invalid = fields.Integer(required=True)
    turnout = fields.Float(required=True)
    quorum_met = fields.Boolean(required=True)
    results = fields.List(fields.Nested(Votes), required=True)


class NominationMade(EventData):
    selection = fields.String(required=True, validate=ID)
    cadre = fields.String(required=True, validate=ID)
    basis = fields.Dict(required=True)  # one kind: its reference


class NominationVoided(EventData):
    selection = fields.String(required=True, validate=ID)
    cadre = fields.String(required=True, validate=ID)
    reason = fields.String(required=True)


class DeliberationMeeting(EventData):
    held_at = fields.String(required=True)
    place = fields.String(required=True)
    attendees = fields.Integer(required=True)
    present = fields.Integer(required=True)


class SelectionDeliberated(EventData):
    selection = fields.String(required=True, validate=ID)
    nominees = fields.List(fields.String(), required=True)
    meeting = fields.Nested(DeliberationMeeting, required=True)


class NamedCadre(EventData):
    cadre = fields.String(required=True, validate=ID)
    name = fields.String(required=True)


class SelectionInspected(EventData):
    """What supervision opens the joint reviews with."""

    selection = fields.String(required=True, validate=ID)
    post = fields.String(required=True)
    post_title = fields.String(required=True)
    key_leadership = fields.Boolean(required=True)
    nominees = fields.List(fields.Nested(NamedCadre), required=True)


class DecisionMeeting(EventData):
    """The decision meeting as announced (its agenda filing time stays with the selection)."""

    held_at = fields.String(required=True)
    place = fields.String(required=True)
    members = fields.Integer(required=True)
    present = fields.Integer(required=True)


class SelectionDecided(EventData):
    selection = fields.String(required=True, validate=ID)
    post = fields.String(required=True)
    post_title = fields.String(required=True)
    key_leadership = fields.Boolean(required=True)
    appointees = fields.List(fields.Nested(NamedCadre), required=True, validate=validate.Length(min=1))
    meeting = fields.Nested(DecisionMeeting, required=True)


class SelectionAppointed(EventData):
    selection = fields.String(required=True, validate=ID)
    post = fields.String(required=True)
    appointees = fields.List(fields.String(), required=True)
    appointed_at = fields.String(required=True)  # RFC 3339


class FilingRecorded(EventData):
    selection = fields.String(required=True, validate=ID)
    filed_with = fields.String(required=True)
    reference = fields.String(required=True)


class SelectionClosed(EventData):
    selection = fields.String(required=True, validate=ID)
    reason = fields.String(required=True)  # filed | objection_upheld
