"""The gateway's own documents: principals and stored idempotent responses."""
from mongoengine import DateTimeField, Document, IntField, StringField

from services.common.envelope import utcnow


class Principal(Document):
    """A department, vendor or officer that calls the API; the token is kept only as its hash."""

    name = StringField(required=True, unique=True)
    role = StringField(required=True)
    token_hash = StringField(required=True, unique=True)
    created_at = DateTimeField(default=utcnow)
    meta = {"collection": "principals"}


class IdempotentResponse(Document):
    """The first response to (principal, Idempotency-Key), with a hash of the request it answered."""

    scope = StringField(required=True)  # principal name, or the client address for public calls
    key = StringField(required=True)
    request_hash = StringField(required=True)
    status = IntField()  # None while the first request is still running
    body = StringField()
    content_type = StringField()
    created_at = DateTimeField(default=utcnow)
    meta = {"collection": "idempotency", "indexes": [{"fields": ["scope", "key"], "unique": True}]}
