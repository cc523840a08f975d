"""Group commit: concurrent writes share a command, each call gets its own outcome (threads, no database)."""

import threading
import time

import pytest
from pymongo.errors import BulkWriteError, DuplicateKeyError, WriteError

from services.common.batching import GroupCommit, NotSent, bulk_outcomes, write_each


class Database:
    """Records each command's items; the first command waits until released, so others queue behind it."""

    def __init__(self):
        self.commands, self.release = [], threading.Event()

    def send(self, items):
        self.commands.append(list(items))
        if len(self.commands) == 1:
            assert self.release.wait(5)
        return [f"wrote {item}" if item != "refused" else ValueError(item) for item in items]


def call_in_thread(commit, item, outcomes):
    def run():
        try:
            outcomes[item] = commit(item)
        except Exception as exc:
            outcomes[item] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def wait_until(check):
    deadline = time.monotonic() + 5
    while not check():
        assert time.monotonic() < deadline
        time.sleep(0.001)


def test_a_lone_call_is_sent_at_once_in_a_command_of_its_own():
    database = Database()
    database.release.set()
    commit = GroupCommit(database.send)
    assert commit("a") == "wrote a" and commit("b") == "wrote b"
    assert database.commands == [["a"], ["b"]]


def test_calls_that_arrive_while_a_command_is_in_flight_go_together_in_the_next():
    database, outcomes = Database(), {}
    commit = GroupCommit(database.send)
    first = call_in_thread(commit, "first", outcomes)
    wait_until(lambda: database.commands)
    queued = [call_in_thread(commit, item, outcomes) for item in ("b", "c", "d")]
    wait_until(lambda: len(commit._queue) == 3)
    database.release.set()
    for thread in [first, *queued]:
        thread.join(5)
    assert database.commands == [["first"], ["b", "c", "d"]]
    assert outcomes == {item: f"wrote {item}" for item in ("first", "b", "c", "d")}


def test_an_item_the_database_refused_raises_for_its_caller_only():
    database, outcomes = Database(), {}
    commit = GroupCommit(database.send)
    first = call_in_thread(commit, "first", outcomes)
    wait_until(lambda: database.commands)
    queued = [call_in_thread(commit, item, outcomes) for item in ("refused", "kept")]
    wait_until(lambda: len(commit._queue) == 2)
    database.release.set()
    for thread in [first, *queued]:
        thread.join(5)
    assert database.commands[1] == ["refused", "kept"]
    assert isinstance(outcomes["refused"], ValueError) and outcomes["kept"] == "wrote kept"


def test_a_command_that_fails_as_a_whole_fails_every_call_in_it():
    def send(items):
        raise OSError("database away")

    with pytest.raises(OSError):
        GroupCommit(send)("a")


class Killed(BaseException):
    """What a killed green thread raises: not an Exception, so never an item's outcome."""


def test_a_call_in_the_batch_of_a_sender_killed_mid_command_is_told_it_was_not_sent():
    outcomes, commit = {}, None

    def send(items):
        if items == ["lead"]:
            wait_until(lambda: len(commit._queue) == 2)
            return ["wrote lead"]
        raise Killed()  # the next command, sent by "a" or "b" for both, dies with its sender

    def call(item):
        try:
            outcomes[item] = commit(item)
        except (Exception, Killed) as exc:
            outcomes[item] = exc

    commit = GroupCommit(send)
    threads = [threading.Thread(target=call, args=(item,)) for item in ("lead", "a", "b")]
    threads[0].start()
    wait_until(lambda: commit._lock.locked())
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert outcomes["lead"] == "wrote lead"
    told = sorted((outcomes["a"], outcomes["b"]), key=lambda outcome: isinstance(outcome, NotSent))
    assert isinstance(told[0], Killed) and isinstance(told[1], NotSent) and commit._queue == []
    assert str(told[1]) == "the write was not sent"


def test_a_send_that_answers_fewer_outcomes_than_items_is_a_bug_raised_not_a_silent_success():
    with pytest.raises(ValueError):
        GroupCommit(lambda items: [])("a")


def test_bulk_outcomes_tell_each_item_what_became_of_it():
    def refuses():
        raise BulkWriteError(
            {
                "writeErrors": [
                    {"index": 1, "code": 11000, "errmsg": "E11000 duplicate key"},
                    {"index": 2, "code": 121, "errmsg": "validation"},
                ],
                "writeConcernErrors": [],
                "nInserted": 1,
            }
        )

    written, duplicate, refused = bulk_outcomes(3, refuses)
    assert written is None
    assert isinstance(duplicate, DuplicateKeyError) and duplicate.code == 11000
    assert str(duplicate).startswith("E11000 duplicate key") and duplicate.details["index"] == 1
    assert isinstance(refused, WriteError) and not isinstance(refused, DuplicateKeyError) and refused.code == 121
    assert bulk_outcomes(2, lambda: None) == [None, None]


def test_a_bulk_error_without_write_errors_leaves_every_item_written():
    def run():
        raise BulkWriteError({"writeConcernErrors": []})

    assert bulk_outcomes(2, run) == [None, None]


def test_a_write_error_the_database_gave_no_message_for_says_it_was_refused():
    def run():
        raise BulkWriteError({"writeErrors": [{"index": 0, "code": 121}]})

    [refused] = bulk_outcomes(1, run)
    assert str(refused).startswith("write refused") and refused.code == 121


def test_a_write_concern_not_met_is_every_items_outcome():
    failed = BulkWriteError({"writeErrors": [], "writeConcernErrors": [{"code": 64, "errmsg": "timeout"}]})

    def run():
        raise failed

    assert bulk_outcomes(2, run) == [failed, failed]


class Collection:
    """What ``write_each`` calls: the plain writes, or one bulk write."""

    def __init__(self, refuse=None):
        self.calls, self.refuse = [], refuse

    def insert_one(self, document):
        self.calls.append(("insert_one", document))
        if self.refuse:
            raise self.refuse

    def update_one(self, query, update):
        self.calls.append(("update_one", query, update))

    def bulk_write(self, operations, ordered):
        self.calls.append(("bulk_write", [(type(op).__name__, op._doc) for op in operations], ordered))


def test_a_lone_write_goes_as_itself_and_several_as_one_unordered_bulk_write():
    collection = Collection()
    assert write_each(collection, [("insert", {"_id": 1})]) == [None]
    assert write_each(collection, [("update", {"_id": 1}, {"$set": {"a": 1}})]) == [None]
    assert write_each(collection, [("insert", {"_id": 2}), ("update", {"_id": 1}, {"$set": {"a": 2}})]) == [None, None]
    assert collection.calls == [
        ("insert_one", {"_id": 1}),
        ("update_one", {"_id": 1}, {"$set": {"a": 1}}),
        ("bulk_write", [("InsertOne", {"_id": 2}), ("UpdateOne", {"$set": {"a": 2}})], False),
    ]


def test_a_lone_write_the_database_refuses_is_its_outcome_and_any_other_failure_is_raised():
    duplicate = DuplicateKeyError("E11000", 11000)
    assert write_each(Collection(refuse=duplicate), [("insert", {"_id": 1})]) == [duplicate]
    with pytest.raises(OSError):
        write_each(Collection(refuse=OSError("away")), [("insert", {"_id": 1})])
