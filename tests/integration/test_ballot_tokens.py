"""Casting with tagged tokens and with the tokens of a session opened before tokens carried tags, on the real
database: each refusal in API.md's order, nothing cast by a refused token, and nothing read for a forged one.

A tagged token carries a tag of the ballot key, so a cast checks it without a read, finds no need to mark
the token used, and looks its bucket up only when the stage refuses. A session opened before that keeps
working as it did: its tokens are known by their buckets and marked used before the cast.
"""

import random
import uuid

import pytest
from pymongo.collection import Collection

from services.common.errors import CadreError
from services.nomination import ballot_box
from services.nomination.domain import ballots as ballot_rules
from services.nomination.models import BallotBucket, BallotSession, BallotTrackerSet, Selection, UsedToken
from tests.harness import scratch_database


@pytest.fixture(scope="module")
def database(suite):
    with scratch_database(suite, "tokens"):
        yield


@pytest.fixture(autouse=True)
def ballot_key(database, tmp_path, monkeypatch):
    monkeypatch.setenv("CADRE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BALLOT_TOKEN_KEY", "a test ballot key of 32 bytes...")


def open_session(tagged, electorate=4):
    """A session of a selection in recommendation: as the service opens one, or as it opened one before
    tokens carried tags (its untagged tokens' hashes dealt into a bucket by hand)."""
    selection, session = f"S-{uuid.uuid4().hex[:8]}", f"B{uuid.uuid4().hex[:8]}"
    Selection._get_collection().insert_one({"_id": selection, "stage": "recommendation"})
    BallotSession._get_collection().insert_one(
        {
            "_id": session,
            "selection": selection,
            "kind": "democratic",
            "electorate": electorate,
            "seats": 1,
            "candidates": ["C1"],
        }
        | ({"tagged_tokens": True} if tagged else {})
    )
    if tagged:
        tokens = ballot_box.issue(session, electorate)
    else:
        tokens = ballot_rules.issue_tokens(electorate, session=session, rng=random.Random())
        hashes = ballot_rules.token_hashes(tokens, ballot_box.store.ballot_key())
        BallotBucket._get_collection().insert_one(
            {"_id": uuid.uuid4().hex, "session": session, "bucket": 0, "closed": False, "unused": hashes, "ballots": []}
        )
        BallotTrackerSet._get_collection().insert_many(
            [ballot_box._tracker_set(session, shard) for shard in ballot_rules.TRACKER_SHARDS]
        )
    return selection, session, tokens


def refusal(call):
    with pytest.raises(CadreError) as refused:
        call()
    return refused.value.status, refused.value.code


def ballots_of(session):
    return sum(len(bucket["ballots"]) for bucket in BallotBucket._get_collection().find({"session": session}))


def marked(token):
    digest = ballot_rules.token_hash(token, ballot_box.store.ballot_key())
    return UsedToken._get_collection().find_one({"_id": digest}) is not None


def move_on(selection):
    Selection._get_collection().update_one({"_id": selection}, {"$set": {"stage": "inspection"}})


@pytest.mark.parametrize("tagged", [True, False], ids=["tagged", "opened before tags"])
def test_a_token_casts_once_and_then_hears_token_used(tagged):
    _, session, tokens = open_session(tagged)
    tracker = ballot_box.cast(tokens[0], ("C1",))
    assert ballot_rules.is_tracker(tracker) and ballots_of(session) == 1
    assert refusal(lambda: ballot_box.cast(tokens[0], ("C1",))) == (409, "token_used")
    assert ballots_of(session) == 1 and marked(tokens[0]) is not tagged  # no mark is needed for a tagged one


@pytest.mark.parametrize("tagged", [True, False], ids=["tagged", "opened before tags"])
def test_a_forged_or_mistyped_token_is_invalid_and_casts_nothing(tagged):
    _, session, tokens = open_session(tagged)
    head, last = tokens[0][:-1], tokens[0][-1]
    for forged in (head + ("A" if last != "A" else "B"), f"{session}.{'x' * 43}", "nosession.abc"):
        assert refusal(lambda: ballot_box.cast(forged, ("C1",))) == (403, "invalid_token")
        assert refusal(lambda: ballot_box.form(forged)) == (403, "invalid_token")
        assert not marked(forged)
    assert ballots_of(session) == 0


def test_a_forged_token_of_a_known_tagged_session_is_refused_without_a_database_read(monkeypatch):
    _, session, tokens = open_session(True)
    ballot_box.cast(tokens[0], ("C1",))  # the session is known to this process now
    commands = []
    for name in ("find_one", "find", "update_one", "insert_one"):
        real = getattr(Collection, name)
        monkeypatch.setattr(
            Collection, name, lambda self, *a, _real=real, **k: commands.append(self.name) or _real(self, *a, **k)
        )
    forged = tokens[1][:-2] + ("AA" if tokens[1][-2:] != "AA" else "BB")
    assert refusal(lambda: ballot_box.cast(forged, ("C1",))) == (403, "invalid_token")
    assert commands == []


@pytest.mark.parametrize("tagged", [True, False], ids=["tagged", "opened before tags"])
def test_once_the_selection_moved_on_a_spent_token_is_used_a_closed_one_closed_and_the_rest_wrong_stage(tagged):
    selection, session, tokens = open_session(tagged)
    ballot_box.cast(tokens[0], ("C1",))
    move_on(selection)
    assert refusal(lambda: ballot_box.cast(tokens[0], ("C1",))) == (409, "token_used")
    assert refusal(lambda: ballot_box.cast(tokens[1], ("C1",))) == (409, "wrong_stage")
    BallotBucket._get_collection().update_many({"session": session}, {"$set": {"closed": True}})
    assert refusal(lambda: ballot_box.cast(tokens[2], ("C1",))) == (409, "session_closed")
    assert ballots_of(session) == 1 and not marked(tokens[1]) and not marked(tokens[2])


@pytest.mark.parametrize("tagged", [True, False], ids=["tagged", "opened before tags"])
def test_a_closed_session_refuses_an_unused_token_and_leaves_it_unspent(tagged):
    _, session, tokens = open_session(tagged)
    ballot_box.seal(session)
    assert refusal(lambda: ballot_box.cast(tokens[0], ("C1",))) == (409, "session_closed")
    assert ballots_of(session) == 0
    digest = ballot_rules.token_hash(tokens[0], ballot_box.store.ballot_key())
    assert BallotBucket._get_collection().find_one({"session": session, "unused": digest}) is not None


def test_the_form_of_a_spent_tagged_token_says_token_used():
    _, _, tokens = open_session(True)
    assert ballot_box.form(tokens[0])["seats"] == 1
    ballot_box.cast(tokens[0], ("C1",))
    assert refusal(lambda: ballot_box.form(tokens[0])) == (409, "token_used")
