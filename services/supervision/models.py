"""The supervision service's documents: reviews, selections as learnt from events, pre-reports,
notices and objections, filings, assessments and rankings.

Ids shown to callers are the documents' ObjectIds as 24 hex characters, so lists page in the
order things happened. Documents whose state is read-then-written by concurrent workers carry a
``version`` that every change increments and every change filters on (optimistic concurrency:
the portable alternative to a multi-document transaction).
"""

from mongoengine import BooleanField, DateTimeField, DictField, Document, FloatField, IntField, ListField, StringField

from services.common.outbox import Aggregate


class Review(Aggregate):
    """The joint review (会审) of one initial nominee: one per (selection, cadre), which is also
    what makes a redelivered ``selection.inspected`` open nothing twice."""

    selection = StringField(required=True)
    cadre = StringField(required=True)
    opened_at = DateTimeField(required=True)
    due_at = DateTimeField(required=True)
    status = StringField(required=True)
    departments = ListField(StringField())
    # department -> {verdict, reason, at}; a department absent has not answered yet
    verdicts = DictField()
    nomination_voided = BooleanField(default=False)
    version = IntField(default=0)
    meta = {
        "collection": "reviews",
        "indexes": [{"fields": ["selection", "cadre"], "unique": True}, ("status", "due_at")],
    }


class Selection(Aggregate):
    """What supervision knows of a selection, learnt only from nomination's events."""

    sid = StringField(required=True, unique=True)
    post = StringField()
    post_title = StringField()
    key_leadership = BooleanField(default=False)
    # set once selection.inspected has opened every review: until then a list of them asks nomination
    reviews_opened = BooleanField(default=False)
    decided = BooleanField(default=False)
    decided_at = DateTimeField()
    observer = StringField()
    observer_named_at = DateTimeField()
    observer_named_by = StringField()
    # attended | none_attended | not_required, recorded when the selection is decided
    attendance = StringField()
    meta = {"collection": "selections"}


class PreReport(Aggregate):
    """A pre-appointment report (任前报审); one per selection."""

    selection = StringField(required=True, unique=True)
    summary = StringField()
    status = StringField(required=True)
    created_at = DateTimeField(required=True)
    created_by = StringField()
    approved_at = DateTimeField()
    approved_by = StringField()
    meta = {"collection": "pre_reports"}


class Notice(Aggregate):
    """A public notice (任前公示); one per selection. ``objections`` maps each objection id to
    its status, so the outcome is computed from this one document."""

    selection = StringField(required=True, unique=True)
    title = StringField(required=True)
    body = StringField(required=True)
    opens_at = DateTimeField(required=True)
    closes_at = DateTimeField(required=True)
    status = StringField(required=True)
    appointees = ListField(DictField())
    objections = DictField()
    outcome = StringField()
    revision = IntField(default=0)
    version = IntField(default=0)
    meta = {"collection": "notices", "indexes": [("status", "closes_at")]}


class Objection(Document):
    """An objection from the public: its content and resolution, and nothing about who sent it."""

    notice = StringField(required=True)
    selection = StringField(required=True)
    content = StringField(required=True)
    lodged_at = DateTimeField(required=True)
    status = StringField(required=True)
    finding = StringField()
    resolved_at = DateTimeField()
    resolved_by = StringField()
    meta = {"collection": "objections", "indexes": ["notice"]}


class Filing(Aggregate):
    """The post-appointment filing (任后备案) owed for one selection."""

    selection = StringField(required=True, unique=True)
    appointed_at = DateTimeField(required=True)
    due_at = DateTimeField(required=True)
    status = StringField(required=True)
    filed_with = StringField()
    reference = StringField()
    filed_at = DateTimeField()
    late = BooleanField(default=False)
    meta = {"collection": "filings", "indexes": [("status", "due_at")]}


class Assessment(Aggregate):
    """One routine-assessment score of a unit or a cadre for a period (one of ``unit``/``cadre``)."""

    period = StringField(required=True)
    kind = StringField(required=True)  # "unit" | "cadre"
    subject = StringField(required=True)  # the unit or cadre code
    score = FloatField(required=True)
    recorded_at = DateTimeField(required=True)
    recorded_by = StringField()
    meta = {
        "collection": "assessments",
        "indexes": [{"fields": ["period", "kind", "subject"], "unique": True}, ("kind", "subject")],
    }


class Ranking(Aggregate):
    """The last ranking of a period sent as ``assessment.ranked``: sent again only when it changes."""

    key = StringField(required=True, unique=True)  # "<period>"
    digest = StringField()
    version = IntField(default=0)
    meta = {"collection": "rankings"}
