"""Lists as API.md defines them: the query schema and the page built from limit + 1 rows."""

import pytest
from marshmallow import ValidationError

from services.common import paging
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


def test_a_page_schema_is_named_for_its_items_and_lists_them():
    # the OpenAPI document names each page's schema: two lists must not collide on one name
    from marshmallow import Schema, fields

    class EntryOut(Schema):
        seq = fields.Integer()

    schema = paging.page_of(EntryOut)
    assert schema.__name__ == "EntryPage"
    assert paging.page_of(EntryOut, name="Listing").__name__ == "Listing"
    assert set(schema._declared_fields) == {"items", "next_cursor"}
    assert schema().dump({"items": [{"seq": 1}], "next_cursor": None}) == {"items": [{"seq": 1}], "next_cursor": None}
    assert schema().load({"items": [{"seq": 2}], "next_cursor": None}) == {"items": [{"seq": 2}], "next_cursor": None}
    with_size = paging.page_of(EntryOut, size=fields.Integer())
    assert set(with_size._declared_fields) == {"items", "next_cursor", "size"}
