"""The examination service's contract: marshmallow schemas of every body, RPC result and event it takes or sends, shared by producer, consumer and gateway."""

from datetime import timezone

from marshmallow import Schema, fields, validate

from services.common.envelope import EventData
from services.common.paging import ListQuery

# The service's vocabulary, defined here once: domain/ and sealing/ check against these same tuples.
ROLES = ("question_setting", "grading", "interview")  # what a vendor may be assigned to do
STAGES = ("written", "interview")  # the scored stages: whose sheets are sealed, and unsealed in turn
ELIGIBILITY = ("pending", "eligible", "ineligible")  # an application's eligibility (资格审查)

CODE = validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$", error="1-64 letters, digits, '-' or '_'")
NAME = validate.Length(min=1, max=200)


def Code(**kwargs):
    return fields.String(validate=CODE, **kwargs)


# --- bodies -------------------------------------------------------------------------------------


class VendorIn(Schema):
    code = Code(required=True)
    name = fields.String(required=True, validate=NAME)
    roles = fields.List(
        fields.String(validate=validate.OneOf(ROLES)), required=True, validate=validate.Length(min=1, max=len(ROLES))
    )
    signing_key = fields.String(required=True, validate=validate.Length(min=1, max=200))
    affiliations = fields.List(Code(), required=True, validate=validate.Length(max=100))


class VendorOut(Schema):
    code = fields.String()
    name = fields.String()
    roles = fields.List(fields.String())
    signing_key = fields.String()
    affiliations = fields.List(fields.String())


class CampaignPostIn(Schema):
    code = Code(required=True)
    title = fields.String(required=True, validate=NAME)
    seats = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10000))


class WeightsIn(Schema):
    written = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0, max=1))
    interview = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0, max=1))


class UnsealIn(Schema):
    not_before = fields.AwareDateTime(required=True, default_timezone=timezone.utc)
    threshold = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=255))
    officers = fields.List(Code(), required=True, validate=validate.Length(min=1, max=255))


class CampaignIn(Schema):
    code = Code(required=True)
    title = fields.String(required=True, validate=NAME)
    posts = fields.List(fields.Nested(CampaignPostIn), required=True, validate=validate.Length(min=1, max=500))
    weights = fields.Nested(WeightsIn, required=True)
    interview_ratio = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=1, max=100))
    unseal = fields.Nested(UnsealIn, required=True)


class KeyShareOut(Schema):
    officer = fields.String()
    share = fields.String()


class CampaignOut(Schema):
    code = fields.String()
    public_key = fields.String()
    key_shares = fields.List(fields.Nested(KeyShareOut))


class AssignmentIn(Schema):
    vendor = Code(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class AssignmentOut(Schema):
    campaign = fields.String()
    vendor = fields.String()
    role = fields.String()


class PaperIn(Schema):
    commitment = fields.String(required=True, validate=validate.Length(min=1, max=200))


class PaperCreated(Schema):
    id = fields.String()


class RevealIn(Schema):
    paper = fields.String(required=True, validate=validate.Length(min=1))


class PaperOut(Schema):
    id = fields.String()
    campaign = fields.String()
    vendor = fields.String()
    commitment = fields.String()
    status = fields.String()
    revealed_at = fields.String(allow_none=True)


class DrawIn(Schema):
    examiners = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=255))


class DrawOut(Schema):
    examiners = fields.List(fields.String())
    order = fields.List(fields.String())
    seed = fields.String()


class ApplicantIn(Schema):
    # Checked field by field by domain.applications (ID number check digit, birth date inside it).
    id_number = fields.String(required=True, validate=validate.Length(min=1, max=40))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    birth_date = fields.String(required=True, validate=validate.Length(min=1, max=20))
    education = fields.String(required=True, validate=validate.Length(min=1, max=100))


class ApplicationIn(Schema):
    post = Code(required=True)
    applicant = fields.Nested(ApplicantIn, required=True)


class ApplicationCreated(Schema):
    id = fields.String()
    exam_number = fields.String()


class ApplicationOut(Schema):
    """What a listing shows of an application: never the ID number."""

    id = fields.String()
    post = fields.String()
    exam_number = fields.String()
    name = fields.String()
    eligibility = fields.String(validate=validate.OneOf(ELIGIBILITY))


class ImportOut(Schema):
    imported = fields.Integer()
    rejected = fields.List(fields.Dict())


class EligibilityImportOut(Schema):
    updated = fields.Integer()
    rejected = fields.List(fields.Dict())


class EligibilityIn(Schema):
    eligible = fields.Boolean(required=True, truthy={True}, falsy={False})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class AssignedOut(Schema):
    assigned = fields.Integer()


