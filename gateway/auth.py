"""Principals and their bearer tokens: random, shown once, stored only as SHA-256 hashes; revocable,
rotatable and expiring, with every gateway replica refusing an ended token within seconds."""

import hashlib
import math
import secrets
import time
from datetime import timedelta

from mongoengine import NotUniqueError

from gateway.authz import ROLES
from gateway.models import Principal
from services.common.clock import as_utc, utcnow
from services.common.errors import Conflict, Invalid, NotFound, Unauthorized

# How long a replica trusts what it read of a token. API.md: a revoked, rotated-out or expired token
# answers 401 within 5 seconds on every replica, so no replica may believe an old answer longer.
CACHE_SECONDS = 2.0
NAME_MAX_LENGTH = 64


def token_hash(token):
    # Tokens carry 256 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _iso(moment):
    moment = as_utc(moment)
    return moment.isoformat() if moment is not None else None


def is_live(principal, now=None):
    """Not revoked and not past its expiry."""
    if principal.revoked_at is not None:
        return False
    expires = as_utc(principal.expires_at)
    return expires is None or expires > (now or utcnow())


def expiry(expires_in_days, now):
    """The expiry ``--expires-in DAYS`` gives, or None without one."""
    if expires_in_days is None:
        return None
    if (
        not isinstance(expires_in_days, (int, float))
        or not math.isfinite(expires_in_days)
        or expires_in_days <= 0
        or expires_in_days > 36600
    ):
        raise Invalid({"expires-in": ["a number of days above 0 and at most 36600"]})
    return now + timedelta(days=expires_in_days)


def create_principal(name, role, expires_in_days=None):
    """Create a principal; returns ``{name, role, token, expires_at}`` — the only time the token exists."""
    if role not in ROLES:
        raise Invalid({"role": [f"must be one of: {', '.join(ROLES)}"]})
    if not name or len(name) > NAME_MAX_LENGTH or not name.isprintable():
        raise Invalid({"name": [f"1-{NAME_MAX_LENGTH} printable characters"]})
    now = utcnow()
    expires_at = expiry(expires_in_days, now)
    token = secrets.token_urlsafe(32)
    try:
        Principal(name=name, role=role, token_hash=token_hash(token), created_at=now, expires_at=expires_at).save(
            force_insert=True
        )
    except NotUniqueError:
        raise Conflict(f"principal {name!r} exists", "exists")
    return {"name": name, "role": role, "token": token, "expires_at": _iso(expires_at)}


def list_principals():
    """Every principal as ``{name, role, created_at, expires_at, revoked}``: never a token or its hash."""
    for p in Principal.objects.order_by("name").only("name", "role", "created_at", "expires_at", "revoked_at"):
        yield {
            "name": p.name,
            "role": p.role,
            "created_at": _iso(p.created_at),
            "expires_at": _iso(p.expires_at),
            "revoked": p.revoked_at is not None,
        }


def _named(name):
    found = Principal.objects(name=name).first()
    if found is None:
        raise NotFound(f"no principal {name!r}")
    return found


def revoke_principal(name):
    """End the principal's token and console sessions for good."""
    _named(name)
    Principal.objects(name=name, revoked_at=None).update_one(set__revoked_at=utcnow(), inc__generation=1)
    return {"name": name, "revoked": True}


def rotate_token(name):
    """A new token for the principal; the old one and the sessions signed in with it end."""
    found = _named(name)
    if found.revoked_at is not None:
        raise Conflict(f"principal {name!r} is revoked")
    token = secrets.token_urlsafe(32)
    Principal.objects(name=name).update_one(set__token_hash=token_hash(token), inc__generation=1)
    return {"name": name, "role": found.role, "token": token, "expires_at": _iso(found.expires_at)}


def live_generation(name):
    """The token generation of a live principal, or None if it is unknown, revoked or expired."""
    found = Principal.objects(name=name).only("revoked_at", "expires_at", "generation").first()
    if found is None or not is_live(found):
        return None
    return found.generation or 1


class Authenticator:
    """Resolves ``Authorization: Bearer`` to a principal, with a cache of at most CACHE_SECONDS."""

    def __init__(self):
        self._cache = {}

    def principal(self, authorization, fresh=False):
        """``(name, role)`` of the token; ``fresh`` reads the database even if cached (signing in)."""
        if not authorization or not authorization.startswith("Bearer "):
            raise Unauthorized("a bearer token is required")
        digest = token_hash(authorization[len("Bearer ") :].strip())
        hit = self._cache.get(digest)
        now = time.monotonic()
        if hit and hit[2] > now and not fresh:
            return hit[0], hit[1]
        found = Principal.objects(token_hash=digest).only("name", "role", "revoked_at", "expires_at").first()
        if found is None or not is_live(found):
            self._cache.pop(digest, None)
            raise Unauthorized("unknown token")  # revoked and expired alike: nothing to tell a holder
        if len(self._cache) > 10000:
            self._cache.clear()
        until = now + CACHE_SECONDS
        expires = as_utc(found.expires_at)
        if expires is not None:  # never trust the cache past the token's own end
            until = min(until, now + (expires - utcnow()).total_seconds())
        self._cache[digest] = (found.name, found.role, until)
        return found.name, found.role
