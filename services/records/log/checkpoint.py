"""Signed checkpoints of the records log (Ed25519 over size, root and time) and the log's signing key.

Wire format (API.md): ``{size, root, timestamp, key_id, signature}``; the signature is
base64 Ed25519 over the UTF-8 bytes of ``"cadre-log-v1\\n" + size + "\\n" + root + "\\n" + timestamp``.
``key_id`` is the first 16 lowercase hex characters of SHA-256 over the raw 32-byte
public key, so a verifier can tell which key a checkpoint claims without trusting it.
The signing key travels as the base64 of its raw 32-byte seed (configuration or a file).
"""

import base64
import binascii
import hashlib
import re
from datetime import datetime, timezone

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from .entry import is_hex_hash

CHECKPOINT_CONTEXT = "cadre-log-v1"
CHECKPOINT_FIELDS = ("size", "root", "timestamp", "key_id", "signature")
KEY_ID_LENGTH = 16
# RFC 3339's date-time (section 5.6) with the upper-case T and Z it lets a format insist on; Python's
# fromisoformat alone also takes ISO 8601 spellings RFC 3339 does not (basic format, week dates, no seconds)
_RFC_3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


class CheckpointError(ValueError):
    """A checkpoint or key that does not hold; the message says which part."""


def _b64decode(text, what, length=None):
    if not isinstance(text, str):
        raise CheckpointError(f"{what} must be a base64 string")
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise CheckpointError(f"{what} is not valid base64") from None
    if length is not None and len(raw) != length:
        raise CheckpointError(f"{what} must be {length} bytes, got {len(raw)}")
    return raw


def generate_signing_key_b64():
    """A fresh signing key as the base64 of its 32-byte seed."""
    return signing_key_to_b64(SigningKey.generate())


def signing_key_to_b64(signing_key):
    return base64.b64encode(bytes(signing_key)).decode("ascii")


def signing_key_from_b64(seed_b64):
    """The signing key whose raw 32-byte seed is base64 ``seed_b64``."""
    return SigningKey(_b64decode(seed_b64, "signing key seed", 32))


def public_key_b64(signing_key):
    """Base64 of the raw 32-byte Ed25519 public key."""
    return base64.b64encode(bytes(signing_key.verify_key)).decode("ascii")


def key_id_of(public_key):
    """First 16 hex chars of SHA-256 of the raw public key (bytes, or its base64)."""
    raw = _b64decode(public_key, "public key", 32) if isinstance(public_key, str) else bytes(public_key)
    return hashlib.sha256(raw).hexdigest()[:KEY_ID_LENGTH]


def public_key_document(signing_key):
    """The body of ``GET /api/v1/records/public-key``: ``{key_id, public_key}``."""
    return {"key_id": key_id_of(bytes(signing_key.verify_key)), "public_key": public_key_b64(signing_key)}


def format_timestamp(moment):
    """RFC 3339 UTC with a ``Z``, to the microsecond, for an aware datetime."""
    if moment.tzinfo is None:
        raise CheckpointError("a checkpoint time must carry its offset")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _rfc_3339(text):
    """The moment RFC 3339 date-time ``text`` names, or None for any other text."""
    if not _RFC_3339.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:  # the right shape, not a time: a 30 February, a 25th hour
        return None


def _check_timestamp(timestamp):
    if not isinstance(timestamp, str) or "\n" in timestamp:
        raise CheckpointError("timestamp must be an RFC 3339 string")
    moment = _rfc_3339(timestamp)
    if moment is None:
        raise CheckpointError(f"timestamp {timestamp!r} is not RFC 3339")
    if moment.utcoffset().total_seconds() != 0:
        raise CheckpointError("timestamp must be in UTC")


def _check_size_and_root(size, root_hex):
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise CheckpointError("size must be a non-negative integer")
    if not is_hex_hash(root_hex):
        raise CheckpointError("root must be 64 lowercase hex characters")


def checkpoint_message(size, root_hex, timestamp):
    """The exact bytes a checkpoint signature covers."""
    return f"{CHECKPOINT_CONTEXT}\n{size}\n{root_hex}\n{timestamp}".encode("utf-8")


def sign_checkpoint(signing_key, size, root_hex, timestamp):
    """A checkpoint of the tree of ``size`` leaves with root ``root_hex`` at ``timestamp`` (RFC 3339 UTC)."""
    if isinstance(signing_key, str):
        signing_key = signing_key_from_b64(signing_key)
    _check_size_and_root(size, root_hex)
    _check_timestamp(timestamp)
    signature = signing_key.sign(checkpoint_message(size, root_hex, timestamp)).signature
    return {
        "size": size,
        "root": root_hex,
        "timestamp": timestamp,
        "key_id": key_id_of(bytes(signing_key.verify_key)),
        "signature": base64.b64encode(signature).decode("ascii"),
    }


def check_checkpoint(checkpoint, public_key_b64_text):
    """Raise CheckpointError, naming the fault, unless ``checkpoint`` is signed by this public key."""
    if not isinstance(checkpoint, dict):
        raise CheckpointError("a checkpoint is a JSON object")
    missing = [name for name in CHECKPOINT_FIELDS if name not in checkpoint]
    if missing:
        raise CheckpointError(f"checkpoint lacks {', '.join(missing)}")
    size, root_hex, timestamp = checkpoint["size"], checkpoint["root"], checkpoint["timestamp"]
    _check_size_and_root(size, root_hex)
    if not isinstance(timestamp, str) or "\n" in timestamp:
        raise CheckpointError("timestamp must be an RFC 3339 string")
    raw_key = _b64decode(public_key_b64_text, "public key", 32)
    if checkpoint["key_id"] != key_id_of(raw_key):
        raise CheckpointError("checkpoint key_id does not name this public key")
    signature = _b64decode(checkpoint["signature"], "signature", 64)
    try:
        VerifyKey(raw_key).verify(checkpoint_message(size, root_hex, timestamp), signature)
    except BadSignatureError:
        raise CheckpointError("checkpoint signature does not verify") from None


def verify_checkpoint(checkpoint, public_key_b64_text):
    """True when ``checkpoint`` is well formed and signed by the key whose raw bytes are base64 ``public_key_b64_text``."""
    try:
        check_checkpoint(checkpoint, public_key_b64_text)
    except CheckpointError:
        return False
    return True
