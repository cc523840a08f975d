"""Idempotency-Key: the same key and body get the first response back and no second effect.

The record of a key is readable only with the key (services/common/keyed.py): it is filed under an
HKDF of (principal, key), the request it answered is kept as an HMAC under another HKDF of the key, and
the response is sealed under a third. So the database's operator can read neither the ballot tokens or
key shares a kept response carries, nor the key, nor test guesses of a request body against the digest.
"""

from datetime import timedelta

from mongoengine import NotUniqueError

from gateway.models import IdempotentResponse
from services.common import applied, config, keyed
from services.common.clock import as_utc, utcnow
from services.common.errors import Conflict, Invalid

# A claim unfinished this long after the RPC deadline belongs to a request whose gateway died
# (kill -9, crash, database lost mid-request): it is released, or the key would answer
# "still running" forever and the client could never retry.
ABANDONED_AFTER_EXTRA_SECONDS = 5.0

# Responses that hand out secrets (API.md "Conventions"): their key must carry enough entropy to be the
# key they are sealed under, so it is at least 22 characters (a 128-bit random value in base64url).
SECRET_BEARING = frozenset({("POST", "/api/v1/campaigns"), ("POST", "/api/v1/selections/<id>/ballot-sessions")})
SECRET_KEY_MIN_LENGTH = 22
# Keep no record at all: a ballot token is single-use already and an objector leaves no trace.
UNRECORDED = frozenset({("POST", "/api/v1/ballots"), ("POST", "/api/v1/notices/<id>/objections")})
KEY_MAX_LENGTH = 200


def _lease():
    return timedelta(seconds=config.get_float("RPC_TIMEOUT_SECONDS") + ABANDONED_AFTER_EXTRA_SECONDS)


class KeyedRequest:
    """One POST with an Idempotency-Key, as the caller's scope and key make it; holds no key itself."""

    def __init__(self, route_key, scope, key):
        minimum = SECRET_KEY_MIN_LENGTH if route_key in SECRET_BEARING else 1
        if not minimum <= len(key) <= KEY_MAX_LENGTH:
            reason = " (this endpoint's answer carries secrets sealed under the key)" if minimum > 1 else ""
            raise Invalid({"Idempotency-Key": [f"{minimum}-{KEY_MAX_LENGTH} characters{reason}"]})
        self.lookup = keyed.lookup(key, scope, "gateway")
        self._request_secret = keyed.derive(key, scope, "gateway/request")
        self._answer_secret = keyed.derive(key, scope, "gateway/answer")
        # what the service keeps the key's answer under, in case the gateway's copy is lost
        self.service_keys = applied.request_keys(scope, key)

    def digest(self, method, path, body):
        """The kept fingerprint of the request: an HMAC only the key's holder can compute."""
        return keyed.digest(self._request_secret, method.encode(), path.encode(), body or b"")

    def seal(self, body):
        return keyed.seal(self._answer_secret, body.encode("utf-8"), self.lookup)

    def unseal(self, sealed):
        try:
            return keyed.unseal(self._answer_secret, sealed or "", self.lookup).decode("utf-8")
        except keyed.Unreadable:
            raise Conflict("the answer kept for this Idempotency-Key cannot be read with it")


def keyed_request(route_key, scope, key):
    """The KeyedRequest of a POST's Idempotency-Key header, or None (no key, or a route that keeps none)."""
    if not key or route_key in UNRECORDED:
        return None
    return KeyedRequest(route_key, scope, key)


def begin(request, digest, _tries=3):
    """Claim the key. Returns a stored (status, body, content_type) to replay, or None to proceed."""
    try:
        IdempotentResponse(lookup=request.lookup, request_digest=digest).save(force_insert=True)
        return None
    except NotUniqueError:
        if _tries <= 0:
            raise Conflict("the first request with this Idempotency-Key is still running")
    first = IdempotentResponse.objects(lookup=request.lookup).first()
    if first is None:  # released between our insert and read: treat as new
        return begin(request, digest, _tries - 1)
    expired_before = utcnow() - timedelta(seconds=keyed.RECORD_SECONDS)
    if IdempotentResponse.objects(lookup=request.lookup, created_at__lte=expired_before).delete():
        # past its day the key is new again, whether or not the database has deleted the record yet
        return begin(request, digest, _tries - 1)
    same = keyed.same_digest(first.request_digest, digest)
    if first.status is None and same and _abandoned(first.created_at):
        # take the abandoned claim over; of racing retries only one matches the old created_at
        if (
            IdempotentResponse.objects(lookup=request.lookup, status=None, created_at=first.created_at).modify(
                set__created_at=utcnow()
            )
            is not None
        ):
            return None
    replay(same, first.status)
    return first.status, request.unseal(first.body), first.content_type


def _abandoned(created_at):
    if created_at is None:
        return True
    return utcnow() - as_utc(created_at) > _lease()


def replay(same_request, first_status):
    """Decide about a key seen before: raise unless its stored answer may be replayed."""
    if not same_request:
        raise Conflict("this Idempotency-Key was used with a different request", "idempotency_mismatch")
    if first_status is None:
        raise Conflict("the first request with this Idempotency-Key is still running")


def finish(request, status, body, content_type):
    """Keep a final answer, sealed; release the key after a server-side failure so a retry can run."""
    if status >= 500:
        IdempotentResponse.objects(lookup=request.lookup).delete()
    else:
        IdempotentResponse.objects(lookup=request.lookup).update_one(
            set__status=status, set__body=request.seal(body), set__content_type=content_type
        )
