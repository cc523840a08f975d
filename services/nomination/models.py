"""The nomination service's documents: units, posts with their headcount books, cadres, selections,
ballot sessions and their tokens and ballots, nominations, and the outcomes other services publish."""

import uuid

from mongoengine import BooleanField, DateTimeField, DictField, Document, IntField, ListField, StringField

from services.common.clock import utcnow
from services.common.outbox import Aggregate


def new_id():
    return uuid.uuid4().hex


class Unit(Aggregate):
    """A local unit (单位): a township, a bureau, a department of the district."""

    code = StringField(required=True, unique=True)
    name = StringField(required=True)
    meta = {"collection": "units"}


class Post(Aggregate):
    """A leadership post with its authorised headcount (职数) and rank (职级).

    ``occupied`` and ``reserved`` only ever change by atomic ``$inc``; ``free`` (= headcount -
    occupied - reserved) changes in the same ``$inc``, so that a reservation can be guarded by a
    plain filter ``free >= n`` and two selections can never promise the same seat.
    """

    code = StringField(required=True, unique=True)
    unit = StringField(required=True)
    title = StringField(required=True)
    rank = StringField(required=True)
    category = StringField(required=True)
    headcount = IntField(required=True, min_value=1)
    occupied = IntField(default=0)
    reserved = IntField(default=0)
    free = IntField(required=True)
    meta = {"collection": "posts"}


class Cadre(Aggregate):
    """A cadre (干部) who may be nominated."""

    code = StringField(required=True, unique=True)
    name = StringField(required=True)
    unit = StringField(required=True)
    rank = StringField(required=True)
    grassroots_years = IntField(required=True, min_value=0)
    meta = {"collection": "cadres"}


class Selection(Aggregate):
    """One selection (选任) of a post, from the motion to the filing.

    Every change is a guarded ``modify`` that also increments ``version`` (optimistic
    concurrency): lists of sub-documents (``history``, ``consultations``) are ``$set`` whole
    under that guard, never ``$push``ed. Nominee statuses are derived from the code lists
    (``shortlist``, ``appointees``, ``voided``) so that a stage change and the statuses it
    implies are one atomic write.
    """

    id = StringField(primary_key=True, default=new_id)
    version = IntField(default=0)
    post = StringField(required=True)
    post_title = StringField(required=True)
    post_rank = StringField(required=True)
    category = StringField(required=True)
    mode = StringField(required=True)
    competitive = BooleanField(required=True)
    slate_ratio = IntField(required=True)
    vacancies = IntField(required=True)
    stage = StringField(required=True)
    proposed_by = StringField(required=True)
    reason = StringField(required=True)
    weights = DictField()
    qualification = DictField()
    consultations = ListField(DictField())
    sources_heard = ListField(StringField())
    history = ListField(DictField())
    shortlist = ListField(StringField())
    deliberation = DictField()
    ratings = DictField()
    appointees = ListField(StringField())
    decision = DictField()
    voided = ListField(StringField())
    reviews_cleared = ListField(StringField())
    reviews_vetoed = ListField(StringField())
    pre_report_approved = BooleanField(default=False)
    notice = StringField()
    notice_closed = BooleanField(default=False)
    notice_outcome = StringField()
    notice_revision = IntField(default=0)
    objections_lodged = ListField(StringField())
    objections_resolved = ListField(StringField())
    objections_upheld = ListField(StringField())
    appointed_at = DateTimeField()
    released = BooleanField(default=False)
    filing = DictField()
    closed_reason = StringField()
    created_at = DateTimeField(default=utcnow)
    meta = {"collection": "selections", "indexes": ["stage", "post"]}


class Nomination(Aggregate):
    """A nomination (提名) of a cadre in a selection, with its basis, disclosure and relations."""

    id = StringField(primary_key=True, default=new_id)
    selection = StringField(required=True)
    cadre = StringField(required=True, unique_with="selection")
    basis = DictField()
    personal_matters_reported = BooleanField(default=False)
    relations = ListField(DictField())
    created_at = DateTimeField(default=utcnow)
    meta = {"collection": "nominations", "indexes": ["selection"]}


