"""Record entries from event envelopes of any type and from manual entries, never carrying personal data."""

import json
from decimal import Decimal

import pytest

from services.common.errors import Invalid
from services.records.domain.entries import (
    RECORD_STAGES,
    RECORDER,
    RESULT_MAX_CHARS,
    entry_fields_from_event,
    is_recordable,
    manual_entry_fields,
    result_of,
    without_personal_data,
)
from services.records.log.entry import CONTENT_FIELDS, make_entry, GENESIS_PREV_HASH

DESIGN_EVENT_TYPES = [
    "unit.created",
    "post.created",
    "selection.opened",
    "selection.stage_changed",
    "ballot_session.closed",
    "nomination.made",
    "nomination.voided",
    "selection.inspected",
    "review.cleared",
    "review.vetoed",
    "pre_report.approved",
    "selection.decided",
    "notice.opened",
    "objection.lodged",
    "objection.resolved",
    "notice.closed",
    "selection.appointed",
    "filing.recorded",
    "campaign.opened",
    "sheet.received",
    "campaign.unsealed",
    "campaign.results_published",
    "assessment.ranked",
]


def envelope(event_type, data=None, **overrides):
    body = {
        "id": "4f1c2b1e-0000-4000-8000-000000000001",
        "type": event_type,
        "source": "nomination",
        "occurred_at": "2026-03-01T08:00:00Z",
        "correlation_id": "req-9",
        "actor": "org",
        "subject": "selection:42",
        "data": data if data is not None else {},
        "version": 1,
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    "event_type,stage",
    [
        ("selection.opened", "motion"),
        ("ballot_session.closed", "recommendation"),
        ("nomination.made", "nomination"),
        ("selection.inspected", "inspection"),
        ("review.vetoed", "joint_review"),
        ("selection.decided", "decision"),
        ("notice.opened", "public_notice"),
        ("objection.lodged", "public_notice"),
        ("selection.appointed", "appointment"),
        ("filing.recorded", "filing"),
        ("sheet.received", "examination"),
        ("campaign.unsealed", "examination"),
    ],
)
def test_known_events_land_in_their_record_stage(event_type, stage):
    assert entry_fields_from_event(envelope(event_type))["stage"] == stage


def test_stage_changed_takes_the_stage_it_announces():
    fields = entry_fields_from_event(envelope("selection.stage_changed", {"stage": "consultation", "from": "x"}))
    assert fields["stage"] == "consultation"
    assert entry_fields_from_event(envelope("selection.stage_changed", {}))["stage"] is None


def test_unseen_event_types_still_produce_complete_fields():
    # An aggregate we know, a verb we don't; a stage announced in data; nothing known at all.
    assert entry_fields_from_event(envelope("objection.withdrawn"))["stage"] == "public_notice"
    assert entry_fields_from_event(envelope("selection.paused", {"stage": "inspection"}))["stage"] == "inspection"
    fields = entry_fields_from_event(envelope("weather.changed", {"sky": "grey"}))
    assert fields["stage"] is None and fields["matter"] == "weather changed"
    assert set(fields) == set(CONTENT_FIELDS)


@pytest.mark.parametrize("event_type", DESIGN_EVENT_TYPES)
def test_every_design_event_type_makes_a_hashable_entry(event_type):
    fields = entry_fields_from_event(envelope(event_type, {"n": 1, "nested": {"ok": [1.5, None, True]}}))
    entry = make_entry(0, GENESIS_PREV_HASH, fields)
    assert entry["matter"] == event_type.replace(".", " ").replace("_", " ")
    assert entry["stage"] is None or entry["stage"] in RECORD_STAGES or event_type == "selection.stage_changed"


