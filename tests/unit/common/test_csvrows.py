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


def test_rows_ending_in_a_bare_carriage_return_are_read_as_rows():
    # classic Mac spreadsheets end rows in CR alone; read line by line they would be one unreadable row
    table = csvrows.read("a,b\rx,1\ry,2\r")
    assert table.header == ["a", "b"]
    assert [(r.number, r.cells, r.error) for r in table.records] == [(1, ["x", "1"], None), (2, ["y", "2"], None)]


def test_an_empty_body_or_unreadable_header_is_400():
    with pytest.raises(Invalid):
        csvrows.read("")
    with pytest.raises(Invalid):
        csvrows.read("y" * (csvrows.MAX_FIELD_CHARS + 1) + "\n")


# --- what a mutation run showed no test pinned down (docs/TESTING.md)


def refusal(call, *args):
    with pytest.raises(Invalid) as refused:
        call(*args)
    return refused.value.errors


def test_each_refusal_of_the_whole_body_names_its_field_body_by_default_word_for_word():
    assert refusal(csvrows.decode, b"a,\xff") == {"body": ["CSV must be UTF-8"]}
    assert refusal(csvrows.decode, None) == {"body": ["a text/csv body is required"]}
    assert refusal(csvrows.decode, 5, "file") == {"file": ["a text/csv body is required"]}
    assert refusal(csvrows.read, b"\xff") == {"body": ["CSV must be UTF-8"]}
    assert refusal(csvrows.read, "") == {"body": ["a CSV header row is required"]}
    assert refusal(csvrows.read, "", "file") == {"file": ["a CSV header row is required"]}


def test_an_oversized_header_is_refused_saying_the_limit_not_the_field():
    header = "y" * (csvrows.MAX_FIELD_CHARS + 1) + "\n"
    assert refusal(csvrows.read, header, "file") == {
        "file": [f"the header is not valid CSV (a field is over {csvrows.MAX_FIELD_CHARS} characters)"]
    }


def test_any_other_csv_error_is_reported_without_its_text():
    # the csv module's own message may quote the record; ours never does
    assert csvrows._why(csvrows.csv.Error("unexpected end of data near 'secret'")) == "the row is not valid CSV"


def test_a_quoted_field_keeps_its_line_breaks_as_written():
    # a spreadsheet's multi-line cell ends its lines in CRLF: the text is the cell's, not to be translated
    records = list(csvrows.read('a,b\n"one\r\ntwo",2\n').records)
    assert [r.cells for r in records] == [["one\r\ntwo", "2"]]
