"""The examination service's documents: local units (learnt from events), vendors, campaigns,
assignments, papers, applications and sealed sheets.

Nothing here can reveal a score before its unseal: sheets are stored sealed, the campaign keeps only
hashes of its key shares, and the shares given during an unseal live in the process's memory only.
"""

from mongoengine import BooleanField, DateTimeField, DictField, Document, FloatField, IntField, ListField, StringField

from services.common.outbox import Aggregate


class Vendor(Aggregate):
    """An outside vendor (papers, grading, interview) and its Ed25519 public key."""

    code = StringField(required=True, unique=True)
    name = StringField(required=True)
    roles = ListField(StringField())
    signing_key = StringField(required=True)  # base64 raw Ed25519 public key
    affiliations = ListField(StringField())
    meta = {"collection": "vendors"}


class Campaign(Aggregate):
    """A public-selection campaign (公开选拔).

    ``share_hashes`` maps each unsealing officer to the hash of the share issued to them; the private
    key itself is never stored. ``scores`` holds, per unsealed stage, ``{blind_code: "82.50"}`` (exact
    decimals as text): results, not secrets, once the stage is unsealed.
    """

    code = StringField(required=True, unique=True)
    title = StringField(required=True)
    posts = ListField(DictField())  # [{code, title, seats}]
    weights = DictField()  # {written, interview}
    interview_ratio = FloatField(required=True)
    not_before = DateTimeField(required=True)
    threshold = IntField(required=True)
    officers = ListField(StringField())
    share_hashes = DictField()
    public_key = StringField(required=True)
    applications = IntField(default=0)  # counter behind exam numbers
    unsealed = ListField(StringField())  # stages, in the order they were unsealed
    # Stages whose unseal has begun: closed to new sheets, so a sheet is either opened or refused.
    closing = ListField(StringField())
    scores = DictField()  # stage -> {blind_code: score text}
    problems = DictField()  # stage -> [problem dicts] found at unseal
    drawn = BooleanField(default=False)
    draw = DictField()  # {examiners, order, seed} once drawn
    published = BooleanField(default=False)
    published_at = DateTimeField()
    meta = {"collection": "campaigns"}


class Assignment(Aggregate):
    """A vendor assigned to a campaign in one role: the only way a vendor may act in that campaign."""

    campaign = StringField(required=True, unique_with=("vendor", "role"))
    vendor = StringField(required=True)
    role = StringField(required=True)
    meta = {"collection": "assignments", "indexes": ["campaign"]}


class Paper(Aggregate):
    """A commitment to an exam paper set outside; the paper itself only after the exam."""

    id = StringField(primary_key=True)
    campaign = StringField(required=True)
    vendor = StringField(required=True)
    commitment = StringField(required=True)
    status = StringField(default="committed")  # committed | revealed
    paper = StringField()  # base64, once revealed
    refusals = IntField(default=0)  # reveals refused for commitment_mismatch
    committed_at = DateTimeField(required=True)
    revealed_at = DateTimeField()
    meta = {"collection": "papers", "indexes": ["campaign"]}


class Application(Document):
    """One applicant's application. The ID number is kept only as a keyed hash (``id_hash``), enough
    to refuse a second application by the same person and useless to anyone without the key."""

    id = StringField(primary_key=True)
    campaign = StringField(required=True)
    seq = IntField(required=True)
    post = StringField(required=True)
    exam_number = StringField(required=True)
    id_hash = StringField(required=True)
    name = StringField(required=True)
    birth_date = StringField(required=True)
    education = StringField(required=True)
    eligibility = StringField(default="pending")
    reason = StringField()
    blind_code = StringField()
    meta = {
        "collection": "applications",
        "indexes": [
            {"fields": ["campaign", "id_hash"], "unique": True},
            {"fields": ["campaign", "seq"], "unique": True},
            ["campaign", "blind_code"],
        ],
    }


class Sheet(Aggregate):
    """A sealed score sheet as received; ``status`` and ``problems`` are set when its stage is unsealed."""

    id = StringField(primary_key=True)
    campaign = StringField(required=True)
    stage = StringField(required=True)
    vendor = StringField(required=True)
    examiner = StringField(required=True)  # as signed: the vendor's code, or <vendor>/<grader> for written
    ciphertext = StringField(required=True)
    commitment = StringField(required=True)
    signature = StringField(required=True)
    ciphertext_sha256 = StringField(required=True)
    received_at = DateTimeField(required=True)
    status = StringField(default="sealed")  # sealed | opened | rejected
    problems = ListField(DictField())
    # Set by an unseal before it reads the stage's sheets: it opens exactly the taken ones, and a sheet
    # taken can no longer be withdrawn by its own submission's late check (services/examination/sheets.py).
    taken = BooleanField(default=False)
    meta = {
        "collection": "sheets",
        "indexes": [{"fields": ["campaign", "commitment"], "unique": True}, ["campaign", "stage"]],
    }
