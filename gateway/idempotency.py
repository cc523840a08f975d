"""Idempotency-Key: the same key and body get the first response back and no second effect."""
import hashlib
from datetime import timedelta, timezone

from mongoengine import NotUniqueError

from gateway.models import IdempotentResponse
from services.common import config
from services.common.envelope import utcnow
from services.common.errors import Conflict, Invalid

# A claim unfinished this long after the RPC deadline belongs to a request whose gateway died
# (kill -9, crash, database lost mid-request): it is released, or the key would answer
# "still running" forever and the client could never retry.
ABANDONED_AFTER_EXTRA_SECONDS = 5.0


def _lease():
    return timedelta(seconds=config.get_float("RPC_TIMEOUT_SECONDS") + ABANDONED_AFTER_EXTRA_SECONDS)


def request_hash(method, path, body):
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + (body or b"")).hexdigest()


def begin(scope, key, digest):
    """Claim the key. Returns a stored (status, body, content_type) to replay, or None to proceed."""
    if not 1 <= len(key) <= 200:
        raise Invalid({"Idempotency-Key": ["1-200 characters"]})
    try:
        IdempotentResponse(scope=scope, key=key, request_hash=digest).save(force_insert=True)
        return None
    except NotUniqueError:
        pass
    first = IdempotentResponse.objects(scope=scope, key=key).first()
    if first is None:  # released between our insert and read: treat as new
        return begin(scope, key, digest)
    if first.status is None and first.request_hash == digest and _abandoned(first.created_at):
        # take the abandoned claim over; of racing retries only one matches the old created_at
        if IdempotentResponse.objects(scope=scope, key=key, status=None, created_at=first.created_at).modify(
                set__created_at=utcnow()) is not None:
            return None
    replay(first.request_hash, first.status, digest)
    return first.status, first.body, first.content_type


def _abandoned(created_at):
    if created_at is None:
        return True
    if created_at.tzinfo is None:  # a database that drops the offset stores UTC
        created_at = created_at.replace(tzinfo=timezone.utc)
    return utcnow() - created_at > _lease()


def replay(first_hash, first_status, digest):
    """Decide about a key seen before: raise unless its stored answer may be replayed."""
    if first_hash != digest:
        raise Conflict("this Idempotency-Key was used with a different request", "idempotency_mismatch")
    if first_status is None:
        raise Conflict("the first request with this Idempotency-Key is still running", "conflict")


def finish(scope, key, status, body, content_type):
    """Keep a final answer; release the key after a server-side failure so a retry can run."""
    if status >= 500:
        IdempotentResponse.objects(scope=scope, key=key).delete()
    else:
        IdempotentResponse.objects(scope=scope, key=key).update_one(
            set__status=status, set__body=body, set__content_type=content_type
        )
