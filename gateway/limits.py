"""Rate limits that every gateway replica shares: one bucket per client in the gateway's database."""

import logging
import time
from datetime import datetime, timezone

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pymongo.errors import DuplicateKeyError, PyMongoError

from gateway.models import RateBucket
from services.common import keyed, signing
from services.common.ratelimit import RateLimiter, cell_rate

log = logging.getLogger(__name__)

# two replicas racing for one client's bucket retry a few times; past that the client is the one sending
# that fast, and waiting one interval is the answer it would get anyway
ATTEMPTS = 5


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
    monotonic clock. One read and one guarded write per allowed request, one read per refused one. If the
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
        buckets = RateBucket._get_collection()
        for _ in range(ATTEMPTS):
            found = buckets.find_one({"_id": bucket_id}, {"tat": 1, "version": 1})
            allowed, retry_after, tat = cell_rate(found["tat"] if found else None, now, self.rate, self.burst)
            if not allowed:
                return False, retry_after
            changes = {"tat": tat, "expires_at": datetime.fromtimestamp(tat, timezone.utc)}
            if found is None:
                try:
                    buckets.insert_one({"_id": bucket_id, "version": 1, **changes})
                    return True, 0.0
                except DuplicateKeyError:
                    continue  # another replica made it first: read it again
            guarded = {"_id": bucket_id, "version": found["version"]}
            if buckets.update_one(guarded, {"$set": changes, "$inc": {"version": 1}}).modified_count:
                return True, 0.0
        return False, 1.0 / self.rate