class BallotSession(Aggregate):
    """A secret-ballot recommendation session (无记名推荐). Its tokens and ballots are in its
    ``BallotBucket`` documents; ``closed`` is copied onto every bucket when the session closes."""

    id = StringField(primary_key=True, default=new_id)
    selection = StringField(required=True)
    kind = StringField(required=True)
    electorate = IntField(required=True)
    seats = IntField(required=True)
    candidates = ListField(StringField())
    closed = BooleanField(default=False)
    tallied = BooleanField(default=False)
    result = DictField()
    created_at = DateTimeField(default=utcnow)
    # its tokens carry a tag of the ballot key (domain.ballots.token_is_issued); false for sessions opened
    # before tokens did, whose casts mark each token's hash in ``used_tokens`` instead
    tagged_tokens = BooleanField(default=False)
    meta = {"collection": "ballot_sessions", "indexes": ["selection"]}


class BallotBucket(Document):
    """A share of a session's tokens and of its ballots: the keyed hashes of the UNUSED tokens dealt to
    it at random, and the ballots cast with them (each a string, see ``domain.ballots.encode_choices``).

    A cast is one atomic update of one bucket (pull the hash, push the ballot), so a token is spent
    if and only if its ballot is stored. Nothing in a bucket says which token cast which ballot: the
    hash is pulled, leaving no trace of its position, and the ballots' order is only the order of
    casting within the bucket. The id is random (not an ObjectId, whose embedded time would date it).
    """

    id = StringField(primary_key=True, default=new_id)
    session = StringField(required=True)
    bucket = IntField(required=True)
    closed = BooleanField(default=False)
    unused = ListField(StringField())
    ballots = ListField(StringField())
    meta = {"collection": "ballot_buckets", "indexes": [{"fields": ["session", "bucket"], "unique": True}]}


class BallotTrackerSet(Document):
    """A share of a session's voter receipts (trackers): a SORTED list of random hex strings, and nothing
    else about them — no token hash, no choices, no time, no bucket. Sixteen per session (by a tracker's
    first hex digit, so concurrent casts rarely contend), plus at most one ``pad`` set the close makes
    for ballots whose tracker was never stored (``spare``: the pads no cast has taken yet).

    Kept apart from the ballots on purpose: a bucket holds its ballots in casting order, and a tracker
    beside them, or trackers kept in the order they came, would tie a receipt to a ballot.
    """

    id = StringField(primary_key=True)  # "<session>:<shard>"
    session = StringField(required=True)
    shard = StringField(required=True)
    trackers = ListField(StringField())
    spare = ListField(StringField())
    closed = BooleanField(default=False)
    version = IntField(default=0)  # guards the whole-list $set of ``trackers``
    meta = {"collection": "ballot_trackers", "indexes": ["session"]}


class UsedToken(Document):
    """The keyed hash of a token some casting attempt presented: nothing else, and no link to a bucket
    or a ballot. Written before the cast's atomic update, so every spent hash is marked; a marked hash
    still unused (an attempt killed before its update) can still be cast."""

    id = StringField(primary_key=True)
    meta = {"collection": "used_tokens"}


class CampaignResult(Aggregate):
    """A public-selection campaign's published results, as examination's event carried them."""

    event_id = StringField(required=True, unique=True)
    campaign = StringField(required=True)
    published_at = DateTimeField(required=True)
    posts = ListField(DictField())
    meta = {"collection": "campaign_results", "indexes": ["campaign"]}


class AssessmentRanking(Aggregate):
    """A period's routine-assessment ranking of units (supervision's ``assessment.ranked``)."""

    event_id = StringField(required=True, unique=True)
    period = StringField(required=True)
    ranked_at = DateTimeField(required=True)
    units = ListField(DictField())
    meta = {"collection": "assessment_rankings"}
