"""Listing rules (selection subjects, cursors, proof bounds) and the message preparation of the writer."""

import pytest

from services.common.envelope import make_envelope
from services.common.errors import Invalid, NotFound
from services.records.domain.listing import (
    check_consistency_bounds,
    check_proof_bounds,
    parse_seq_cursor,
    selection_subject,
    subject_filter,
)
from services.records.store import prepare


def test_selection_subject():
    assert selection_subject("selection:S1") == "selection:S1"
    assert selection_subject("review:R1", {"selection": "S1"}) == "selection:S1"
    assert selection_subject("unit:U1", {"code": "U1"}) is None
    assert selection_subject("selection:", None) is None


def test_subject_filter():
    assert subject_filter(None) == {}
    assert subject_filter("selection:S1") == {"about": "selection:S1"}
    assert subject_filter("unit:U1") == {"subject": "unit:U1"}


@pytest.mark.parametrize("cursor", ["-1", "abc", "1.5", "9" * 20, ""])
def test_bad_cursors_are_400_naming_cursor(cursor):
    with pytest.raises(Invalid) as caught:
        parse_seq_cursor(cursor)
    assert "cursor" in caught.value.errors


def test_good_cursor():
    assert parse_seq_cursor(None) == 0 and parse_seq_cursor("42") == 42


def test_proof_bounds():
    check_proof_bounds(0, 1, 5)
    with pytest.raises(Invalid) as caught:
        check_proof_bounds(0, 6, 5)
    assert "size" in caught.value.errors
    with pytest.raises(NotFound):
        check_proof_bounds(5, 5, 5)
    with pytest.raises(Invalid) as caught:
        check_proof_bounds(3, 2, 5)
    assert "seq" in caught.value.errors


def test_consistency_bounds():
    check_consistency_bounds(0, 5, 5)
    with pytest.raises(Invalid) as caught:
        check_consistency_bounds(1, 6, 5)
    assert "to" in caught.value.errors
    with pytest.raises(Invalid) as caught:
        check_consistency_bounds(4, 3, 5)
    assert "from" in caught.value.errors


def test_prepare_an_event_keeps_the_producers_time_text():
    envelope = make_envelope(
        "selection.decided",
        "nomination",
        "selection:S1",
        {"selection": "S1", "meeting": {"place": "Room"}},
        actor="committee",
        correlation_id="c",
    )
    prepared, loaded = prepare({"manual": False, "payload": envelope})
    assert prepared.key == envelope["id"] and prepared.about == "selection:S1"
    assert prepared.fields["occurred_at"] == envelope["occurred_at"] and prepared.fields["place"] == "Room"
    assert loaded["type"] == "selection.decided"


def test_prepare_skips_the_records_own_events_and_refuses_non_envelopes():
    own = make_envelope("record.appended", "records", "record:1", {})
    assert prepare({"manual": False, "payload": own})[0] is None
    with pytest.raises(ValueError):
        prepare({"manual": False, "payload": {"type": "x"}})
    with pytest.raises(ValueError):
        prepare({"manual": False, "payload": "text"})


def test_prepare_a_manual_entry():
    fields = {"subject": "selection:S1", "stage": "deliberation", "matter": "m", "recorder": "org"}
    prepared, envelope = prepare({"manual": True, "payload": {"kind": "manual", "id": "r1", "fields": fields}})
    assert prepared.key == "manual:r1" and prepared.fields == fields and envelope is None
    with pytest.raises(ValueError):
        prepare({"manual": True, "payload": {"kind": "manual", "id": "r1", "fields": {"evil": "x"}}})
    with pytest.raises(ValueError):
        prepare({"manual": True, "payload": {"kind": "manual", "fields": fields}})


def test_the_envelope_fast_path_agrees_with_the_chassis_schema():
    from services.common.envelope import _plain, _schema

    good = make_envelope("unit.created", "nomination", "unit:U1", {"code": "U1"}, actor=None)
    by_schema = _schema.load(dict(good))
    assert _plain(good) == dict(by_schema, id=str(by_schema["id"]))
    bad = [
        dict(good, id="nope"),
        dict(good, type="Unit"),
        dict(good, source=["n"] * 3),
        dict(good, subject=""),
        dict(good, version=True),
        dict(good, version=2),
        dict(good, data=[]),
        dict(good, actor=5),
        dict(good, occurred_at="yesterday"),
        {k: v for k, v in good.items() if k != "subject"},
    ]
    for payload in bad:
        assert _plain(payload) is None, payload
        with pytest.raises(ValueError):
            prepare({"manual": False, "payload": payload})


# Each boundary and the text of each refusal.


def test_a_selection_is_named_only_by_text():
    assert selection_subject("review:R1", {"selection": ""}) is None
    assert selection_subject("review:R1", ["S1"]) is None


def test_a_cursor_of_fifteen_digits_is_the_longest_taken():
    assert parse_seq_cursor("9" * 15) == 10**15 - 1
    with pytest.raises(Invalid) as caught:
        parse_seq_cursor("9" * 16)
    assert caught.value.errors == {"cursor": ["not a cursor this listing gave out"]}


def test_a_proof_of_the_last_entry_in_size_needs_a_larger_size_and_each_refusal_says_why():
    with pytest.raises(Invalid) as caught:
        check_proof_bounds(2, 2, 5)
    assert caught.value.errors == {"seq": ["seq 2 is not within the first 2 entries; ask with a larger size"]}
    with pytest.raises(Invalid) as caught:
        check_proof_bounds(0, 6, 5)
    assert caught.value.errors == {"size": ["the log has 5 entries; size must be at most that"]}
    with pytest.raises(NotFound) as caught:
        check_proof_bounds(5, 5, 5)
    assert caught.value.detail == "no entry with seq 5"


def test_a_consistency_from_a_size_to_itself_is_allowed_and_each_refusal_says_why():
    check_consistency_bounds(3, 3, 5)
    with pytest.raises(Invalid) as caught:
        check_consistency_bounds(4, 3, 5)
    assert caught.value.errors == {"from": ["from must not be greater than to"]}
    with pytest.raises(Invalid) as caught:
        check_consistency_bounds(1, 6, 5)
    assert caught.value.errors == {"to": ["the log has 5 entries; to must be at most that"]}
