"""The records service's contract: marshmallow schemas of every body, RPC result and event it takes or sends, shared by producer, consumer and gateway."""

from marshmallow import EXCLUDE, Schema, fields, validate

from services.common.paging import ListQuery, page_of

# The stages of the full-process record (全程记实). The seven of DESIGN.md come first;
# the rest are the selection's own stages and the examination of a public selection.
RECORD_STAGES = (
    "motion",  # 动议
    "nomination",  # 提名
    "inspection",  # 考察
    "deliberation",  # 酝酿
    "decision",  # 讨论决定
    "public_notice",  # 公示
    "appointment",  # 任职
    "qualification",
    "consultation",
    "recommendation",
    "joint_review",
    "filing",
    "examination",
)

TEXT = validate.Length(min=1, max=2000)
HEX = validate.Regexp(r"^[0-9a-f]{64}$")


class ManualEntryIn(Schema):
    """``POST /api/v1/records``: the recorder is the caller and the time is now; neither is taken from the body."""

    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    stage = fields.String(required=True, validate=validate.OneOf(RECORD_STAGES))
    place = fields.String(load_default=None, allow_none=True, validate=TEXT)
    responsible = fields.String(load_default=None, allow_none=True, validate=TEXT)
    matter = fields.String(required=True, validate=TEXT)
    result = fields.String(load_default=None, allow_none=True, validate=TEXT)


class EntryOut(Schema):
    seq = fields.Integer()
    subject = fields.String(allow_none=True)
    stage = fields.String(allow_none=True)
    occurred_at = fields.String(allow_none=True)
    place = fields.String(allow_none=True)
    responsible = fields.String(allow_none=True)
    matter = fields.String(allow_none=True)
    result = fields.String(allow_none=True)
    recorder = fields.String(allow_none=True)
    correlation_id = fields.String(allow_none=True)
    prev_hash = fields.String()
    leaf_hash = fields.String()


class RecordsQuery(ListQuery):
    subject = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200))
    matter = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200))


RecordsPage = page_of(EntryOut, "RecordsPage")


class CheckpointOut(Schema):
    size = fields.Integer()
    root = fields.String()
    timestamp = fields.String()
    key_id = fields.String()
    signature = fields.String()


class PublicKeyOut(Schema):
    key_id = fields.String()
    public_key = fields.String()
    vkey = fields.String()


class WitnessOut(Schema):
    name = fields.String()
    vkey = fields.String()
    url = fields.String()


class WitnessesOut(Schema):
    witnesses = fields.List(fields.Nested(WitnessOut))


class ProofQuery(Schema):
    """``?size=N``: the tree size the proof is for (default: the latest checkpoint's)."""

    class Meta:
        unknown = EXCLUDE

    size = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))


class ProofOut(Schema):
    index = fields.Integer()
    size = fields.Integer()
    leaf_hash = fields.String()
    path = fields.List(fields.String())


class _Lenient(Schema):
    class Meta:
        unknown = EXCLUDE


# ``from`` is a Python keyword, so this schema is built from a dict to keep the wire names as field names.
ConsistencyQuery = _Lenient.from_dict(
    {
        "from": fields.Integer(required=True, validate=validate.Range(min=0)),
        "to": fields.Integer(required=True, validate=validate.Range(min=0)),
    },
    name="ConsistencyQuery",
)
ConsistencyOut = Schema.from_dict(
    {
        "from": fields.Integer(),
        "to": fields.Integer(),
        "path": fields.List(fields.String()),
    },
    name="ConsistencyOut",
)


class DossierEntryOut(EntryOut):
    proof = fields.Nested(ProofOut)


class DossierOut(Schema):
    selection = fields.String()
    checkpoint = fields.Nested(CheckpointOut)
    entries = fields.List(fields.Nested(DossierEntryOut))


class DisclosureOut(Schema):
    id = fields.String()
    kind = fields.String(validate=validate.OneOf(("policy", "announcement", "notice", "results")))
    title = fields.String()
    summary = fields.String(allow_none=True)
    subject = fields.String(allow_none=True)
    published_at = fields.String()
    details = fields.Dict()


class DisclosuresQuery(ListQuery):
    pass


DisclosuresPage = page_of(DisclosureOut, "DisclosuresPage")
