"""The records log's entry format (API.md "Records"): fields, hash chain and leaf hash anyone can recompute."""

import hashlib
import re

from . import jcs
from .merkle import LEAF_PREFIX

CONTENT_FIELDS = (
    "subject",
    "stage",
    "occurred_at",
    "place",
    "responsible",
    "matter",
    "result",
    "recorder",
    "correlation_id",
)
ENTRY_FIELDS = ("seq",) + CONTENT_FIELDS + ("prev_hash", "leaf_hash")
GENESIS_PREV_HASH = "0" * 64

_HEX_HASH = re.compile(r"[0-9a-f]{64}")


class EntryError(ValueError):
    """An entry that does not have the shape API.md gives it."""


def is_hex_hash(value):
    """True for a lowercase hex SHA-256, the only spelling the log uses."""
    return isinstance(value, str) and _HEX_HASH.fullmatch(value) is not None


def leaf_input(entry):
    """The bytes the leaf hash covers: RFC 8785 JSON of the entry as listed, minus ``leaf_hash``.

    Whatever keys the entry carries are covered, so a verifier hashes exactly
    what the listing showed it rather than what it expected to see.
    """
    return jcs.dumps({key: value for key, value in entry.items() if key != "leaf_hash"})


def leaf_hash_of(entry):
    """Lowercase hex ``SHA256(0x00 ‖ JCS(entry without leaf_hash))``."""
    return hashlib.sha256(LEAF_PREFIX + leaf_input(entry)).hexdigest()


def make_entry(seq, prev_hash, fields):
    """A complete entry at ``seq`` chained to ``prev_hash``, every field present (``None`` where missing)."""
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise EntryError(f"seq must be a non-negative integer, got {seq!r}")
    if not is_hex_hash(prev_hash):
        raise EntryError("prev_hash must be 64 lowercase hex characters")
    if seq == 0 and prev_hash != GENESIS_PREV_HASH:
        raise EntryError("the first entry's prev_hash is 64 zeros")
    unknown = sorted(set(fields) - set(CONTENT_FIELDS))
    if unknown:
        # Refusing beats dropping: a silently lost field would never be recorded.
        raise EntryError(f"not entry fields: {', '.join(unknown)}")
    entry = {"seq": seq}
    for name in CONTENT_FIELDS:
        value = fields.get(name)
        if value is not None and not isinstance(value, str):
            raise EntryError(f"{name} must be a string or null, got {type(value).__name__}")
        entry[name] = value
    entry["prev_hash"] = prev_hash
    entry["leaf_hash"] = leaf_hash_of(entry)
    return entry


def next_entry(previous, fields):
    """The entry that follows ``previous`` (``None`` for the very first one)."""
    if previous is None:
        return make_entry(0, GENESIS_PREV_HASH, fields)
    return make_entry(previous["seq"] + 1, previous["leaf_hash"], fields)


def build_log(fields_in_order):
    """Chain a sequence of field dicts into entries from seq 0."""
    entries = []
    for fields in fields_in_order:
        entries.append(next_entry(entries[-1] if entries else None, fields))
    return entries
