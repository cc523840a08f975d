"""Token-bucket rate limiting per client key, for the gateway's public endpoints (429 with Retry-After)."""
import math
import threading
from collections import OrderedDict


class RateLimiter:
    """Thread-safe token buckets keyed by client, with bounded memory.

    Each key may spend ``burst`` requests at once and regains ``rate_per_sec`` tokens a
    second. ``now`` is passed in (use ``time.monotonic()``) so callers and tests control
    the clock.

    Memory stays under ``max_keys`` buckets. A bucket left idle long enough to refill
    completely is indistinguishable from a new one, so it is dropped first without
    changing any answer. Only if ``max_keys`` clients are all active at once is the
    least recently seen one forgotten early (it starts again with a full bucket): under
    that much load, bounded memory matters more than exactness for one client.
    """

    def __init__(self, rate_per_sec, burst, max_keys=10_000):
        if not rate_per_sec > 0:
            raise ValueError("rate_per_sec must be positive")
        if not burst >= 1:
            raise ValueError("burst must be at least 1")
        if not max_keys >= 1:
            raise ValueError("max_keys must be at least 1")
        self.rate = float(rate_per_sec)
        self.burst = float(burst)
        self.max_keys = int(max_keys)
        self._refill_seconds = self.burst / self.rate
        self._buckets = OrderedDict()  # key -> [tokens, last_seen]; least recently seen first
        self._lock = threading.Lock()

    def __len__(self):
        with self._lock:
            return len(self._buckets)

    def check(self, key, now, cost=1.0):
        """Spend ``cost`` tokens of ``key``'s bucket if it has them.

        Returns ``(allowed, retry_after_seconds)``: ``(True, 0.0)``, or ``(False, s)`` where
        ``s`` is how long until the bucket holds ``cost`` tokens. A refused request spends
        nothing. A cost above ``burst`` could never pass: ValueError.
        """
        if not 0 < cost <= self.burst:
            raise ValueError("cost must be positive and at most burst")
        with self._lock:
            self._evict(now)
            bucket = self._buckets.get(key)
            if bucket is None:
                tokens = self.burst
            else:
                # A clock that steps back must not mint tokens: count no elapsed time.
                elapsed = max(0.0, now - bucket[1])
                tokens = min(self.burst, bucket[0] + elapsed * self.rate)
            if tokens >= cost:
                allowed, retry_after, tokens = True, 0.0, tokens - cost
            else:
                allowed, retry_after = False, (cost - tokens) / self.rate
            self._buckets[key] = [tokens, max(now, bucket[1]) if bucket else now]
            self._buckets.move_to_end(key)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return allowed, retry_after

    def _evict(self, now):
        # Least recently seen first: stop at the first bucket that may still be partly spent.
        while self._buckets:
            key, (tokens, last_seen) = next(iter(self._buckets.items()))
            if now - last_seen < self._refill_seconds:
                break
            del self._buckets[key]


def retry_after_header(seconds):
    """The ``Retry-After`` header value for a wait of ``seconds``: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
