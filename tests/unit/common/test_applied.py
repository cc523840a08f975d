"""Keyed requests applied at most once: claim, replay, take-over of an abandoned key, stamps (no database)."""

import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
from pymongo.errors import DuplicateKeyError

from services.common import aggregate, applied, keyed
from services.common.errors import CadreError, Conflict, RuleViolation, Unavailable

NOW = datetime(2026, 5, 12, 9, 0, tzinfo=timezone.utc)
RPC_TIMEOUT = 10
STALE = timedelta(seconds=RPC_TIMEOUT + 5)  # a running record older than this may be taken over
KEY, SECRET = applied.request_keys("org-dept", "client-key-0001")


class Records:
    """The applied_requests collection in memory: only the queries applied.py makes."""

    def __init__(self):
        self.rows = {}
        self.fail_save = 0  # how many inserts lose to a record that is gone before it is read

    def insert_claim(self, claim):
        """applied._insert_claim: one claim, as the group commit hands it back."""
        assert set(claim) <= {"_id", "state", "at", "request"} and claim["state"] == "running"
        if claim["_id"] in self.rows or self.fail_save:
            self.fail_save = max(0, self.fail_save - 1)
            raise DuplicateKeyError("duplicate key", 11000)
        self.rows[claim["_id"]] = self.model()(claim["_id"], "running", claim["at"], request=claim.get("request"))

    def keep_answer(self, answer):
        """applied._keep_answer: ``(key, sealed)``."""
        key, sealed = answer
        Query(self, {"key": key}).update_one(set__state="done", set__answer=sealed)

    def model(self):
        records = self

        class Record:
            def __init__(self, key, state, at, answer=None, request=None):
                self.key, self.state, self.at, self.answer, self.request = key, state, at, answer, request

            @staticmethod
            def objects(**filters):
                return Query(records, filters)

        return Record


class Query:
    def __init__(self, records, filters):
        self.records, self.filters = records, filters

    def _matches(self):
        def keeps(row):
            want = self.filters
            return (
                row.key == want["key"]
                and want.get("state", row.state) == row.state
                and ("at__lte" not in want or row.at <= want["at__lte"])
            )

        return [row for row in self.records.rows.values() if keeps(row)]

    def first(self):
        found = self._matches()
        return found[0] if found else None

    def delete(self):
        found = self._matches()
        for row in found:
            del self.records.rows[row.key]
        return len(found)

    def _set(self, updates):
        found = self._matches()[:1]
        for row in found:
            for name, value in updates.items():
                setattr(row, name.removeprefix("set__"), value)
        return found

    def modify(self, **updates):
        found = self._set(updates)
        return found[0] if found else None

    def update_one(self, **updates):
        return len(self._set(updates))


@pytest.fixture
def records(monkeypatch):
    store = Records()
    monkeypatch.setattr(applied, "AppliedRequest", store.model())
    monkeypatch.setattr(applied, "_insert_claim", store.insert_claim)
    monkeypatch.setattr(applied, "_keep_answer", store.keep_answer)
    monkeypatch.setattr(applied, "utcnow", lambda: NOW)
    monkeypatch.setattr(applied, "stamped", lambda mark: None)
    monkeypatch.setenv("RPC_TIMEOUT_SECONDS", str(RPC_TIMEOUT))
    return store


def once(key, run, answer_key=None, digest=None):
    """The result of a keyed run as the gateway reads the answer (applied.unwrap); a refusal raised."""
    return applied.unwrap(applied.once(key, run, answer_key, digest))[0]


class Counted:
    """A request body: counts its runs, answers ``result`` or raises ``error``."""

    def __init__(self, result=None, error=None):
        self.runs, self.result, self.error = 0, result, error
        self.stamp_seen = None

    def __call__(self):
        self.runs += 1
        self.stamp_seen = aggregate.stamp()
        if self.error is not None:
            raise self.error
        return self.result


def test_request_keys_are_the_applied_stores_lookup_and_answer_secret_never_the_key():
    key, secret = applied.request_keys("org-dept", "client-key-0001")
    assert key == keyed.lookup("client-key-0001", "org-dept", "applied")
    assert keyed.decode_secret(secret) == keyed.derive("client-key-0001", "org-dept", "applied/answer")
    assert "client-key-0001" not in key + secret
    assert applied.request_keys("other-dept", "client-key-0001")[0] != key


def test_without_an_answer_key_the_request_runs_unkeyed_every_time(records):
    run = Counted(result={"id": "S1"})
    assert once(KEY, run) == {"id": "S1"}
    assert once(KEY, run, "not a secret") == {"id": "S1"}
    assert run.runs == 2 and records.rows == {} and run.stamp_seen is None


