"""A receipt stored from what this process last wrote of its tracker set, on the real database: another
replica's receipt or the close written meanwhile is never lost nor overwritten.

A replica keeps each tracker set as it last wrote it, to store the next receipt without reading the set
first; the write is guarded by the set's version. These tests change the set behind that replica's back,
as a second replica or the close would, and check what the set holds after.
"""

import uuid

import pytest

from services.nomination import ballot_box
from services.nomination.models import BallotTrackerSet
from tests.harness import scratch_database


@pytest.fixture(scope="module")
def database(suite):
    with scratch_database(suite, "receipts"):
        yield


@pytest.fixture
def session(database):
    session_id = f"BS-{uuid.uuid4().hex[:8]}"
    sets = BallotTrackerSet._get_collection()
    sets.insert_many([ballot_box._tracker_set(session_id, shard) for shard in "0123456789abcdef"])
    ballot_box._TRACKER_SETS.clear()
    return session_id


def tracker(shard="a"):
    return shard + uuid.uuid4().hex[1:]


def stored(session_id, shard="a"):
    found = BallotTrackerSet._get_collection().find_one({"_id": f"{session_id}:{shard}"})
    return found["trackers"], found["version"]


def another_replica_stores(session_id, other, shard="a"):
    sets = BallotTrackerSet._get_collection()
    trackers, version = stored(session_id, shard)
    sets.update_one(
        {"_id": f"{session_id}:{shard}", "version": version},
        {"$set": {"trackers": sorted([*trackers, other])}, "$inc": {"version": 1}},
    )


def test_receipts_after_the_first_are_stored_without_reading_the_set(session, monkeypatch):
    first, second = tracker(), tracker()
    assert ballot_box._receipt(session, first) == first
    reads = []
    sets = BallotTrackerSet._get_collection()
    monkeypatch.setattr(type(sets), "find_one", lambda self, *a, **k: reads.append(a) or None)
    assert ballot_box._receipt(session, second) == second
    monkeypatch.undo()
    assert reads == [] and stored(session) == (sorted([first, second]), 2)


def test_a_receipt_another_replica_stored_meanwhile_is_kept(session):
    mine, theirs, next_one = tracker(), tracker(), tracker()
    ballot_box._receipt(session, mine)
    another_replica_stores(session, theirs)  # this process's copy of the set is now one version behind
    assert ballot_box._receipt(session, next_one) == next_one
    assert stored(session) == (sorted([mine, theirs, next_one]), 3)


def test_a_tracker_another_replica_already_stored_is_not_stored_twice(session):
    mine, theirs = tracker(), tracker()
    ballot_box._receipt(session, mine)
    another_replica_stores(session, theirs)
    answered = ballot_box._receipt(session, theirs)  # a replayed or forged request naming a stored tracker
    trackers, _ = stored(session, answered[0])
    assert answered != theirs and trackers.count(answered) == 1
    assert stored(session)[0] == sorted([mine, theirs, *([answered] if answered[0] == "a" else [])])


def test_a_cast_finishing_after_the_close_takes_a_spare_not_its_own(session):
    mine, late = tracker(), tracker()
    ballot_box._receipt(session, mine)
    ballot_box._close_trackers(session, 2)  # two ballots, one tracker: one spare
    spare = ballot_box._receipt(session, late)
    assert spare != late and ballot_box.find_tracker(spare) == session
    assert ballot_box.find_tracker(late) is None and stored(session) == ([mine], 2)