def test_envelope_fields_are_carried_over():
    fields = entry_fields_from_event(envelope("selection.decided", {"meeting": {"place": "常委会议室"}}))
    assert fields == {
        "subject": "selection:42",
        "stage": "decision",
        "occurred_at": "2026-03-01T08:00:00Z",
        "place": "常委会议室",
        "responsible": "org",
        "matter": "selection decided",
        "result": '{"meeting":{"place":"常委会议室"}}',
        "recorder": RECORDER,
        "correlation_id": "req-9",
    }
    assert entry_fields_from_event(envelope("x.y", {"place": "A", "meeting": {"place": "B"}}))["place"] == "A"
    assert entry_fields_from_event(envelope("x.y", {"meeting": "not a dict"}))["place"] is None


def test_result_is_deterministic_canonical_json_whatever_the_key_order():
    a = entry_fields_from_event(envelope("x.y", {"b": 1, "a": {"d": 2, "c": 3}}))["result"]
    b = entry_fields_from_event(envelope("x.y", {"a": {"c": 3, "d": 2}, "b": 1}))["result"]
    assert a == b == '{"a":{"c":3,"d":2},"b":1}'
    assert entry_fields_from_event(envelope("x.y", {}))["result"] is None


def test_long_results_are_cut_to_the_limit():
    result = entry_fields_from_event(envelope("x.y", {"text": "长" * 5000}))["result"]
    assert len(result) == RESULT_MAX_CHARS and result.endswith("…")


ID_NUMBER = "11010519491231002X"


def test_personal_data_never_reaches_an_entry_at_any_depth():
    data = {
        "applicant": {"id_number": ID_NUMBER, "name": "张三", "birth_date": "1990-01-01"},
        "rows": [{"ID_Number": "110105194912310021", "Birth_Date": "1985-05-05", "post": "p1"}],
        "tokens": ["secret-ballot-token"],
        "key_shares": [{"officer": "a", "share": "s3cr3t"}],
        "note": f"applicant {ID_NUMBER} withdrew",
    }
    fields = entry_fields_from_event(envelope("application.imported", data))
    text = json.dumps(fields, ensure_ascii=False)
    for secret in (
        ID_NUMBER,
        "110105194912310021",
        "1990-01-01",
        "1985-05-05",
        "Birth_Date",
        "secret-ballot-token",
        "s3cr3t",
        "birth_date",
    ):
        assert secret not in text
    assert json.loads(fields["result"])["applicant"] == {"name": "张三"}
    assert json.loads(fields["result"])["note"] == "applicant [redacted] withdrew"


def test_redaction_leaves_other_numbers_and_values_alone():
    cleaned = without_personal_data({"votes": 12, "code": "A-1234567", "big": 2**60, "f": float("nan")})
    assert cleaned == {"votes": 12, "code": "A-1234567", "big": str(2**60), "f": "nan"}


def test_records_own_events_are_not_recorded_again():
    assert not is_recordable(envelope("record.appended", source="records"))
    assert not is_recordable(envelope("record.appended"))
    assert is_recordable(envelope("selection.decided"))


def test_manual_entry_takes_body_caller_and_time():
    body = {
        "subject": "selection:42",
        "stage": "deliberation",
        "place": "会议室",
        "responsible": "书记",
        "matter": "酝酿 nominees",
        "result": "agreed",
    }
    fields = manual_entry_fields(body, recorder="committee", occurred_at="2026-03-01T08:00:00Z", correlation_id="req-3")
    assert fields == dict(body, recorder="committee", occurred_at="2026-03-01T08:00:00Z", correlation_id="req-3")
    minimal = manual_entry_fields({"subject": "s", "stage": "motion", "matter": "m"}, "org", "2026-03-01T08:00:00Z")
    assert minimal["place"] is None and minimal["result"] is None and minimal["correlation_id"] is None
    assert set(minimal) == set(CONTENT_FIELDS)


