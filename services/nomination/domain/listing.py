"""The list of selections as the console reads it: newest first, cut into pages on a fixed-width text key.

The embedded database compares dates in queries only to the whole second (its sorts are exact) and reads
a date-looking string as a date, so a page is never cut on a date: the cursor is the last item's key,
``<milliseconds since the epoch, 15 digits>|<selection id>``, and the database is only asked for a
superset (created before a bound two whole seconds past the cursor) that the key then cuts exactly.
"""

from __future__ import annotations

from datetime import datetime, timezone

from services.common.errors import Invalid

MILLIS_DIGITS = 15
# past the cursor's own second: whether the database truncates or rounds a date, nothing older is missed
SLACK_SECONDS = 2


def listing_key(created_at: datetime | None, selection_id: str) -> str:
    """Text that sorts like (created_at, id); a selection with no time sorts as the oldest."""
    millis = 0
    if created_at is not None:
        moment = created_at if created_at.tzinfo else created_at.replace(tzinfo=timezone.utc)
        millis = round(moment.timestamp() * 1000)
    return f"{millis:0{MILLIS_DIGITS}d}|{selection_id}"


def check_cursor(cursor: str) -> str:
    """A cursor is a key this list gave out; anything else is 400 naming ``cursor``."""
    millis, sep, selection_id = cursor.partition("|")
    if not sep or not selection_id or len(millis) != MILLIS_DIGITS or not millis.isdigit():
        raise Invalid({"cursor": ["not a cursor this list gave out"]})
    return cursor


def asked_before(cursor: str) -> datetime:
    """The ``created_at`` bound to ask the database with for the page after ``cursor``: a superset of it."""
    millis = int(cursor.partition("|")[0])
    return datetime.fromtimestamp(millis // 1000 + SLACK_SECONDS, tz=timezone.utc)


def after_cursor(key: str, cursor: str | None) -> bool:
    """Whether the item whose key is ``key`` belongs after ``cursor`` (newest first: its key is smaller)."""
    return cursor is None or key < cursor
