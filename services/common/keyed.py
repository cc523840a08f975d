"""Keys derived from a client's Idempotency-Key, so a store of keyed requests holds nothing readable.

The client's key is the only secret: the store of keyed requests (each service's applied requests; the
gateway derives for it and keeps none) finds its record by an HKDF of that key, checks "same request?" with
an HMAC under another HKDF of it, and keeps the answer sealed (ChaCha20-Poly1305) under a third. Each
derivation has its own ``info``, and the caller's scope (principal) is the salt, so one derived value
reveals nothing about another, the same key of two principals yields unrelated records, and whoever
reads the database can neither find a record from a key he guesses without the key itself, nor test
guesses of a request body, nor read a kept answer (API.md "Conventions", DESIGN.md "Security").
"""

import base64
import hmac as std_hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

INFO_PREFIX = b"cadre-selection/keyed-request/v1/"
NONCE_BYTES = 12
# a day: API.md "Records of keys expire after 24 hours"
RECORD_SECONDS = 24 * 3600


class Unreadable(Exception):
    """A sealed answer that does not open under the given secret (another key, or tampered with)."""


def derive(key, scope, purpose):
    """32 bytes for ``purpose`` from the client's Idempotency-Key, salted with the caller's scope."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=scope.encode("utf-8"), info=INFO_PREFIX + purpose.encode("ascii")
    ).derive(key.encode("utf-8"))


def lookup(key, scope, store):
    """The id a store files the key's record under (hex): never the key, never the same in two stores."""
    return derive(key, scope, f"{store}/lookup").hex()


def digest(secret, *parts):
    """HMAC-SHA256 of the parts (length-prefixed, so no two part lists collide) under ``secret``."""
    mac = hmac.HMAC(secret, hashes.SHA256())
    for part in parts:
        mac.update(len(part).to_bytes(8, "big") + part)
    return mac.finalize().hex()


def same_digest(a, b):
    return a is not None and b is not None and std_hmac.compare_digest(a, b)


def seal(secret, plaintext, bound_to):
    """``plaintext`` (bytes) sealed under ``secret`` and bound to ``bound_to`` (the record's id): text."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = ChaCha20Poly1305(secret).encrypt(nonce, plaintext, bound_to.encode("utf-8"))
    return base64.b64encode(nonce + sealed).decode("ascii")


def unseal(secret, text, bound_to):
    """The plaintext of ``seal``; Unreadable if the secret or the record id is not the one it was sealed with."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
        return ChaCha20Poly1305(secret).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], bound_to.encode("utf-8"))
    except (InvalidTag, ValueError, TypeError) as exc:
        raise Unreadable(type(exc).__name__) from None


def encode_secret(secret):
    """A derived secret as text, to travel in an RPC context entry."""
    return base64.urlsafe_b64encode(secret).decode("ascii")


def decode_secret(text):
    """The 32 bytes of ``encode_secret``; None for anything else."""
    try:
        secret = base64.urlsafe_b64decode(text.encode("ascii"))
    except (ValueError, TypeError, AttributeError):
        return None
    return secret if len(secret) == 32 else None
