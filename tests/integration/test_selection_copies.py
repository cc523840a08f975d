"""A step decided on this process's copy of its selection, on the real database: a change another replica wrote
meanwhile is never lost nor overwritten, and a refusal is never made on a stale copy.

A nomination replica keeps each selection as it last wrote it and decides the next step on that copy; the
step's write is guarded by the copy's version. These tests change the selection behind the replica's back,
as a second replica would, and check what the step decided and what the selection holds after.
"""

import uuid

import pytest

from services.common.errors import RuleViolation
from services.nomination import store
from services.nomination.models import Selection
from services.nomination.store import Change
from tests.harness import scratch_database


@pytest.fixture(scope="module")
def database(suite):
    with scratch_database(suite, "copies"):
        yield


@pytest.fixture
def selection(database):
    store._WRITTEN.clear()
    doc = Selection(
        id=f"S-{uuid.uuid4().hex[:8]}",
        post="P1",
        post_title="t",
        post_rank="section",
        category="promotion",
        mode="democratic_recommendation",
        competitive=False,
        slate_ratio=2,
        vacancies=1,
        stage="motion",
        proposed_by="org",
        reason="vacancy",
    )
    doc.save(force_insert=True)
    store.written(doc)
    return doc.id


@pytest.fixture
def reads(monkeypatch):
    made, real = [], store.load_selection
    monkeypatch.setattr(store, "load_selection", lambda sid: made.append(sid) or real(sid))
    return made


def stored(sid):
    found = Selection._get_collection().find_one({"_id": sid})
    return found["stage"], found["version"], found.get("reason")


def another_replica_moves(sid, stage, reason=None):
    updates = {"stage": stage, **({"reason": reason} if reason else {})}
    Selection._get_collection().update_one({"_id": sid}, {"$set": updates, "$inc": {"version": 1}})


def step_to(stage, allowed_from):
    """A step that moves the selection to ``stage``, refused unless it is at one of ``allowed_from``."""

    def decide(doc):
        if doc.stage not in allowed_from:
            raise RuleViolation(f"not at {allowed_from}", "wrong_stage")
        return Change(updates={"set__stage": stage}, result=doc.stage)

    return decide


def test_steps_after_the_creation_are_decided_without_reading_the_selection(selection, reads):
    assert store.change_selection(selection, step_to("qualification", {"motion"})) == "motion"
    assert store.change_selection(selection, step_to("consultation", {"qualification"})) == "qualification"
    assert reads == [] and stored(selection) == ("consultation", 2, "vacancy")


def test_a_change_another_replica_wrote_meanwhile_is_kept_and_decided_on(selection, reads):
    store.change_selection(selection, step_to("qualification", {"motion"}))
    another_replica_moves(selection, "consultation", reason="amended")  # this copy is one version behind
    seen = store.change_selection(selection, step_to("nomination", {"qualification", "consultation"}))
    assert seen == "consultation" and reads == [selection]
    assert stored(selection) == ("nomination", 3, "amended")


def test_a_step_the_stale_copy_would_refuse_is_decided_on_the_selection_as_it_is(selection, reads):
    another_replica_moves(selection, "qualification")  # the copy still says motion
    assert store.change_selection(selection, step_to("consultation", {"qualification"})) == "qualification"
    assert stored(selection) == ("consultation", 2, "vacancy")
    assert reads == [selection]  # the read that showed the copy stale is what the step is decided on


def test_a_refusal_on_a_current_copy_stands_after_one_read(selection, reads):
    with pytest.raises(RuleViolation):
        store.change_selection(selection, step_to("consultation", {"qualification"}))
    assert reads == [selection] and stored(selection) == ("motion", 0, "vacancy")


def test_an_event_a_stale_copy_has_not_seen_is_applied_once(selection):
    once = f"event-{uuid.uuid4().hex[:6]}"
    another_replica_moves(selection, "qualification")
    Selection._get_collection().update_one({"_id": selection}, {"$push": {"handled": once}, "$inc": {"version": 1}})
    # the copy knows neither the move nor the mark: the guarded write fails, and the read finds the mark
    assert store.change_selection(selection, step_to("consultation", {"qualification"}), once=once) is None
    assert stored(selection) == ("qualification", 2, "vacancy")