def test_a_retry_gets_the_first_answer_back_without_running_again(records):
    run = Counted(result={"id": "S1", "n": 2})
    assert once(KEY, run, SECRET) == {"id": "S1", "n": 2}
    assert once(KEY, run, SECRET) == {"id": "S1", "n": 2}
    record = records.rows[KEY]
    assert run.runs == 1 and record.state == "done" and record.at == NOW
    assert '"S1"' not in record.answer  # sealed, not readable in the database (a quote is never base64)
    assert keyed.unseal(keyed.decode_secret(SECRET), record.answer, KEY) == b'{"result": {"id": "S1", "n": 2}}'


def test_the_running_request_stamps_what_it_changes_with_its_key(records):
    run = Counted(result=1)
    once(KEY, run, SECRET)
    assert run.stamp_seen == f"request:{KEY}" and aggregate.stamp() is None


def test_a_refusal_is_kept_and_replayed_as_the_same_error(records):
    run = Counted(error=RuleViolation("two candidates per seat", "slate_size", {"candidates": ["one"]}))
    with pytest.raises(RuleViolation):
        once(KEY, run, SECRET)
    with pytest.raises(RuleViolation) as again:
        once(KEY, run, SECRET)
    assert run.runs == 1
    assert (again.value.detail, again.value.code, again.value.errors) == (
        "two candidates per seat",
        "slate_size",
        {"candidates": ["one"]},
    )


def test_an_answer_sealed_under_another_secret_is_refused_not_replayed(records):
    once(KEY, Counted(result="mine"), SECRET)
    _, other = applied.request_keys("org-dept", "another-key-000")
    run = Counted(result="theirs")
    with pytest.raises(Conflict) as refused:
        once(KEY, run, other)
    assert run.runs == 0
    assert (refused.value.code, refused.value.detail) == (
        "conflict",
        "the answer kept for this Idempotency-Key cannot be read with it",
    )


def test_a_done_record_without_an_answer_is_unreadable_not_a_crash(records):
    records.rows[KEY] = records.model()(KEY, "done", NOW)
    with pytest.raises(Conflict) as refused:
        once(KEY, Counted(), SECRET)
    assert refused.value.code == "conflict"


def test_a_fault_that_left_no_stamp_forgets_the_key_so_a_retry_runs(records):
    with pytest.raises(OSError):
        once(KEY, Counted(error=OSError("database away")), SECRET)
    assert records.rows == {}
    run = Counted(result="second try")
    assert once(KEY, run, SECRET) == "second try" and run.runs == 1


def changed_selection(monkeypatch):
    selection = type("Selection", (), {"pk": "S1"})()
    seen = []
    monkeypatch.setattr(applied, "stamped", lambda mark: seen.append(mark) or selection)
    return seen


def test_a_fault_after_the_effect_was_written_is_kept_as_exists(records, monkeypatch):
    seen = changed_selection(monkeypatch)
    with pytest.raises(OSError):
        once(KEY, Counted(error=OSError("reply lost")), SECRET)
    assert seen == [f"request:{KEY}"] and records.rows[KEY].state == "done"
    run = Counted()
    with pytest.raises(Conflict) as told:
        once(KEY, run, SECRET)
    assert run.runs == 0 and told.value.code == "exists"
    assert told.value.detail == (
        "this request already took effect (selection S1); its answer was lost when the service stopped, "
        "so read the resource"
    )


def running_since(records, age):
    records.rows[KEY] = records.model()(KEY, "running", NOW - age)


def test_a_first_request_still_within_its_deadline_is_not_run_twice(records):
    running_since(records, STALE - timedelta(microseconds=1))
    run = Counted()
    with pytest.raises(Conflict) as refused:
        once(KEY, run, SECRET)
    assert run.runs == 0
    assert (refused.value.code, refused.value.detail) == (
        "conflict",
        "the first request with this Idempotency-Key is still running",
    )


def test_an_abandoned_request_is_taken_over_from_its_deadline_plus_five_seconds(records):
    running_since(records, STALE)
    run = Counted(result="taken over")
    assert once(KEY, run, SECRET) == "taken over"
    assert run.runs == 1 and records.rows[KEY].state == "done" and records.rows[KEY].at == NOW


def test_an_abandoned_request_that_took_effect_is_told_so_not_run(records, monkeypatch):
    changed_selection(monkeypatch)
    running_since(records, STALE + timedelta(seconds=1))
    run = Counted()
    with pytest.raises(Conflict) as told:
        once(KEY, run, SECRET)
    assert run.runs == 0 and told.value.code == "exists" and records.rows[KEY].state == "done"


