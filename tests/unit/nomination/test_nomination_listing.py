"""The console's list of selections: the key that orders it and cuts its pages, and its cursors."""

from datetime import datetime, timedelta, timezone

import pytest

from services.common.errors import Invalid
from services.nomination.domain.listing import after_cursor, asked_before, check_cursor, listing_key

T = datetime(2031, 5, 5, 10, 0, 0, 150_000, tzinfo=timezone.utc)


def test_the_key_is_fixed_width_milliseconds_then_the_id():
    assert listing_key(T, "abc") == f"{round(T.timestamp() * 1000):015d}|abc"
    assert listing_key(T.replace(tzinfo=None), "abc") == listing_key(T, "abc")  # stored times come back naive UTC
    assert listing_key(None, "abc") == "000000000000000|abc"


def test_keys_sort_like_time_then_id():
    moments = [T, T + timedelta(milliseconds=1), T + timedelta(seconds=1), T + timedelta(days=400)]
    keys = [listing_key(m, "b") for m in moments]
    assert keys == sorted(keys)
    assert listing_key(T, "a") < listing_key(T, "b") < listing_key(T + timedelta(milliseconds=1), "a")


def test_after_cursor_is_strictly_older():
    cursor = listing_key(T, "m")
    assert after_cursor(listing_key(T, "a"), cursor)
    assert not after_cursor(cursor, cursor)
    assert not after_cursor(listing_key(T, "z"), cursor)
    assert after_cursor(listing_key(T - timedelta(milliseconds=1), "z"), cursor)
    assert after_cursor("anything", None)


def test_the_database_is_asked_a_superset_past_the_whole_second():
    bound = asked_before(listing_key(T, "m"))
    assert bound == datetime(2031, 5, 5, 10, 0, 2, tzinfo=timezone.utc)
    assert bound > T + timedelta(seconds=1)  # even a database that rounds to the second misses nothing older


@pytest.mark.parametrize("cursor", ["", "abc", "123|x", "0000000000000001|x", "00000000000000x|x", "000000000000001|"])
def test_a_cursor_the_list_did_not_give_is_refused(cursor):
    with pytest.raises(Invalid) as refused:
        check_cursor(cursor)
    assert "cursor" in refused.value.errors


def test_a_cursor_it_gave_is_taken():
    assert check_cursor(listing_key(T, "abc")) == listing_key(T, "abc")
