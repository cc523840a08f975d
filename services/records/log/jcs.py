"""RFC 8785 canonical JSON, fast: ``json.dumps`` where it is byte-identical to JCS, ``rfc8785`` elsewhere.

For objects with ASCII keys whose leaves are strings, booleans, null and integers a double holds
exactly, Python's compact, sorted, non-ASCII-preserving ``json.dumps`` writes the same bytes as
JCS (same escapes: ``\\b \\f \\n \\r \\t``, other controls as lowercase ``\\u00xx``). Floats (whose
shortest form differs between Python and ECMAScript), non-ASCII keys (JCS sorts by UTF-16 code
units) and lone surrogates go to the reference implementation. The writer hashes every entry, so
this is its hot path; ``tests/unit/records/test_records_jcs.py`` holds the two to the same bytes.
"""

import json

import rfc8785

_SAFE_INT = 2**53


def _simple(value):
    if value is None or isinstance(value, (str, bool)):
        return True
    if isinstance(value, int):
        return -_SAFE_INT < value < _SAFE_INT
    if isinstance(value, dict):
        return all(isinstance(k, str) and k.isascii() and _simple(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_simple(v) for v in value)
    return False


def dumps(value):
    """The RFC 8785 bytes of ``value``."""
    if _simple(value):
        try:
            return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: let the reference implementation refuse it the same way
    return rfc8785.dumps(value)
