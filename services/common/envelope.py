"""The one envelope every event travels in (DESIGN.md "Messages")."""

import re
import uuid
from datetime import datetime, timezone

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from services.common.clock import rfc3339, utcnow
from services.common.validation import load

EVENT_TYPE = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")


class EnvelopeSchema(Schema):
    id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Regexp(EVENT_TYPE))
    source = fields.String(required=True, validate=validate.Length(min=1, max=64))
    occurred_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)
    correlation_id = fields.String(required=True, allow_none=True)
    actor = fields.String(required=True, allow_none=True)
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    data = fields.Dict(required=True)
    version = fields.Integer(required=True, validate=validate.Equal(1))
    # Base64 Ed25519 of the producer (services/common/signing.py); consumers verify it before loading,
    # and an envelope is built without it and signed as it enters the outbox.
    signature = fields.String(validate=validate.Length(min=1, max=200))


_schema = EnvelopeSchema()


class EventData(Schema):
    """The base of every event's data schema: the producer dumps through it, consumers load with it. Fields a
    producer adds later are passed over at every depth (marshmallow does not hand a load's ``unknown`` down to
    nested schemas, so it is each schema's own setting)."""

    class Meta:
        unknown = EXCLUDE


def make_envelope(type, source, subject, data, actor=None, correlation_id=None, occurred_at=None):
    """A new envelope as a JSON-ready dict; raises ``ValidationError`` if it would not load."""
    envelope = {
        "id": str(uuid.uuid4()),
        "type": type,
        "source": source,
        "occurred_at": rfc3339(occurred_at or utcnow()),
        "correlation_id": correlation_id,
        "actor": actor,
        "subject": subject,
        "data": data,
        "version": 1,
    }
    _schema.load(envelope)
    return envelope


FIELDS = frozenset(EnvelopeSchema().fields)
UNSIGNED_FIELDS = FIELDS - {"signature"}


def _plain(payload):
    """The loaded envelope when ``payload`` plainly satisfies the schema, else None.

    The records writer loads every event on the bus, and marshmallow costs more than all the rest
    it does per message; this checks the common, well-formed case by hand against the same rules and
    leaves anything else to the schema (which also says what is wrong).
    """
    try:
        keys = set(payload)
        signature = payload.get("signature", "-")
        if (
            keys != FIELDS
            and keys != UNSIGNED_FIELDS
            or not isinstance(signature, str)
            or not signature
            or not all(isinstance(payload[k], str) for k in ("id", "type", "source", "subject", "occurred_at"))
        ):
            return None
        if (
            payload["version"] != 1
            or isinstance(payload["version"], bool)
            or not isinstance(payload["data"], dict)
            or not EVENT_TYPE.match(payload["type"])
            or not 1 <= len(payload["source"]) <= 64
            or not 1 <= len(payload["subject"]) <= 200
            or not all(payload[k] is None or isinstance(payload[k], str) for k in ("correlation_id", "actor"))
        ):
            return None
        occurred_at = datetime.fromisoformat(payload["occurred_at"])
        if occurred_at.tzinfo is None:
            return None
        return dict(payload, id=str(uuid.UUID(payload["id"])), occurred_at=occurred_at)
    except (TypeError, ValueError, AttributeError):
        return None


def load_envelope(payload):
    """Validate an incoming envelope; returns it with ``id`` as str and ``occurred_at`` as datetime."""
    plain = _plain(payload)
    if plain is not None:
        return plain
    loaded = _schema.load(payload)
    loaded["id"] = str(loaded["id"])
    return loaded


def load_event(payload, schema):
    """An incoming event's envelope and its data, the data loaded with ``schema``: the ``EventData`` schema its
    producer dumps the data with (the producer's contract), so both sides read one definition. Fields the
    producer added after this consumer was built are left out; a field it needs that is missing or malformed
    fails the delivery as a 400 naming it."""
    envelope = load_envelope(payload)
    return envelope, load(schema(), envelope["data"])


__all__ = ["EnvelopeSchema", "ValidationError", "make_envelope", "load_envelope", "load_event", "EventData"]
