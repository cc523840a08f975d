"""Lists as API.md defines them: the query schema and the page built from limit + 1 rows."""
import pytest
from marshmallow import ValidationError

from services.common.paging import ListQuery, page


def test_a_page_of_limit_plus_one_rows_says_there_is_more_and_where_it_starts():
    rows = [{"seq": n} for n in range(4)]
    assert page(rows, 3, lambda r: str(r["seq"]), lambda r: r["seq"]) == {"items": [0, 1, 2], "next_cursor": "2"}


@pytest.mark.parametrize("count", [0, 2, 3])
def test_the_last_page_has_no_next_cursor(count):
    rows = list(range(count))
    assert page(rows, 3, str) == {"items": rows, "next_cursor": None}


def test_limit_defaults_to_50_and_is_bounded_to_500():
    assert ListQuery().load({}) == {"limit": 50, "cursor": None}
    assert ListQuery().load({"limit": "500", "cursor": "x"}) == {"limit": 500, "cursor": "x"}
    for bad in ("0", "501", "ten"):
        with pytest.raises(ValidationError) as info:
            ListQuery().load({"limit": bad})
        assert "limit" in info.value.messages
