"""The one layer where the API reads a request: its body (JSON, or CSV text), its query and its
numeric path ids. Whatever a client sends, it answers with the parsed value or a 400/413 naming the
field, never an exception the gateway did not expect (API.md: "Never a 500 for bad input").

What it refuses, and why each would otherwise have been a 500 somewhere behind it:

- JSON nested deeper than ``MAX_DEPTH`` (the decoder, marshmallow and the RPC serializer recurse);
- bytes that are not UTF-8, and ``\\ud800``-style lone surrogates (the database cannot store them);
- a key given twice in one object (which one counts would be the parser's whim, not the client's);
- ``NaN``, ``Infinity``, numbers beyond a double (``1e400``) and integers of more than ``MAX_INT_DIGITS``
  digits (``int()`` of an infinity raises; Python refuses over 4,300 digits with a ValueError of its own);
- query numbers and path ids written with other than ASCII digits (Python's ``int`` reads ``١`` and
  ``１２`` as 1 and 12, so ``?limit=١`` would be served as a valid limit), cursors that are not the
  printable ASCII every list issues, and control characters in any query value.
"""

import functools
import json
import math
import re
from itertools import accumulate

from marshmallow import ValidationError, fields
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

from services.common import config, csvrows
from services.common.errors import Invalid, TooLarge

MAX_DEPTH = 32
MAX_INT_DIGITS = 30
# strings of a JSON text (escapes included), removed before counting its brackets
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(r"[\[\]{}]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_ASCII_INT = re.compile(r"[+-]?[0-9]{1,18}")
_ASCII_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,18}(?:\.[0-9]{0,18})?|\.[0-9]{1,18})(?:[eE][+-]?[0-9]{1,3})?")
_CURSOR = re.compile(r"[\x20-\x7e]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def read_body(request):
    """The raw body, at most MAX_BODY_BYTES (413 ``too_large`` beyond, whatever Content-Length says)."""
    limit = config.get_int("MAX_BODY_BYTES")
    if (request.content_length or 0) > limit:
        raise TooLarge(f"request bodies are limited to {limit} bytes", "too_large")
    request.max_content_length = limit
    try:
        return request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise TooLarge(f"request bodies are limited to {limit} bytes", "too_large")


# --- JSON ------------------------------------------------------------------------------------------


def _malformed(message):
    return Invalid({"body": [message]})


def _no_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise Invalid({key[:64]: ["is given twice in one object"]})
        seen[key] = value
    return seen


def _no_constant(name):
    raise _malformed(f"{name} is not a JSON number")


def _finite(text):
    value = float(text)
    if not math.isfinite(value):
        raise _malformed("a number is out of range")
    return value


def _bounded_int(text):
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _malformed("a number is out of range")
    return int(text)


def json_depth(text):
    """How deep arrays and objects nest in a JSON text (its strings left out), without parsing it."""
    brackets = _BRACKET.findall(_JSON_STRING.sub("", text))
    return max(accumulate(1 if b in "[{" else -1 for b in brackets), default=0)


def _surrogate_at(value, path="body"):
    """The field path of the first string (or key) holding a lone surrogate, else None."""
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return where
        elif isinstance(item, dict):
            for key, inner in item.items():
                if _SURROGATE.search(key):
                    return where
                stack.append((inner, key if where == "body" else f"{where}.{key}"))
        elif isinstance(item, list):
            stack.extend((inner, f"{where}[{i}]") for i, inner in enumerate(item))
    return None


def parse_json(raw):
    """The JSON value of a body (``{}`` when it is empty), or 400 ``invalid`` naming what is wrong."""
    if not raw.strip():
        return {}
    try:
        text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
    except UnicodeDecodeError:
        raise _malformed("must be UTF-8 JSON") from None
    if json_depth(text) > MAX_DEPTH:
        raise _malformed(f"nests deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_float=_finite,
            parse_int=_bounded_int,
        )
    except (ValueError, RecursionError) as exc:
        raise _malformed(f"malformed JSON: {exc}"[:200]) from None
    if "\\u" in text and (where := _surrogate_at(value)) is not None:
        raise Invalid({where[:64]: ["holds a lone surrogate, which is not Unicode text"]})
    return value


@functools.cache
def schema_of(schema_cls):
    """The one instance of a body or query schema: marshmallow schemas keep no state between loads, and
    making one copies every declared field (5 % of the gateway's busy time on a write)."""
    return schema_cls()


def load(schema_cls, data, where):
    """``data`` loaded by the schema, or 400 ``invalid`` with marshmallow's messages by field."""
    try:
        return schema_of(schema_cls).load(data)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {where: exc.messages}
        raise Invalid(messages)
    except (OverflowError, RecursionError):
        raise Invalid({where: ["a value is out of range"]}) from None


# --- CSV -------------------------------------------------------------------------------------------


def csv_text(raw):
    """A text/csv body as text (the services' one CSV decoder: UTF-8, a BOM allowed)."""
    return csvrows.decode(raw, "body")


# --- query and path --------------------------------------------------------------------------------


def load_query(schema_cls, args):
    """The query string loaded by the schema, after refusing what the schema's own parsing would
    misread: non-ASCII digits in numbers, a cursor no list issued, control characters."""
    schema = schema_of(schema_cls)
    given = args.to_dict()
    errors = {}
    for name, value in given.items():
        declared = schema.fields.get(name)
        if _CONTROL.search(value):
            errors[name[:64]] = ["must not contain control characters"]
        elif isinstance(declared, fields.Integer) and not _ASCII_INT.fullmatch(value):
            errors[name] = ["Not a valid integer."]
        elif isinstance(declared, fields.Number) and not _ASCII_NUMBER.fullmatch(value):
            errors[name] = ["Not a valid number."]
        elif name == "cursor" and not _CURSOR.fullmatch(value):
            errors[name] = ["Not a cursor this list gave."]
    if errors:
        raise Invalid(errors)
    return load(schema_cls, given, "query")


class AsciiIntegerConverter(IntegerConverter):
    """werkzeug's ``int`` path converter matches ``\\d``, which takes any script's digits (``/records/١``
    would be entry 1): only ASCII digits here, so an odd id is simply no such endpoint (404)."""

    regex = r"[0-9]+"
