"""Principals and their bearer tokens: random, shown once, stored only as SHA-256 hashes."""
import hashlib
import secrets
import time

from mongoengine import NotUniqueError

from gateway.authz import ROLES
from gateway.models import Principal
from services.common.errors import Conflict, Invalid, Unauthorized

_CACHE_SECONDS = 30.0


def token_hash(token):
    # Tokens carry 256 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_principal(name, role):
    """Create a principal; returns ``{name, role, token}`` — the only time the token exists."""
    if role not in ROLES:
        raise Invalid({"role": [f"must be one of: {', '.join(ROLES)}"]})
    if not name or len(name) > 64:
        raise Invalid({"name": ["1-64 characters"]})
    token = secrets.token_urlsafe(32)
    try:
        Principal(name=name, role=role, token_hash=token_hash(token)).save(force_insert=True)
    except NotUniqueError:
        raise Conflict(f"principal {name!r} exists", "exists")
    return {"name": name, "role": role, "token": token}


class Authenticator:
    """Resolves ``Authorization: Bearer`` to a principal, with a short cache to spare the database."""

    def __init__(self):
        self._cache = {}

    def principal(self, authorization):
        if not authorization or not authorization.startswith("Bearer "):
            raise Unauthorized("a bearer token is required")
        digest = token_hash(authorization[len("Bearer "):].strip())
        hit = self._cache.get(digest)
        now = time.monotonic()
        if hit and hit[2] > now:
            return hit[0], hit[1]
        found = Principal.objects(token_hash=digest).only("name", "role").first()
        if found is None:
            raise Unauthorized("unknown token")
        if len(self._cache) > 10000:
            self._cache.clear()
        self._cache[digest] = (found.name, found.role, now + _CACHE_SECONDS)
        return found.name, found.role
