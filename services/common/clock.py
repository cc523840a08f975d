"""Time in UTC: now, stored times read back as aware UTC, and the RFC 3339 form events and answers use."""

from datetime import datetime, timezone


def utcnow():
    return datetime.now(timezone.utc)


def as_utc(value):
    """A stored time (datetime or RFC 3339 text) as an aware UTC datetime, or None if it is none.

    MongoDB hands datetimes back naive (they are UTC), and a time written by an update rather than an
    insert may come back as text from some MongoDB-compatible servers (nx-27017): accept all three.
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)  # reads "Z" since Python 3.11
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def rfc3339(moment):
    """UTC, second precision or finer, always with the ``Z`` offset."""
    return as_utc(moment).isoformat(timespec="microseconds").replace("+00:00", "Z")
