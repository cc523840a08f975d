"""Idempotency-Key: what the gateway passes a service so the same key and body get the first answer back.

The gateway keeps no record of keys: the service that runs a keyed POST keeps the suite's one record of
it (services/common/applied.py), which replays the first answer, refuses another request under the key
(409 ``idempotency_mismatch``) and a retry while the first still runs (409 ``conflict``). The gateway
derives from the client's key, never passing the key itself (services/common/keyed.py), the record's id,
the secret the answer is sealed under and an HMAC of the request under a third secret, so whoever reads
the service's database can read neither the ballot tokens or key shares a kept answer carries, nor the
key, nor test guesses of a request body against the digest.
"""

from services.common import applied, keyed
from services.common.errors import Invalid

# Responses that hand out secrets (API.md "Conventions"): their key must carry enough entropy to be the
# key they are sealed under, so it is at least 22 characters (a 128-bit random value in base64url).
SECRET_BEARING = frozenset({("POST", "/api/v1/campaigns"), ("POST", "/api/v1/selections/<id>/ballot-sessions")})
SECRET_KEY_MIN_LENGTH = 22
# Keep no record at all: a ballot token is single-use already and an objector leaves no trace.
UNRECORDED = frozenset({("POST", "/api/v1/ballots"), ("POST", "/api/v1/notices/<id>/objections")})
KEY_MAX_LENGTH = 200
# Marks an answer (a refusal too) that is the key's first answer replayed, not a new one.
REPLAYED_HEADER = "Idempotent-Replayed"


class KeyedRequest:
    """One POST with an Idempotency-Key, as the caller's scope and key make it; holds no key itself."""

    def __init__(self, route_key, scope, key):
        minimum = SECRET_KEY_MIN_LENGTH if route_key in SECRET_BEARING else 1
        if not minimum <= len(key) <= KEY_MAX_LENGTH:
            reason = " (this endpoint's answer carries secrets sealed under the key)" if minimum > 1 else ""
            raise Invalid({"Idempotency-Key": [f"{minimum}-{KEY_MAX_LENGTH} characters{reason}"]})
        # the service's record id and the secret its answer is sealed under
        self.record, self.answer_key = applied.request_keys(scope, key)
        self._request_secret = keyed.derive(key, scope, "gateway/request")

    def digest(self, method, path, body):
        """The kept fingerprint of the request: an HMAC only the key's holder can compute."""
        return keyed.digest(self._request_secret, method.encode(), path.encode(), body or b"")

    def context(self, method, path, body):
        """What the RPC carries for the service's record: (record id, answer secret, request digest)."""
        return self.record, self.answer_key, self.digest(method, path, body)


def keyed_request(route_key, scope, key):
    """The KeyedRequest of a POST's Idempotency-Key header, or None (no key, or a route that keeps none)."""
    if not key or route_key in UNRECORDED:
        return None
    return KeyedRequest(route_key, scope, key)
