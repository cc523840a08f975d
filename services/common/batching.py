"""Group commit: the writes of one kind that a process's workers make at the same time go to the database as
one command."""

import threading
import time

from pymongo import InsertOne, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError, WriteError


class NotSent(Exception):
    """The write was queued behind a command whose sender stopped (its worker was killed) before sending it."""


class GroupCommit:
    """Concurrent calls are sent together: while one command is in flight, the calls that arrive queue up,
    and the next of them to go sends every queued one in a single command. Alone, a call is sent at once:
    nothing waits for company, so a lone request pays no latency; under load the database sees one round
    trip where it saw several (bench/RESULTS.md). Each call gets its own outcome.

    ``send(items)`` writes the items in one command and returns one outcome per item, in order: a value,
    or an exception instance for an item the database refused (an exception raised by ``send`` is every
    item's outcome). The items of a command must not depend on each other's outcomes.

    ``linger()``: seconds a sender waits for company before it sends, for writes nobody waits on (the
    relay's pulls come after the answer went out); 0, the default, for writes on a request's path.
    """

    def __init__(self, send, linger=lambda: 0.0):
        self._send = send
        self._linger = linger
        self._lock = threading.Lock()  # green under eventlet: a waiting call yields to the others
        self._queue = []

    def __call__(self, item):
        slot = _Slot(item)
        self._queue.append(slot)
        with self._lock:
            if not slot.done:
                wait = self._linger()
                if wait > 0:
                    time.sleep(wait)  # green under eventlet: the others queue meanwhile
                batch, self._queue = self._queue, []
                try:
                    self._deliver(batch)
                finally:
                    for left in batch:  # killed mid-send: what it took must not wait forever
                        if not left.done:
                            left.settle(NotSent("the write was not sent"))
        if isinstance(slot.outcome, BaseException):
            raise slot.outcome
        return slot.outcome

    def _deliver(self, batch):
        try:
            outcomes = self._send([slot.item for slot in batch])
        except Exception as exc:
            outcomes = [exc] * len(batch)
        for slot, outcome in zip(batch, outcomes, strict=True):
            slot.settle(outcome)


class _Slot:
    __slots__ = ("item", "outcome", "done")

    def __init__(self, item):
        self.item, self.outcome, self.done = item, None, False

    def settle(self, outcome):
        self.outcome, self.done = outcome, True


def write_each(collection, writes):
    """Send ``writes`` (each ``("insert", document)`` or ``("update", filter, update)``, on one document)
    to ``collection`` in one command and return one outcome per write, as ``GroupCommit`` wants them: a lone
    write goes as itself, several as an unordered bulk write (pymongo's bulk machinery costs more CPU
    than a plain write, and most commands hold one write when the load is light)."""
    if len(writes) == 1:
        try:
            _write(collection, writes[0])
            return [None]
        except WriteError as refused:  # a DuplicateKeyError too
            return [refused]
    return bulk_outcomes(len(writes), lambda: collection.bulk_write([_operation(w) for w in writes], ordered=False))


def _write(collection, write):
    if write[0] == "insert":
        collection.insert_one(write[1])
    else:
        collection.update_one(write[1], write[2])


def _operation(write):
    return InsertOne(write[1]) if write[0] == "insert" else UpdateOne(write[1], write[2])


def bulk_outcomes(count, run):
    """One outcome per item of an unordered bulk write ``run()``: None for each written, a ``DuplicateKeyError``
    for a duplicate key, a ``WriteError`` for any other refusal; the whole ``BulkWriteError`` for every item
    when the command failed as a whole (a write concern not met)."""
    try:
        run()
        return [None] * count
    except BulkWriteError as failed:
        details = failed.details or {}
        if details.get("writeConcernErrors"):
            return [failed] * count
        outcomes = [None] * count
        for error in details.get("writeErrors", ()):
            kind = DuplicateKeyError if error.get("code") == 11000 else WriteError
            outcomes[error["index"]] = kind(error.get("errmsg", "write refused"), error.get("code"), error)
        return outcomes
