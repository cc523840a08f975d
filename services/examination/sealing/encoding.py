"""Strict decoding of the base64 and hex fields that vendors and officers send."""

import base64
import binascii
import re

from services.common.errors import Invalid

_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


def decode_b64(value, field, length=None):
    """Decode standard base64 (padding required) or raise ``Invalid`` naming ``field``.

    ``length`` is the exact number of bytes expected, when the field has one.
    """
    if not isinstance(value, str) or not value:
        raise Invalid({field: ["must be a non-empty base64 string"]})
    try:
        # validate=True refuses characters outside the alphabet instead of
        # silently dropping them, so two different strings never decode alike.
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise Invalid({field: ["is not valid base64"]}) from None
    if length is not None and len(raw) != length:
        raise Invalid({field: [f"must decode to exactly {length} bytes"]})
    return raw


def encode_b64(raw):
    return base64.b64encode(raw).decode("ascii")


def is_hex_digest(value):
    """True for a lowercase hex SHA-256 digest (64 characters)."""
    return isinstance(value, str) and _HEX_DIGEST.fullmatch(value) is not None


def check_hex_digest(value, field):
    if not is_hex_digest(value):
        raise Invalid({field: ["must be a lowercase hex SHA-256 digest (64 characters)"]})
    return value
