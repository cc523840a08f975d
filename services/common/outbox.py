"""The outbox: a state change and its events are written in one single-document operation,
and a relay publishes them afterwards with publisher confirms.

Each aggregate document carries its own pending events (``outbox``, serialised envelopes) and
their count (``outbox_n``, indexed so the relay finds them). Writing the change and the event
in the same document keeps them atomic on any MongoDB, without multi-document transactions.
The relay publishes each pending envelope of a document and waits for the broker's confirms (the events
that the process's workers publish at the same time share the wait, services/common/confirms.py), then
pulls exactly the confirmed envelopes from the document (the flushes that end together share one
command); a crash in between publishes them again, which consumers absorb because every handler is
idempotent on the envelope id.
"""

import json
import logging
import threading

import eventlet
from kombu import Exchange
from mongoengine import NotUniqueError
from nameko.constants import AMQP_SSL_CONFIG_KEY, LOGIN_METHOD_CONFIG_KEY
from nameko.extensions import DependencyProvider

from services.common import config, metrics, signing
from services.common.aggregate import Aggregate, aggregate_classes, stamp
from services.common.batching import GroupCommit, write_each
from services.common.confirms import ConfirmedPublisher
from services.common.errors import Conflict
from services.common.wake import Wake

log = logging.getLogger(__name__)

# Aggregate lives in services.common.aggregate; models subclass it as outbox.Aggregate.
__all__ = ["Aggregate", "OutboxRelay", "append", "event_exchange", "insert", "modify"]


def event_exchange(service_name):
    """The topic exchange a service's events are published to (the name nameko handlers bind)."""
    return Exchange(f"{service_name}.events", type="topic", durable=True, auto_delete=False)


def _serialise(envelopes):
    # Signed here, in the worker that made them, not by the relay: the relay publishes whatever the
    # outbox holds, and an envelope someone wrote into the database must not come out signed.
    return [json.dumps(signing.sign_envelope(e), separators=(",", ":"), sort_keys=True) for e in envelopes]


def insert(doc, *envelopes, exists_detail=None):
    """Insert a new aggregate with its events; a duplicate unique key is 409 ``exists``."""
    doc.outbox = _serialise(envelopes)
    doc.outbox_n = len(envelopes)
    mark = stamp()
    if mark and envelopes:
        doc.handled = [*(doc.handled or ()), mark]
    try:
        doc.save(force_insert=True)
    except NotUniqueError:
        raise Conflict(exists_detail or f"{type(doc).__name__.lower()} already exists", "exists")
    _track(doc, list(doc.outbox))
    return doc


def modify(queryset, updates, envelopes=(), once=None):
    """Atomically apply mongoengine ``updates`` to the one document ``queryset`` matches,
    adding ``envelopes`` to its outbox. With ``once`` (an envelope id) the change applies only
    if that id was not applied before. Returns the new document, or None when nothing matched.
    """
    updates = dict(updates)
    if envelopes:
        updates["push_all__outbox"] = _serialise(envelopes)
        updates["inc__outbox_n"] = len(envelopes)
    marks, mark = [], stamp()
    if once is not None:
        queryset = queryset.filter(handled__nin=[once])
        marks.append(once)
    if envelopes and mark:
        marks.append(mark)
    if marks:
        updates["push_all__handled"] = marks
    doc = queryset.modify(new=True, **updates)
    if doc is not None and envelopes:
        # the whole outbox as the write left it, older pending events first; a projection that left
        # it out means the relay reads it
        _track(doc, list(doc.outbox or ()) or None)
    return doc


def append(cls, pk, envelopes, pending=()):
    """Add ``envelopes`` to the outbox of the document ``pk``, which holds the events ``pending`` (serialised)
    before them, in one update that neither reads nor returns the document: for a caller that knows the outbox,
    such as the worker that just inserted the document without events. False when no document matched."""
    messages = _serialise(envelopes)
    pushes = {"outbox": {"$each": messages}}
    mark = stamp()
    if mark:
        pushes["handled"] = mark
    if (
        not cls._get_collection()
        .update_one({"_id": pk}, {"$push": pushes, "$inc": {"outbox_n": len(messages)}})
        .matched_count
    ):
        return False
    _track_key((cls, pk), [*pending, *messages])
    return True


# Documents written by the current worker, so the relay can publish them as soon as it ends, with the
# outbox each write left (the write returns the whole document: the relay needs no read to publish).
_written = threading.local()
# Written outside any worker: nothing flushes them, so the relay's next sweep must look.
_untracked = Wake()


def _track(doc, messages):
    """Note a written document's outbox (``None``: not known from the write, the relay reads it)."""
    _track_key((type(doc), doc.pk), messages)


def _track_key(key, messages):
    if messages is not None and not messages:
        return
    pending = getattr(_written, "docs", None)
    if pending is None:
        _untracked.poke()
        return
    pending[key] = messages


def _send_pulls(items):
    """One command for the pulls of several documents of a collection: each envelope its own ``$pull``, so
    one that another replica's sweep already took is simply not matched and ``outbox_n`` counts exactly
    what is left."""
    pulls = [
        (n, ("update", {"_id": pk, "outbox": message}, {"$pull": {"outbox": message}, "$inc": {"outbox_n": -1}}))
        for n, (_, pk, messages) in enumerate(items)
        for message in messages
    ]
    outcomes = [None] * len(items)
    for (n, _), outcome in zip(pulls, write_each(items[0][0], [pull for _, pull in pulls])):
        outcomes[n] = outcomes[n] or outcome
    return outcomes


