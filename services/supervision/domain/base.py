"""Values shared by the supervision rules: the events they ask to emit, and checks on times and text."""

from dataclasses import dataclass, field
from datetime import datetime

from services.common.errors import Invalid


@dataclass(frozen=True)
class Event:
    """An event a rule asks the service to emit; the service wraps it in the envelope.

    ``subject`` is the envelope's subject (``selection:<id>``); ``data`` holds ids and
    outcomes only, never personal data or free text from the public.
    """

    type: str
    subject: str
    data: dict = field(default_factory=dict)


def selection_subject(selection):
    return f"selection:{selection}"


def require_aware(moment, name="now"):
    """Reject naive datetimes: comparing them with stored UTC times would silently shift deadlines."""
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return moment


def clean_text(value, field_name, max_chars, required=True):
    """Return ``value`` stripped, or raise Invalid naming the field (never echoing the value)."""
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise Invalid({field_name: ["Not a valid string."]})
    text = value.strip()
    if required and not text:
        raise Invalid({field_name: ["Must not be empty."]})
    if len(text) > max_chars:
        raise Invalid({field_name: [f"Longer than maximum length {max_chars}."]})
    return text