@pytest.mark.parametrize("state", ["running", "done"])
def test_a_record_past_its_day_is_gone_and_the_request_runs_anew(records, state):
    records.rows[KEY] = records.model()(KEY, state, NOW - timedelta(seconds=keyed.RECORD_SECONDS))
    run = Counted(result="anew")
    assert once(KEY, run, SECRET) == "anew"
    assert run.runs == 1 and records.rows[KEY].at == NOW


def test_a_record_one_moment_short_of_its_day_still_answers(records):
    once(KEY, Counted(result="first"), SECRET)
    records.rows[KEY].at = NOW - timedelta(seconds=keyed.RECORD_SECONDS) + timedelta(microseconds=1)
    assert once(KEY, Counted(result="second"), SECRET) == "first"


def test_a_record_deleted_between_insert_and_read_is_claimed_again(records):
    records.fail_save = 1
    run = Counted(result="claimed")
    assert once(KEY, run, SECRET) == "claimed" and records.rows[KEY].state == "done"


def test_an_answer_that_cannot_be_kept_still_answers_the_caller(records, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise OSError("database away")

    monkeypatch.setattr(Query, "update_one", broken)
    assert once(KEY, Counted(result="done anyway"), SECRET) == "done anyway"
    assert records.rows[KEY].state == "running"
    assert [r.getMessage() for r in caplog.records] == ["answer to a keyed request not kept: OSError"]


def keep(records, key_text, answer, state="done", at=NOW):
    """A record as another process left it, its answer sealed under this caller's secret."""
    sealed = keyed.seal(keyed.decode_secret(SECRET), json.dumps(answer).encode("utf-8"), key_text)
    records.rows[key_text] = records.model()(key_text, state, at, sealed)


def test_a_kept_refusal_of_a_kind_this_service_does_not_know_replays_as_a_cadre_error(records):
    # kept by a newer version of the service, say: the caller still gets the detail and code back
    keep(records, KEY, {"error": ["VanishedError", "gone", "vanished", {}]})
    with pytest.raises(CadreError) as again:
        once(KEY, Counted(), SECRET)
    assert type(again.value) is CadreError and (again.value.detail, again.value.code) == ("gone", "vanished")


def test_a_record_that_vanished_and_was_answered_again_meanwhile_is_replayed_with_the_callers_secret(
    records, monkeypatch
):
    # our insert lost to a record that was gone when read; another retry then claimed and answered first
    records.fail_save = 1
    reads = []

    def first(query):
        reads.append(query.filters)
        if len(reads) == 1:
            keep(records, KEY, {"result": "answered meanwhile"})
            return None
        return Query._matches(query)[0]

    monkeypatch.setattr(Query, "first", first)
    run = Counted()
    assert once(KEY, run, SECRET) == "answered meanwhile" and run.runs == 0


def test_a_record_past_its_day_answered_again_meanwhile_is_replayed_with_the_callers_secret(records, monkeypatch):
    records.rows[KEY] = records.model()(KEY, "done", NOW - timedelta(seconds=keyed.RECORD_SECONDS))
    delete = Query.delete

    def delete_then_answered(query):
        gone = delete(query)
        if gone:  # another retry claimed the key anew and answered before our insert
            keep(records, KEY, {"result": "answered meanwhile"})
        return gone

    monkeypatch.setattr(Query, "delete", delete_then_answered)
    run = Counted()
    assert once(KEY, run, SECRET) == "answered meanwhile" and run.runs == 0


def test_a_first_request_that_finishes_just_before_the_take_over_is_not_run_again(records, monkeypatch):
    # read while still running and stale; done (with its answer) by the time the retry takes it over
    keep(records, KEY, {"result": "first"}, at=NOW - STALE - timedelta(seconds=1))
    monkeypatch.setattr(Query, "first", lambda query: records.model()(KEY, "running", NOW - STALE))
    run = Counted()
    with pytest.raises(Conflict):
        once(KEY, run, SECRET)
    assert run.runs == 0 and records.rows[KEY].state == "done"


def test_a_thread_that_never_ran_a_keyed_request_stamps_nothing():
    seen = []
    thread = threading.Thread(target=lambda: seen.append(aggregate.stamp()))
    thread.start()
    thread.join()
    assert seen == [None]


# --- the answer on the wire, and "the same request?" -------------------------------------------------


def test_the_first_answer_is_marked_new_and_a_retrys_replayed(records):
    run = Counted(result={"id": "S1"})
    assert applied.once(KEY, run, SECRET, "D1") == {"result": {"id": "S1"}, "replayed": False}
    assert applied.once(KEY, run, SECRET, "D1") == {"result": {"id": "S1"}, "replayed": True}
    assert applied.unwrap(applied.once(KEY, run, SECRET, "D1")) == ({"id": "S1"}, True)
    assert run.runs == 1 and records.rows[KEY].request == "D1"


def test_an_unkeyed_run_answers_as_new(records):
    assert applied.once(KEY, Counted(result=7)) == {"result": 7, "replayed": False}


def test_a_first_refusal_is_raised_and_its_replay_is_raised_again_marked_replayed(records):
    run = Counted(error=Conflict("a unit with this code exists", "exists"))
    with pytest.raises(Conflict) as first:
        applied.once(KEY, run, SECRET, "D1")
    assert not getattr(first.value, "replayed", False)
    answer = applied.once(KEY, run, SECRET, "D1")
    assert answer == {"error": ["Conflict", "a unit with this code exists", "exists", {}], "replayed": True}
    with pytest.raises(Conflict) as again:
        applied.unwrap(answer)
    assert again.value.replayed is True and again.value.code == "exists" and run.runs == 1


@pytest.mark.parametrize("state", ["done", "running"])
def test_the_key_with_another_request_is_idempotency_mismatch_whatever_the_first_did(records, state):
    applied.once(KEY, Counted(result="first"), SECRET, "D1")
    records.rows[KEY].state = state
    run = Counted(result="second")
    with pytest.raises(Conflict) as refused:
        applied.once(KEY, run, SECRET, "D2")
    assert (refused.value.code, refused.value.detail) == (
        "idempotency_mismatch",
        "this Idempotency-Key was used with a different request",
    )
    assert run.runs == 0 and records.rows[KEY].request == "D1" and records.rows[KEY].state == state


def test_an_abandoned_request_is_not_taken_over_by_another_request_under_its_key(records):
    records.rows[KEY] = records.model()(KEY, "running", NOW - STALE, request="D1")
    run = Counted(result="other")
    with pytest.raises(Conflict) as refused:
        applied.once(KEY, run, SECRET, "D2")
    assert refused.value.code == "idempotency_mismatch" and run.runs == 0 and records.rows[KEY].at == NOW - STALE


@pytest.mark.parametrize("kept, sent", [(None, "D1"), ("D1", None)])
def test_a_digest_matches_only_the_same_digest_and_none_only_none(records, kept, sent):
    applied.once(KEY, Counted(result="first"), SECRET, kept)
    with pytest.raises(Conflict) as refused:
        applied.once(KEY, Counted(), SECRET, sent)
    assert refused.value.code == "idempotency_mismatch"
    assert once(KEY, Counted(), SECRET, kept) == "first"


def test_a_503_met_on_the_way_is_not_kept_as_the_answer_so_a_retry_runs(records):
    with pytest.raises(Unavailable):
        once(KEY, Counted(error=Unavailable("supervision did not answer within 2.5s")), SECRET, "D1")
    assert records.rows == {}
    run = Counted(result="second try")
    assert once(KEY, run, SECRET, "D1") == "second try" and run.runs == 1


def test_a_503_after_the_effect_was_written_is_kept_as_exists(records, monkeypatch):
    changed_selection(monkeypatch)
    with pytest.raises(Unavailable):
        once(KEY, Counted(error=Unavailable("no time left to ask supervision")), SECRET, "D1")
    with pytest.raises(Conflict) as told:
        once(KEY, Counted(), SECRET, "D1")
    assert told.value.code == "exists"


@pytest.mark.parametrize("how", ["expired", "vanished"])
def test_a_key_claimed_again_keeps_the_requests_digest(records, how):
    if how == "expired":
        records.rows[KEY] = records.model()(KEY, "done", NOW - timedelta(seconds=keyed.RECORD_SECONDS))
    else:  # our insert lost to a record that was gone when read
        records.fail_save = 1
    once(KEY, Counted(result="anew"), SECRET, "D1")
    assert records.rows[KEY].request == "D1"
    with pytest.raises(Conflict) as refused:
        once(KEY, Counted(), SECRET, "D2")
    assert refused.value.code == "idempotency_mismatch"


def test_a_500_of_the_service_itself_is_not_kept_either(records):
    with pytest.raises(CadreError):
        once(KEY, Counted(error=CadreError("the service failed", "internal")), SECRET, "D1")
    assert records.rows == {}
