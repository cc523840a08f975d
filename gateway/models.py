"""The gateway's own documents: principals and the rate buckets its replicas share."""

from mongoengine import DateTimeField, Document, FloatField, IntField, StringField

from services.common.clock import utcnow


class Principal(Document):
    """A department, vendor or officer that calls the API; the token is kept only as its hash."""

    name = StringField(required=True, unique=True)
    role = StringField(required=True)
    token_hash = StringField(required=True, unique=True)
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()  # None: until revoked
    revoked_at = DateTimeField()
    # bumped by each new token: a console session signed in with an older one has ended
    generation = IntField(default=1)
    meta = {"collection": "principals"}


class RateBucket(Document):
    """One client's rate-limit bucket, shared by every gateway replica (gateway/limits.py).

    ``id`` is ``<limit>:<HMAC of the client address>`` under a key only the gateway holds, so the database
    never holds an address; ``tat`` is when the bucket is full again (seconds since the epoch). The database
    deletes a bucket once it is full (``expires_at``); one left behind answers the same as none.
    """

    id = StringField(primary_key=True)
    tat = FloatField(required=True)
    expires_at = DateTimeField(required=True)
    meta = {"collection": "rate_buckets", "indexes": [{"fields": ["expires_at"], "expireAfterSeconds": 0}]}
