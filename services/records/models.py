"""The records service's documents: the entries of the full-process record, in ``seq`` order."""
from mongoengine import DateTimeField, DictField, Document, IntField, StringField


class ReceivedEvent(Document):
    """Every envelope the firehose delivered, once (unique envelope id), numbered in arrival order."""

    seq = IntField(required=True, unique=True)
    event_id = StringField(required=True, unique=True)
    type = StringField(required=True)
    source = StringField(required=True)
    subject = StringField(required=True)
    occurred_at = DateTimeField(required=True)
    envelope = DictField(required=True)
    meta = {"collection": "received_events", "indexes": ["subject"]}
