"""Rate limits that every gateway replica shares: one bucket per client in the gateway's database."""

import logging
import time
from datetime import datetime, timezone

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pymongo.errors import DuplicateKeyError, PyMongoError

from gateway.models import RateBucket
from services.common import keyed, signing
from services.common.ratelimit import RateLimiter, cell_rate, cell_rate_terms

log = logging.getLogger(__name__)


def client_secret():
    """The key client addresses are hashed under: derived from the gateway's signing key, which every
    replica holds and nobody who only reads the database does."""
    seed = bytes(signing.signing_key("gateway"))
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"cadre-selection/gateway/rate-limit/v1").derive(
        seed
    )


class SharedRateLimiter:
    """``RateLimiter``'s answers, with the state in the database so that N replicas allow what one would.

    ``check(client, now)`` takes the wall clock (``time.time()``): replicas share the buckets, not a
    monotonic clock. Two atomic updates per request (and one read to say how long a refused one waits). If the
    database does not answer, each replica limits on its own (``RateLimiter``) until it does again.
    """

    def __init__(self, name, rate_per_sec, burst, secret=client_secret):
        self.name = name
        self.rate = float(rate_per_sec)
        self.burst = float(burst)
        self._secret = secret
        self._key = None
        self._local = RateLimiter(rate_per_sec, burst)

    def _bucket_id(self, client):
        if self._key is None:
            self._key = self._secret()
        return f"{self.name}:{keyed.digest(self._key, self.name.encode(), client.encode())[:32]}"

    def check(self, client, now):
        try:
            return self._shared(self._bucket_id(client), now)
        except PyMongoError as exc:
            log.warning(
                "rate limit %s: database unavailable (%s); limiting on this replica alone",
                self.name,
                type(exc).__name__,
            )
            return self._local.check(client, time.monotonic())

    def _shared(self, bucket_id, now):
        # Two single-document atomic updates, no read-then-write: requests racing on one bucket (a meeting
        # voting from one address) all land instead of losing compare-and-set races. The bucket is its
        # theoretical arrival time ``tat`` (services/common/ratelimit.cell_rate): first bring a past ``tat``
        # up to now (a full bucket), then spend one interval only if ``tat`` is within the burst's tolerance.
        interval, tolerance = cell_rate_terms(self.rate, self.burst)
        expires_at = datetime.fromtimestamp(now + tolerance + interval, timezone.utc)
        buckets = RateBucket._get_collection()
        try:
            buckets.update_one(
                {"_id": bucket_id, "tat": {"$lt": now}}, {"$set": {"tat": now, "expires_at": expires_at}}, upsert=True
            )
        except DuplicateKeyError:
            pass  # the bucket exists and its tat is not in the past: nothing to bring up
        spent = buckets.find_one_and_update(
            {"_id": bucket_id, "tat": {"$lte": now + tolerance + 1e-9}},
            {"$inc": {"tat": interval}, "$set": {"expires_at": expires_at}},
            projection={"_id": 1},
        )
        if spent is not None:
            return True, 0.0
        found = buckets.find_one({"_id": bucket_id}, {"tat": 1})
        _, retry_after, _ = cell_rate(found["tat"] if found else None, now, self.rate, self.burst)
        return False, retry_after  # (0 if the bucket refilled meanwhile: Retry-After is at least 1 s anyway)
