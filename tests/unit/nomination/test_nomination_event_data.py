"""The schemas every nomination event's data is dumped through: each passes on exactly what the producer
built, field for field and type for type, so consumers and the records log see the same data."""

import json

import pytest

from services.nomination import contract

NAMED = [{"cadre": "C1", "name": "Zhang San"}, {"cadre": "C2", "name": ""}]

SENT = [
    (
        contract.SelectionOpened,
        {
            "selection": "s1",
            "post": "P1",
            "mode": "org_recommendation",
            "competitive": True,
            "vacancies": 2,
            "key_leadership": False,
        },
    ),
    (contract.StageChanged, {"selection": "s1", "stage": "qualification", "previous": "motion"}),
    (
        contract.SelectionQualified,
        {"selection": "s1", "conditions": {"min_rank": "clerk", "min_grassroots_years": 2.0}, "scope": ["U1", "U2"]},
    ),
    (contract.SelectionQualified, {"selection": "s1", "conditions": {}, "scope": ["U1"]}),
    (contract.SelectionConsulted, {"selection": "s1", "source": "grassroots"}),
    (
        contract.BallotSessionOpened,
        {"selection": "s1", "session": "b1", "kind": "democratic", "electorate": 30, "seats": 2},
    ),
    (
        contract.BallotSessionClosed,
        {
            "selection": "s1",
            "session": "b1",
            "kind": "plenary",
            "cast": 3,
            "valid": 2,
            "invalid": 1,
            "turnout": 1.0,
            "quorum_met": True,
            "results": [{"cadre": "C1", "votes": 2}, {"cadre": "C2", "votes": 0}],
        },
    ),
    (contract.NominationMade, {"selection": "s1", "cadre": "C1", "basis": {"ballot_session": "b1"}}),
    (contract.NominationVoided, {"selection": "s1", "cadre": "C1", "reason": "concealment"}),
    (
        contract.SelectionDeliberated,
        {
            "selection": "s1",
            "nominees": ["C1", "C2"],
            "meeting": {"held_at": "2024-05-06T09:00:00+00:00", "place": "Room 3", "attendees": 9, "present": 7},
        },
    ),
    (
        contract.SelectionInspected,
        {"selection": "s1", "post": "P1", "post_title": "Head", "key_leadership": True, "nominees": NAMED},
    ),
    (
        contract.SelectionDecided,
        {
            "selection": "s1",
            "post": "P1",
            "post_title": "Head",
            "key_leadership": False,
            "appointees": NAMED[:1],
            "meeting": {"held_at": "2024-05-06T09:00:00+00:00", "place": "Committee room", "members": 11, "present": 9},
        },
    ),
    (
        contract.SelectionAppointed,
        {"selection": "s1", "post": "P1", "appointees": ["C1"], "appointed_at": "2024-05-06T09:00:00Z"},
    ),
    (contract.FilingRecorded, {"selection": "s1", "filed_with": "district", "reference": "R-1"}),
    (contract.SelectionClosed, {"selection": "s1", "reason": "filed"}),
]


@pytest.mark.parametrize("schema,data", SENT, ids=[schema.__name__ for schema, _ in SENT])
def test_an_event_is_dumped_as_the_producer_built_it(schema, data):
    dumped = schema().dump(data)
    assert json.dumps(dumped, sort_keys=True) == json.dumps(data, sort_keys=True)


def test_a_field_the_event_does_not_carry_is_left_out():
    meeting = {
        "held_at": "2024-05-06T09:00:00+00:00",
        "place": "Room",
        "agenda_filed_at": "2024-05-01T09:00:00+00:00",
        "members": 11,
        "present": 9,
    }
    dumped = contract.SelectionDecided().dump(
        {
            "selection": "s1",
            "post": "P1",
            "post_title": "Head",
            "key_leadership": False,
            "appointees": NAMED,
            "meeting": meeting,
            "extra": 1,
        }
    )
    assert "extra" not in dumped and "agenda_filed_at" not in dumped["meeting"]