class BlindCodeQuery(ListQuery):
    stage = fields.String(required=True, validate=validate.OneOf(STAGES))


class BlindCodeOut(Schema):
    post = fields.String()
    blind_code = fields.String()


class SheetIn(Schema):
    stage = fields.String(required=True, validate=validate.OneOf(STAGES))
    # Who scored; sealing.check_examiner answers 422 examiner_mismatch for one the vendor may not name.
    examiner = fields.String(required=True)
    # Lengths and encodings are checked by sealing.verify_receipt, which names each field.
    ciphertext = fields.String(required=True)
    commitment = fields.String(required=True)
    signature = fields.String(required=True)


class SheetReceived(Schema):
    id = fields.String()
    received_at = fields.String()


class UnsealActionIn(Schema):
    stage = fields.String(required=True, validate=validate.OneOf(STAGES))
    share = fields.String(required=True, validate=validate.Length(min=1, max=200))


class UnsealOut(Schema):
    status = fields.String()
    shares = fields.Integer()
    threshold = fields.Integer()
    sheets = fields.Integer()
    problems = fields.List(fields.Dict())


class RankingRow(Schema):
    exam_number = fields.String()
    name = fields.String()
    written = fields.Float(allow_none=True)
    interview = fields.Float(allow_none=True)
    total = fields.Float(allow_none=True)
    rank = fields.Integer()
    status = fields.String()


class PostResults(Schema):
    post = fields.String()
    seats = fields.Integer()
    ranking = fields.List(fields.Nested(RankingRow))


class ResultsOut(Schema):
    posts = fields.List(fields.Nested(PostResults))


class PublishedOut(ResultsOut):
    campaign = fields.String()
    published_at = fields.String()


# --- events (data of each envelope; docs/EVENTS.md) ---------------------------------------------


class VendorRegistered(EventData):
    vendor = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)


class VendorAssigned(EventData):
    vendor = fields.String(required=True)
    role = fields.String(required=True)
    campaign = fields.String(required=True)


class CampaignOpened(EventData):
    campaign = fields.String(required=True)
    title = fields.String(required=True)
    posts = fields.List(fields.Dict(), required=True)
    threshold = fields.Integer(required=True)
    officers = fields.List(fields.String(), required=True)


class PaperEvent(EventData):
    """``paper.committed``, ``paper.revealed``, ``paper.reveal_refused``."""

    campaign = fields.String(required=True)
    paper = fields.String(required=True)
    vendor = fields.String(required=True)
    commitment = fields.String(required=True)


class InterviewDrawn(EventData):
    campaign = fields.String(required=True)
    examiners = fields.List(fields.String(), required=True)
    order = fields.List(fields.String(), required=True)
    seed = fields.String(required=True)


class BlindCodesAssigned(EventData):
    campaign = fields.String(required=True)
    assigned = fields.Integer(required=True)


class SheetReceivedEvent(EventData):
    campaign = fields.String(required=True)
    sheet = fields.String(required=True)
    stage = fields.String(required=True)
    vendor = fields.String(required=True)
    commitment = fields.String(required=True)


class ShareGiven(EventData):
    campaign = fields.String(required=True)
    stage = fields.String(required=True)
    officer = fields.String(required=True)
    shares = fields.Integer(required=True)
    threshold = fields.Integer(required=True)


class CampaignUnsealed(EventData):
    campaign = fields.String(required=True)
    stage = fields.String(required=True)
    sheets = fields.Integer(required=True)
    problems = fields.List(fields.Dict(), required=True)


class PublishedRow(EventData):
    exam_number = fields.String(required=True)
    name = fields.String(required=True)
    rank = fields.Integer(required=True)
    status = fields.String(required=True)
    total = fields.Float(required=True, allow_none=True)


class PublishedPost(EventData):
    post = fields.String(required=True)
    seats = fields.Integer(required=True)
    ranking = fields.List(fields.Nested(PublishedRow), required=True)


class ResultsPublished(EventData):
    campaign = fields.String(required=True)
    posts = fields.List(fields.Nested(PublishedPost), required=True)


# every event type examination sends, with the schema its data is dumped through and its consumers load it with
SENT = {
    "vendor.registered": VendorRegistered,
    "vendor.assigned": VendorAssigned,
    "campaign.opened": CampaignOpened,
    "paper.committed": PaperEvent,
    "paper.revealed": PaperEvent,
    "paper.reveal_refused": PaperEvent,
    "interview.drawn": InterviewDrawn,
    "blind_codes.assigned": BlindCodesAssigned,
    "sheet.received": SheetReceivedEvent,
    "share.given": ShareGiven,
    "campaign.unsealed": CampaignUnsealed,
    "campaign.results_published": ResultsPublished,
}