@pytest.mark.parametrize(
    "body,field",
    [
        ({"stage": "motion", "matter": "m"}, "subject"),
        ({"subject": "s", "stage": "lunch", "matter": "m"}, "stage"),
        ({"subject": "s", "stage": "motion", "matter": "m", "place": 3}, "place"),
        ({"subject": "s", "stage": "motion", "matter": "m", "recorder": "me"}, "recorder"),
        ({"subject": "s", "stage": "motion", "matter": "  "}, "matter"),
    ],
)
def test_manual_entry_rejects_bad_bodies_naming_the_field(body, field):
    with pytest.raises(Invalid) as caught:
        manual_entry_fields(body, "org", "2026-03-01T08:00:00Z")
    assert field in caught.value.errors
    assert caught.value.problem()["status"] == 400 and caught.value.code == "invalid"


def test_manual_entry_redacts_id_numbers_typed_into_text():
    fields = manual_entry_fields(
        {"subject": "s", "stage": "inspection", "matter": "m", "result": f"checked {ID_NUMBER}"},
        "org",
        "2026-03-01T08:00:00Z",
    )
    assert ID_NUMBER not in fields["result"]


# Each boundary of what is recorded, and each refusal's message.


def test_a_stage_change_records_the_stage_announced_even_one_the_record_has_no_step_for():
    assert entry_fields_from_event(envelope("selection.stage_changed", {"stage": "closed"}))["stage"] == "closed"
    for bad in ("", 5):
        assert entry_fields_from_event(envelope("selection.stage_changed", {"stage": bad}))["stage"] is None


def test_a_stage_named_in_data_counts_only_when_it_is_a_record_stage():
    assert entry_fields_from_event(envelope("unit.created", {"stage": "lunch"}))["stage"] is None


def test_the_aggregate_is_the_first_part_of_the_type():
    assert entry_fields_from_event(envelope("review.reopened.by_hand"))["stage"] == "joint_review"


def test_envelope_values_that_are_not_text_are_recorded_as_text():
    fields = entry_fields_from_event(envelope("selection.decided", [1, 2], actor=5))
    assert fields["responsible"] == "5" and fields["result"] is None and fields["place"] is None
    assert entry_fields_from_event(envelope("", type=None))["matter"] is None
    assert entry_fields_from_event(envelope("selection.decided", {"place": ""}))["place"] is None


def test_integers_a_double_holds_exactly_stay_numbers_and_others_become_text():
    cleaned = without_personal_data({"a": 2**53, "b": -(2**53), "c": 2**53 + 1, "d": 107, "f": 1.5, "n": None})
    assert cleaned == {"a": 2**53, "b": -(2**53), "c": str(2**53 + 1), "d": 107, "f": 1.5, "n": None}


def test_values_of_other_types_are_recorded_as_their_text():
    assert without_personal_data({"amount": Decimal("1.5")}) == {"amount": "1.5"}


def test_a_result_of_exactly_the_limit_is_kept_whole():
    data = {"x": "a" * 992}  # {"x":"…"} is 8 characters more
    assert result_of(data) == '{"x":"' + "a" * 992 + '"}' and len(result_of(data)) == RESULT_MAX_CHARS


def test_another_service_s_event_from_the_records_service_is_not_recorded():
    assert not is_recordable(envelope("campaign.opened", source="records"))
    assert is_recordable(envelope("campaign.opened", source="examination"))


def test_each_fault_of_a_manual_entry_has_its_message():
    with pytest.raises(Invalid) as caught:
        manual_entry_fields({"matter": " ", "place": 3, "recorder": "me"}, "org", "2026-03-01T08:00:00Z")
    assert caught.value.errors == {
        "recorder": ["Unknown field."],
        "subject": ["Missing data for required field."],
        "stage": ["Missing data for required field."],
        "matter": ["Not a valid non-empty string."],
        "place": ["Not a valid non-empty string."],
    }
    with pytest.raises(Invalid) as caught:
        manual_entry_fields({"subject": "s", "stage": "lunch", "matter": "m"}, "org", "2026-03-01T08:00:00Z")
    assert caught.value.errors == {
        "stage": [
            "Must be one of: motion, nomination, inspection, deliberation, decision, public_notice, appointment, "
            "qualification, consultation, recommendation, joint_review, filing, examination."
        ]
    }
