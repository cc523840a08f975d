"""The one CSV decoder of every import (posts, cadres, applications): bytes to text, text to records.

A CSV body is UTF-8 (a spreadsheet's BOM allowed); anything else is a 400 for the whole body. Within
it, a record the csv module cannot read (a field over ``MAX_FIELD_CHARS``, a quote never closed) is one
bad record, reported by number with the others still read: API.md keeps the good rows of an import.
A field's content is never echoed in an error.
"""

import csv
import io
from dataclasses import dataclass

from services.common.errors import Invalid

# csv's own default, stated here so the limit is ours and not the interpreter's
MAX_FIELD_CHARS = 128 * 1024
csv.field_size_limit(MAX_FIELD_CHARS)


def decode(body, field="body"):
    """A CSV body as text: ``str`` as given, ``bytes`` as UTF-8; a leading BOM dropped; 400 otherwise."""
    if isinstance(body, (bytes, bytearray)):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            raise Invalid({field: ["CSV must be UTF-8"]}) from None
    if not isinstance(body, str):
        raise Invalid({field: ["a text/csv body is required"]})
    return body.removeprefix("\ufeff")


@dataclass(frozen=True)
class Record:
    """One record after the header: ``number`` 1 for the first; ``cells`` None when it could not be
    read, ``error`` then saying why."""

    number: int
    cells: list | None
    error: str | None = None

    @property
    def blank(self):
        return self.cells is not None and all(not cell.strip() for cell in self.cells)


@dataclass
class Table:
    header: list
    records: object  # an iterator of Record


def _why(exc):
    if "field larger than field limit" in str(exc):
        return f"a field is over {MAX_FIELD_CHARS} characters"
    return "the row is not valid CSV"


def read(body, field="body"):
    """The ``Table`` of a CSV body: its header (cells stripped) and its records, read lazily.
    400 when the body is not UTF-8, is empty, or its header cannot be read."""
    reader = csv.reader(io.StringIO(decode(body, field), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise Invalid({field: ["a CSV header row is required"]}) from None
    except csv.Error as exc:
        raise Invalid({field: [f"the header is not valid CSV ({_why(exc)})"]}) from None

    def records():
        number = 0
        while True:
            number += 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield Record(number, None, _why(exc))
                continue
            yield Record(number, cells)

    return Table([cell.strip() for cell in header], records())
