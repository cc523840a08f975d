"""The one envelope every event travels in (DESIGN.md "Messages")."""
import re
import uuid
from datetime import datetime, timezone

from marshmallow import Schema, ValidationError, fields, validate

EVENT_TYPE = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")


def utcnow():
    return datetime.now(timezone.utc)


def rfc3339(moment):
    """UTC, second precision or finer, always with the ``Z`` offset."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


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


_schema = EnvelopeSchema()


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


def load_envelope(payload):
    """Validate an incoming envelope; returns it with ``id`` as str and ``occurred_at`` as datetime."""
    loaded = _schema.load(payload)
    loaded["id"] = str(loaded["id"])
    return loaded


__all__ = ["EnvelopeSchema", "ValidationError", "make_envelope", "load_envelope", "rfc3339", "utcnow"]
