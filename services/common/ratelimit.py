"""Token-bucket rate limiting per client key, for the gateway's public endpoints (429 with Retry-After),
and the client address behind trusted proxies that the limits are keyed by."""

import ipaddress
import math
import threading
from collections import OrderedDict

from werkzeug.middleware.proxy_fix import ProxyFix


# Float time's rounding: a wait this short is none (1.36 + 1.0 - 1.36 is 0.9999999999999998).
ROUNDING_SECONDS = 1e-9


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
            # a bucket short of ``cost`` by a rounding error of the elapsed time is not short (as in cell_rate)
            if tokens >= cost - ROUNDING_SECONDS * self.rate:
                allowed, retry_after, tokens = True, 0.0, max(0.0, tokens - cost)
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


def cell_rate_terms(rate_per_sec, burst):
    """``(interval, tolerance)``: each request moves ``tat`` on by ``interval``; one is allowed while ``tat`` is at
    most ``tolerance`` ahead of now (a full bucket's burst less the request itself)."""
    interval = 1.0 / rate_per_sec
    return interval, (burst - 1) * interval


def cell_rate(tat, now, rate_per_sec, burst):
    """The token bucket above as one number per client, so that replicas can share it in a database.

    The generic cell rate algorithm: ``tat`` (theoretical arrival time) is when the client's bucket would be
    full again; None for a client not seen. Returns ``(allowed, retry_after_seconds, new_tat)``; a refused
    request leaves ``tat`` as it was (it spends nothing). Same answers as ``RateLimiter.check`` with cost 1.
    """
    interval, tolerance = cell_rate_terms(rate_per_sec, burst)
    start = now if tat is None else max(tat, now)
    wait = start - now - tolerance
    if wait > ROUNDING_SECONDS:  # a bucket that is short of one token by a rounding error is not short
        return False, wait, tat
    return True, 0.0, start + interval


def retry_after_header(seconds):
    """The ``Retry-After`` header value for a wait of ``seconds``: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))


# --- the client behind the ingress -------------------------------------------------------------


def parse_trusted_proxies(value):
    """``TRUSTED_PROXIES``: empty (no proxy trusted), a hop count (``"1"``: the ingress in front), or
    comma-separated addresses/CIDRs of the proxies (``"10.0.0.0/8, 192.168.1.7"``).

    Returns ``0``, a positive int, or a tuple of ``ipaddress`` networks; ValueError for anything else,
    so that a typo stops the gateway at start rather than silently trusting no one (or everyone).
    """
    text = (value or "").strip()
    if not text:
        return 0
    if text.isdigit():
        return int(text)
    networks = []
    for item in text.split(","):
        item = item.strip()
        if item:
            networks.append(ipaddress.ip_network(item, strict=False))
    if not networks:
        raise ValueError("TRUSTED_PROXIES lists no proxy")
    return tuple(networks)


def _in(address, networks):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _hops(header):
    return [part.strip() for part in (header or "").split(",") if part.strip()]


def forwarded_client(environ, trusted):
    """``(client address, scheme)`` of a request as the trusted proxies report it.

    With no proxy trusted, ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are ignored: the client is the
    peer of the TCP connection (anyone can send those headers). With a hop count ``n``, werkzeug's
    ``ProxyFix(x_for=n, x_proto=n)`` decides: the ``n``-th address from the right, which the nearest
    proxy appended. With CIDRs, the same walk from the right while the hop is a trusted proxy: the
    first address not in them is the client; a request whose peer is not a trusted proxy keeps its peer.
    """
    peer = environ.get("REMOTE_ADDR") or "unknown"
    scheme = environ.get("wsgi.url_scheme") or "http"
    if not trusted:
        return peer, scheme
    if isinstance(trusted, int):
        seen = {}

        def app(fixed, start_response):
            seen.update(fixed)
            return []

        ProxyFix(app, x_for=trusted, x_proto=trusted, x_host=0, x_port=0, x_prefix=0)(dict(environ), None)
        return seen.get("REMOTE_ADDR") or peer, seen.get("wsgi.url_scheme") or scheme
    if not _in(peer, trusted):
        return peer, scheme
    forwarded = _hops(environ.get("HTTP_X_FORWARDED_FOR"))
    client = peer
    while forwarded and _in(client, trusted):
        client = forwarded.pop()
    protos = _hops(environ.get("HTTP_X_FORWARDED_PROTO"))
    if protos and protos[-1] in ("http", "https"):
        scheme = protos[-1]  # what the nearest (trusted) proxy saw
    return client, scheme


def apply_trusted_proxies(request, trusted):
    """Put the forwarded client address and scheme into ``request`` (a werkzeug Request keeps its own
    copies of both beside the environ), so that the rate limits, ``Secure`` cookies and HSTS all see
    the same client."""
    client, scheme = forwarded_client(request.environ, trusted)
    request.environ["REMOTE_ADDR"], request.environ["wsgi.url_scheme"] = client, scheme
    request.remote_addr, request.scheme = client, scheme
    return request