# The relay's pulls of one collection: the flushes that end within a linger of each other share a command (the
# events are out by then; only their removal from the outbox waits, and a crash meanwhile publishes them again).
_pulls = {}


def _pull(coll, pk, messages):
    """Take published envelopes out of the document's outbox."""
    if not messages:
        return
    commit = _pulls.get(coll.full_name)
    if commit is None:
        commit = _pulls.setdefault(
            coll.full_name, GroupCommit(_send_pulls, linger=lambda: config.get_float("OUTBOX_PULL_LINGER_SECONDS"))
        )
    commit((coll, pk, tuple(messages)))


class OutboxRelay(DependencyProvider):
    """Publishes outbox entries: right after each worker that wrote some, and by a periodic sweep
    that catches whatever a crash or a broker outage left behind."""

    def setup(self):
        self.service_name = self.container.service_name
        self.exchange = event_exchange(self.service_name)
        self.publisher = ConfirmedPublisher(
            self.container.config["AMQP_URI"],
            self.exchange,
            ssl=self.container.config.get(AMQP_SSL_CONFIG_KEY),
            login_method=self.container.config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        self._inflight = set()
        self._unpulled = {}  # (class, pk): envelopes published, their pull not yet written
        self._stopping = False
        # At start, so the service's public key is written beside its key before any event needs it.
        signing.signing_key(self.service_name)

    def start(self):
        # The sweep looks at start (a crash may have left events), after a flush that did not finish
        # (broker or database away), after writes outside a worker, and at the safety interval.
        self.wake = Wake()
        self._untracked_seen = _untracked.generation
        self.container.spawn_managed_thread(self._sweep_forever, identifier="outbox-relay")

    def stop(self):
        self._stopping = True
        self.publisher.close()

    def kill(self):
        self._stopping = True
        self.publisher.close()

    def worker_setup(self, worker_ctx):
        _written.docs = {}

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        docs, _written.docs = getattr(_written, "docs", None) or {}, None
        for (cls, pk), messages in docs.items():
            try:
                if not self.flush(cls, pk, messages):
                    self._poke()
            except Exception:  # the sweep will retry; the change itself is safe in the database
                self._poke()
                log.warning("outbox flush deferred", extra={"aggregate": cls.__name__})

    def _poke(self):
        wake = getattr(self, "wake", None)
        if wake is not None:
            wake.poke()

    def get_dependency(self, worker_ctx):
        return self

    def flush(self, cls, pk, messages=None):
        """Publish every pending event of one document, oldest first: ``messages`` as the write that
        just returned the document holds them, or read. False when another flush of it was under way
        (its read may predate the newest events, so the sweep must look again).

        The document is free for the next flush once its events are published: the envelopes still
        waiting to be pulled (``_unpulled``) are skipped, not published twice."""
        key = (cls, pk)
        if key in self._inflight:
            return False
        self._inflight.add(key)
        published, coll = [], None
        try:
            coll = cls._get_collection()
            if messages is None:
                messages = (coll.find_one({"_id": pk}, {"outbox": 1}) or {}).get("outbox", [])
            unpulled = self._unpulled.get(key, ())
            todo = [message for message in messages if message not in unpulled]
            types = [json.loads(message)["type"] for message in todo]
            confirmed, error = self.publisher.publish(list(zip(types, todo)))
            published = todo[:confirmed]
            for type_ in types[:confirmed]:
                metrics.EVENTS_PUBLISHED.labels(self.service_name, type_).inc()
            if error is not None:
                raise error
        finally:
            if published:
                self._unpulled.setdefault(key, set()).update(published)
            self._inflight.discard(key)
            if published:
                self._pull(key, coll, published)  # what the broker confirmed, even when a later publish failed
        return True

    def _pull(self, key, coll, published):
        try:
            _pull(coll, key[1], published)
        finally:  # pulled, or left for the sweep to publish again (at least once)
            unpulled = self._unpulled.get(key)
            if unpulled is not None:
                unpulled.difference_update(published)
                if not unpulled:
                    del self._unpulled[key]

    def sweep(self):
        # The backlog is measured before publishing: a flush that fails (broker down) must not leave
        # the gauge at its last good value, since an outage is exactly when the backlog grows.
        pending = [
            (cls, doc["_id"], doc.get("outbox_n", 0))
            for cls in aggregate_classes()
            for doc in cls._get_collection().find({"outbox_n": {"$gt": 0}}, {"_id": 1, "outbox_n": 1})
        ]
        backlog = sum(n for _, _, n in pending)
        metrics.OUTBOX_BACKLOG.labels(self.service_name).set(backlog)
        for cls, pk, _ in pending:
            self.flush(cls, pk)
        return backlog

    def _sweep_forever(self):
        while not self._stopping:
            untracked = _untracked.generation != self._untracked_seen
            if self.wake.due() or untracked:
                self._untracked_seen = _untracked.generation
                try:
                    if self.sweep():
                        self.wake.poke()  # something was pending: look again until it is all out
                except Exception as exc:
                    self.wake.poke()
                    log.warning("outbox sweep failed: %s", type(exc).__name__)
            eventlet.sleep(config.get_float("OUTBOX_SWEEP_SECONDS"))
