"""The one CSV decoder: UTF-8 only, and a record it cannot read is one bad record, the rest still read."""

import pytest

from services.common import csvrows
from services.common.errors import Invalid


def test_bytes_must_be_utf8_and_a_bom_is_dropped():
    assert csvrows.decode("\ufeffa,b".encode()) == "a,b"
    with pytest.raises(Invalid) as caught:
        csvrows.decode(b"a,\xff", "csv")
    assert "csv" in caught.value.errors
    with pytest.raises(Invalid):
        csvrows.decode(None)


def test_an_oversized_field_is_one_bad_record():
    text = "a,b\n1,2\n" + "x" * (csvrows.MAX_FIELD_CHARS + 10) + ",3\n4,5\n"
    table = csvrows.read(text)
    records = list(table.records)
    assert table.header == ["a", "b"]
    assert [r.number for r in records] == [1, 2, 3]
    assert records[1].cells is None and str(csvrows.MAX_FIELD_CHARS) in records[1].error
    assert "x" * 20 not in records[1].error
    assert records[2].cells == ["4", "5"]


def test_a_bare_carriage_return_is_read_not_raised():
    records = list(csvrows.read("a,b\nx\ry,2\n").records)
    assert all(r.cells is not None or r.error for r in records)


def test_an_empty_body_or_unreadable_header_is_400():
    with pytest.raises(Invalid):
        csvrows.read("")
    with pytest.raises(Invalid):
        csvrows.read("y" * (csvrows.MAX_FIELD_CHARS + 1) + "\n")
