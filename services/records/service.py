"""Records service entrypoints: the firehose that records every event, and the queries on it."""
from mongoengine import NotUniqueError

from services.common.base import HealthMixin, chassis
from services.common.entrypoints import rpc
from services.common.envelope import load_envelope
from services.records.firehose import firehose
from services.records.models import ReceivedEvent


class RecordsService(HealthMixin):
    name = "records"
    db, caller, relay, metrics = chassis("records")

    _next_seq = None

    @firehose
    def record(self, payload):
        envelope = load_envelope(payload)
        if RecordsService._next_seq is None:
            last = ReceivedEvent.objects.order_by("-seq").only("seq").first()
            RecordsService._next_seq = (last.seq + 1) if last else 0
        try:
            ReceivedEvent(
                seq=RecordsService._next_seq,
                event_id=envelope["id"],
                type=envelope["type"],
                source=envelope["source"],
                subject=envelope["subject"],
                occurred_at=envelope["occurred_at"],
                envelope=payload,
            ).save(force_insert=True)
        except NotUniqueError:
            if ReceivedEvent.objects(event_id=envelope["id"]).first():
                return  # a redelivery: recorded already
            RecordsService._next_seq = None  # another writer moved on; re-read and retry
            raise
        RecordsService._next_seq += 1

    @rpc
    def received(self, subject=None):
        query = ReceivedEvent.objects(subject=subject) if subject else ReceivedEvent.objects
        return [
            {"seq": e.seq, "id": e.event_id, "type": e.type, "subject": e.subject}
            for e in query.order_by("seq")
        ]
