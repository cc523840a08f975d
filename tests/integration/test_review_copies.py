"""A verdict decided on this process's copy of its review, on the real database: a verdict another replica
wrote meanwhile is never lost nor overwritten, and a refusal is never made on a stale copy.

A supervision replica keeps each review as it opened or last wrote it and decides the next verdict on that
copy, under the copy's version guard. These tests write a verdict behind its back, as a second replica would.
"""

import types
import uuid
from datetime import datetime, timezone

import pytest

from services.common.envelope import make_envelope
from services.common.errors import Conflict
from services.supervision import changes
from services.supervision.models import Review
from tests.harness import scratch_database


@pytest.fixture(scope="module")
def database(suite):
    with scratch_database(suite, "reviews"):
        yield


@pytest.fixture
def review(database, tmp_path, monkeypatch):
    monkeypatch.setenv("CADRE_DATA_DIR", str(tmp_path))  # the test's own signing key for its envelopes
    changes._WRITTEN.clear()
    changes.open_reviews(f"sel-{uuid.uuid4().hex[:8]}", ["C1"], caller(), None)
    return str(Review.objects.order_by("-opened_at").first().id)


@pytest.fixture
def reads(monkeypatch):
    made, real = [], Review.objects

    class Counting:
        def __call__(self, *args, **kwargs):
            made.append(kwargs)
            return real(*args, **kwargs)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(changes.Review, "objects", Counting())
    return made


def caller(department="discipline"):
    def envelope(type, subject, data):
        return make_envelope(type, "supervision", subject, data, actor=department, correlation_id="c-1")

    return types.SimpleNamespace(service="supervision", actor=department, envelope=envelope)


def give(review_id, department):
    return changes.give_verdict(review_id, department, "clear", "none found", caller(department))


def stored(review_id):
    found = Review._get_collection().find_one({"_id": Review.objects(id=review_id).first().id})
    return sorted(found["verdicts"]), found["version"]


def another_replica_gives(review_id, department):
    doc = Review.objects(id=review_id).first()
    verdict = {"verdict": "clear", "reason": "r", "at": datetime.now(timezone.utc)}
    Review._get_collection().update_one(
        {"_id": doc.id, "version": doc.version},
        {"$set": {f"verdicts.{department}": verdict}, "$inc": {"version": 1}},
    )


def test_verdicts_on_a_review_this_process_opened_need_no_read_of_it(review, reads):
    give(review, "discipline")
    give(review, "audit")
    assert [r for r in reads if "version" not in r] == []  # only the guarded writes' filters
    assert stored(review) == (["audit", "discipline"], 2)


def test_a_verdict_another_replica_gave_meanwhile_is_kept(review):
    give(review, "discipline")
    another_replica_gives(review, "audit")  # this copy is one version behind
    give(review, "petition")
    assert stored(review) == (["audit", "discipline", "petition"], 3)


def test_a_verdict_the_stale_copy_would_allow_twice_is_refused_on_the_review_as_it_is(review):
    another_replica_gives(review, "audit")  # the copy has no verdict of audit
    with pytest.raises(Conflict):
        give(review, "audit")
    assert stored(review) == (["audit"], 1)


def test_the_fourth_clearing_verdict_clears_the_review_though_three_came_from_another_replica(review):
    for department in ("discipline", "audit", "family_planning"):
        another_replica_gives(review, department)
    view = give(review, "petition")
    assert view["status"] == "cleared" and stored(review) == (["audit", "discipline", "family_planning", "petition"], 4)
