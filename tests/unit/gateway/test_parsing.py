"""The gateway's one parsing layer: bad bodies and queries are 400s naming the field, never exceptions."""

import pytest
from marshmallow import Schema, fields
from werkzeug.datastructures import MultiDict
from werkzeug.routing import Map, Rule
from werkzeug.exceptions import NotFound

from gateway.parsing import AsciiIntegerConverter, MAX_DEPTH, json_depth, load, load_query, parse_json
from services.common.errors import Invalid
from services.common.paging import ListQuery


def refused(raw):
    with pytest.raises(Invalid) as caught:
        parse_json(raw)
    return caught.value.errors


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 1000 + b"1" + b"}" * 1000,
        b"\xff\xfe",
        b'{"a": "\xed\xa0\x80"}',
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": -Infinity}',
        b'{"a": 1e400}',
        b'{"a": ' + b"9" * 5000 + b"}",
        b'{"a": ' + b"1" * 31 + b"}",
        b'{"a": "x',
        b"\xef\xbb\xbf{}",
    ],
)
def test_bad_bodies_are_invalid_body(raw):
    assert "body" in refused(raw)


def test_duplicate_keys_name_the_key():
    assert "code" in refused(b'{"code": "a", "name": "n", "code": "b"}')


def test_a_lone_surrogate_names_its_field():
    assert "meeting.place" in refused(b'{"meeting": {"place": "\\ud800"}}')


def test_good_bodies_parse():
    assert parse_json(b"") == {}
    assert parse_json(b'{"a": [1, 2.5, "\\u4e2d", {"b": null}], "c": 1e10}') == {
        "a": [1, 2.5, "中", {"b": None}],
        "c": 1e10,
    }
    assert parse_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None


def test_depth_ignores_brackets_inside_strings():
    assert json_depth('{"a": "[[[[[[{{{{\\"]]]"}') == 1


def test_query_numbers_are_ascii_digits():
    for odd in ("١", "１２", "²", "1_0", " 7", "1e3"):
        with pytest.raises(Invalid) as caught:
            load_query(ListQuery, MultiDict({"limit": odd}))
        assert "limit" in caught.value.errors
    assert load_query(ListQuery, MultiDict({"limit": "12"}))["limit"] == 12


def test_cursors_are_printable_ascii_and_values_have_no_control_characters():
    for odd in ("²", "\u202e", "x\x00"):
        with pytest.raises(Invalid) as caught:
            load_query(ListQuery, MultiDict({"cursor": odd}))
        assert "cursor" in caught.value.errors
    assert load_query(ListQuery, MultiDict({"cursor": "1700000000000|abc"}))["cursor"] == "1700000000000|abc"


def test_a_number_field_refuses_a_non_ascii_number():
    class Q(Schema):
        score = fields.Float()

    with pytest.raises(Invalid):
        load_query(Q, MultiDict({"score": "٣.٥"}))
    assert load_query(Q, MultiDict({"score": "3.5"}))["score"] == 3.5


def test_load_turns_overflow_into_invalid():
    class Body(Schema):
        n = fields.Integer()

    with pytest.raises(Invalid):
        load(Body, {"n": float("inf")}, "body")


def test_int_path_ids_are_ascii_digits():
    urls = Map([Rule("/r/<int:seq>", endpoint="r")], converters={"int": AsciiIntegerConverter}).bind("h")
    assert urls.match("/r/12") == ("r", {"seq": 12})
    for odd in ("١", "１２"):
        with pytest.raises(NotFound):
            urls.match(f"/r/{odd}")
