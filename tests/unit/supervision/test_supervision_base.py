"""The checks every supervision rule shares: aware times only, and trimmed text with its field's messages."""

from datetime import date, datetime, timedelta, timezone, tzinfo

import pytest

from services.common.errors import Invalid
from services.supervision.domain import base

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)


class NoOffset(tzinfo):
    """A zone that answers no offset: a datetime in it is as naive as one without a zone."""

    def utcoffset(self, moment):
        return None


def test_an_aware_time_is_returned_as_it_is():
    assert base.require_aware(T0) is T0
    assert base.require_aware(T0.astimezone(timezone(timedelta(hours=8)))) == T0


@pytest.mark.parametrize(
    "bad", [datetime(2026, 3, 1), datetime(2026, 3, 1, tzinfo=NoOffset()), "2026-03-01", date(2026, 3, 1)]
)
def test_a_time_without_an_offset_or_not_a_time_is_refused_naming_it(bad):
    with pytest.raises(ValueError, match="^now must be a timezone-aware datetime$"):
        base.require_aware(bad)
    with pytest.raises(ValueError, match="^decided_at must be a timezone-aware datetime$"):
        base.require_aware(bad, "decided_at")


def test_text_is_trimmed_and_each_fault_has_its_message():
    assert base.clean_text("  a  ", "reason", 3) == "a"
    assert base.clean_text(None, "reason", 3, required=False) == ""
    assert base.clean_text("", "reason", 3, required=False) == ""
    assert base.clean_text("abc", "reason", 3) == "abc"
    for value, message in [
        (None, "Not a valid string."),
        (7, "Not a valid string."),
        ("  ", "Must not be empty."),
        ("abcd", "Longer than maximum length 3."),
    ]:
        with pytest.raises(Invalid) as exc:
            base.clean_text(value, "reason", 3)
        assert exc.value.errors == {"reason": [message]}
