"""The records service's documents: log entries, signed checkpoints, witness cosignatures, disclosures and their channel deliveries."""

from mongoengine import BooleanField, DateTimeField, DictField, Document, IntField, StringField


class Entry(Document):
    """One entry of the full-process record, exactly as listed, plus two bookkeeping fields.

    ``event_id`` (the envelope id, or ``manual:<uuid>`` for a manual entry) is unique, so a
    redelivered event can never make a second entry; ``about`` is the selection subject the
    entry belongs to (its own subject, or the selection its event names), for dossiers.
    The writer appends with raw ``insert_many`` (see ``store.LogStore``); this class declares
    the shape and the indexes.
    """

    seq = IntField(required=True, unique=True, min_value=0)
    event_id = StringField(required=True, unique=True)
    about = StringField()
    subject = StringField()
    stage = StringField()
    occurred_at = StringField()
    place = StringField()
    responsible = StringField()
    matter = StringField()
    result = StringField()
    recorder = StringField()
    correlation_id = StringField()
    prev_hash = StringField(required=True)
    leaf_hash = StringField(required=True)
    meta = {"collection": "entries", "indexes": ["subject", "about"]}


class Checkpoint(Document):
    """A signed tree head, one per size (API.md's ``{size, root, timestamp, key_id, signature}``)."""

    size = IntField(required=True, unique=True, min_value=0)
    root = StringField(required=True)
    timestamp = StringField(required=True)
    key_id = StringField(required=True)
    signature = StringField(required=True)
    meta = {"collection": "checkpoints"}


class Cosignature(Document):
    """One witness's cosignature/v1 line over the checkpoint of one size, as the witness returned it."""

    size = IntField(required=True, min_value=0)
    witness = StringField(required=True)
    line = StringField(required=True)
    meta = {"collection": "cosignatures", "indexes": [{"fields": ["size", "witness"], "unique": True}, "witness"]}


class Disclosure(Document):
    """An item of the information-disclosure feed (信息公开): a policy, announcement, notice or results.

    ``key`` is ``policy:<id>`` or ``event:<envelope id>`` (unique: one item per event). The item
    shows in the feed once the website channel has delivered it (``published``).
    """

    key = StringField(required=True, unique=True)
    kind = StringField(required=True)
    title = StringField(required=True)
    summary = StringField()
    subject = StringField()
    published_at = DateTimeField(required=True)
    details = DictField()
    published = BooleanField(default=False)
    # ``<epoch milliseconds, 15 digits>|<key>``: the feed's order as one string, so a page boundary is
    # one comparison of text rather than of dates, which the embedded database compares to the whole
    # second only.
    feed_order = StringField(required=True)
    meta = {"collection": "disclosures", "indexes": [("published", "-feed_order")]}


class Delivery(Document):
    """The outbox of the disclosure channels: one row per (item, channel), retried until sent."""

    key = StringField(required=True, unique=True)  # "<disclosure key>|<channel>"
    disclosure = StringField(required=True)
    channel = StringField(required=True)
    status = StringField(required=True, default="pending")  # pending | sent | failed
    attempts = IntField(default=0)
    next_attempt_at = DateTimeField(required=True)
    last_error = StringField()
    sent_at = DateTimeField()
    meta = {"collection": "deliveries", "indexes": [("status", "next_attempt_at")]}
