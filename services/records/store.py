"""The log store: the one writer's append path, the in-memory Merkle tree, the signing key and checkpoints.

One ``LogStore`` per records process. The tree is rebuilt from the stored leaf hashes at start and
then follows the database: the writer extends it after each successful ``insert_many``, and a
process that is not the writer (another replica behind the single-active-consumer queue) catches
up from the database (``sync``) before it answers. A semaphore serialises the writer and
``sync`` so a leaf is never appended twice.
"""

import logging
from collections import OrderedDict
from contextlib import contextmanager
from datetime import datetime, timezone

import eventlet.event
import eventlet.semaphore
from kombu import Queue
from nameko.amqp.publish import get_producer
from nameko.constants import PERSISTENT
from marshmallow import ValidationError
from nameko.extensions import DependencyProvider
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.common import config, signing
from services.common.envelope import load_envelope
from services.common.wake import Wake
from services.records import metrics
from services.records.domain.entries import entry_fields_from_event, is_recordable
from services.records.domain.listing import selection_subject
from services.records.firehose import QUEUE, QUEUE_ARGUMENTS
from services.records.log.checkpoint import format_timestamp, public_key_document, sign_checkpoint
from services.records.log.entry import ENTRY_FIELDS, EntryError, GENESIS_PREV_HASH, make_entry
from services.records.log.merkle import MerkleTree
from services.records.log.note import log_vkey
from services.records.models import Checkpoint, Cosignature, Entry

log = logging.getLogger(__name__)

# Envelope ids remembered in memory, so a redelivery rarely costs a query. Redeliveries come within
# seconds of the first delivery; an older one still meets the unique index. At ~200 bytes an id, a
# bound of 200,000 cost 40 MB and most of the records process's growth in the soak.
RECENT_IDS = 10_000
CHECKPOINT_FIELDS = ("size", "root", "timestamp", "key_id", "signature")


def load_signing_key():
    """RECORDS_SIGNING_KEY, or the key generated once into $CADRE_DATA_DIR/keys/records.key: the same key
    signs the checkpoints and records' events (services/common/signing.py)."""
    return signing.signing_key("records")


def entry_view(doc):
    """The entry exactly as API.md lists it (every field, in order), from a stored document."""
    return {name: doc.get(name) for name in ENTRY_FIELDS}


def checkpoint_view(doc):
    return {name: doc.get(name) for name in CHECKPOINT_FIELDS}


class Prepared:
    """One message ready to append: its unique key, entry fields and the selection it is about."""

    __slots__ = ("key", "fields", "about")

    def __init__(self, key, fields, about):
        self.key, self.fields, self.about = key, fields, about


def prepare(message):
    """``(Prepared | None, envelope | None)`` for one firehose message; raises ValueError if it is poison.

    ``message`` is ``{"manual": bool, "payload": dict}``. A manual entry arrives already made into
    fields by the RPC; an event is validated as an envelope and mapped by the domain. The records
    service's own events give ``None`` (they are not recorded again).
    """
    payload = message.get("payload")
    if not isinstance(payload, dict):
        raise ValueError("not a JSON object")
    if message.get("manual"):
        fields, key = payload.get("fields"), payload.get("id")
        if not isinstance(fields, dict) or not isinstance(key, str) or not key:
            raise ValueError("not a manual entry")
        try:
            make_entry(0, GENESIS_PREV_HASH, fields)  # refuses unknown fields and non-strings
        except EntryError as error:
            raise ValueError(str(error))
        return Prepared(f"manual:{key}", fields, selection_subject(fields.get("subject"))), None
    try:
        envelope = load_envelope(dict(payload))
    except (ValidationError, TypeError, ValueError) as error:
        raise ValueError(f"not an envelope: {sorted(getattr(error, 'messages', {}) or [])}")
    if not is_recordable(payload):
        return None, envelope
    # The raw payload, not the loaded envelope: its occurred_at is the producer's own RFC 3339 text.
    fields = entry_fields_from_event(payload)
    return Prepared(envelope["id"], fields, selection_subject(payload.get("subject"), payload.get("data"))), envelope


class LogStore(DependencyProvider):
    """Injects itself: ``append``, ``sync``, ``tree``, ``checkpoint()``, ``public_key()``."""

    def setup(self):
        self.tree = MerkleTree()
        self.lock = eventlet.semaphore.Semaphore(1)
        self.recent = OrderedDict()
        self.signing_key = load_signing_key()
        self.loaded_seconds = None
        # The manual entries whose RPC waits in this process, by key: the writer hands each its entry.
        self.awaited = {}
        # Woken by this process's appends (and new checkpoints), so the timers stay off the database at rest.
        self.checkpoint_wake = Wake()
        self.cosign_wake = Wake()

    def start(self):
        for document in (Entry, Checkpoint, Cosignature):
            document.ensure_indexes()
        started = datetime.now(timezone.utc)
        self.sync()
        self.loaded_seconds = (datetime.now(timezone.utc) - started).total_seconds()
        metrics.LOAD_SECONDS.set(self.loaded_seconds)
        log.info("records log loaded: %d entries in %.2f s", self.tree.size, self.loaded_seconds)

    def get_dependency(self, worker_ctx):
        return self

    # -- reading the database into the tree ------------------------------------------------------

    def sync(self):
        """Extend the in-memory tree with whatever the database holds beyond it; returns the size."""
        with self.lock:
            return self._sync_locked()

    def _sync_locked(self):
        coll = Entry._get_collection()
        cursor = coll.find({"seq": {"$gte": self.tree.size}}, {"_id": 0, "seq": 1, "leaf_hash": 1}).sort("seq", 1)
        hashes = []
        for doc in cursor.batch_size(10_000):
            if doc["seq"] != self.tree.size + len(hashes):
                log.error("records log has a gap at seq %d", self.tree.size + len(hashes))
                break
            hashes.append(bytes.fromhex(doc["leaf_hash"]))
        self.tree.extend(hashes)
        metrics.LOG_SIZE.set(self.tree.size)
        return self.tree.size

    # -- the one writer --------------------------------------------------------------------------

    def append(self, prepared):
        """Append the prepared messages in order, skipping keys already recorded; returns the new entries.

        The tree is taken to be the log's head without reading the database first: the firehose has one
        active consumer, so another writer has appended only after a failover. Then the insert meets the
        unique ``seq`` of its entries; the tree catches up once and the batch is chained after them."""
        with self.lock:
            todo, seen = [], set()
            for item in prepared:
                if item.key in seen or item.key in self.recent:
                    metrics.DUPLICATES.inc()
                    continue
                seen.add(item.key)
                todo.append(item)
            written, caught_up = [], False
            while todo:
                docs = self._chain(todo)
                try:
                    Entry._get_collection().insert_many(docs, ordered=True)
                    self._extended(docs)
                    written.extend(docs)
                    break
                except (BulkWriteError, DuplicateKeyError) as error:
                    inserted = (getattr(error, "details", None) or {}).get("nInserted", 0)
                    self._extended(docs[:inserted])
                    written.extend(docs[:inserted])
                    todo = todo[inserted:]
                    # Only a duplicate envelope id is ours to resolve; anything else is retried whole.
                    existing = self._existing_keys([item.key for item in todo])
                    if not existing:
                        self._sync_locked()
                        if caught_up:
                            raise
                        caught_up = True  # another writer's entries hold these seqs: chain after them
                        continue
                    metrics.DUPLICATES.inc(len(existing))
                    todo = [item for item in todo if item.key not in existing]
                except Exception:
                    # The database may hold a prefix of the batch; catch up before anyone retries.
                    self._sync_locked()
                    raise
            return [entry_view(doc) for doc in written]

    def _chain(self, items):
        previous = self.tree.leaf(self.tree.size - 1).hex() if self.tree.size else GENESIS_PREV_HASH
        docs = []
        for offset, item in enumerate(items):
            entry = make_entry(self.tree.size + offset, previous, item.fields)
            previous = entry["leaf_hash"]
            docs.append(dict(entry, event_id=item.key, about=item.about))
        return docs

    def _existing_keys(self, keys):
        if not keys:
            return set()
        found = Entry._get_collection().find({"event_id": {"$in": keys}}, {"_id": 0, "event_id": 1})
        return {doc["event_id"] for doc in found}

    def _extended(self, docs):
        if not docs:
            return
        self.tree.extend(bytes.fromhex(doc["leaf_hash"]) for doc in docs)
        for doc in docs:
            self.recent[doc["event_id"]] = None
        while len(self.recent) > RECENT_IDS:
            self.recent.popitem(last=False)
        metrics.APPENDED.inc(len(docs))
        metrics.LOG_SIZE.set(self.tree.size)
        self.checkpoint_wake.poke()
        for doc in docs:
            waiting = self.awaited.pop(doc["event_id"], None)
            if waiting is not None:
                waiting.send(doc)

    @contextmanager
    def awaiting(self, key):
        """An event this process's writer sends with the entry of ``key`` when it appends it: what a manual
        entry's RPC waits on, so that the entry its writer just wrote needs no read to answer with."""
        self.awaited[key] = appended = eventlet.event.Event()
        try:
            yield appended
        finally:
            self.awaited.pop(key, None)

    def enqueue_manual(self, message):
        """Put a manual entry on the firehose (default exchange, routing key = the queue), with a publisher confirm."""
        with get_producer(self.container.config["AMQP_URI"]) as producer:
            # Declared with the firehose's own arguments, so the message is never dropped for want of a queue.
            Queue(QUEUE, durable=True, auto_delete=False, queue_arguments=QUEUE_ARGUMENTS)(producer.channel).declare()
            producer.publish(message, exchange="", routing_key=QUEUE, serializer="json", delivery_mode=PERSISTENT)

    # -- checkpoints -----------------------------------------------------------------------------

    def latest_checkpoint(self):
        doc = Checkpoint._get_collection().find_one({}, {"_id": 0}, sort=[("size", -1)])
        return checkpoint_view(doc) if doc else None

    def make_checkpoint(self, force=False):
        """Sign and store a checkpoint of the current tree unless the latest already covers it; returns the latest."""
        self.sync()
        latest = self.latest_checkpoint()
        size = self.tree.size
        if latest is not None and latest["size"] >= size and not force:
            return latest
        signed = sign_checkpoint(
            self.signing_key, size, self.tree.root(size).hex(), format_timestamp(datetime.now(timezone.utc))
        )
        try:
            Checkpoint._get_collection().insert_one(dict(signed))
        except DuplicateKeyError:
            pass  # another replica signed this size first; either signature is valid
        self.cosign_wake.poke()
        metrics.CHECKPOINT_SIZE.set(size)
        return self.latest_checkpoint()

    def checkpoint_covering(self, size):
        """The latest checkpoint if it covers ``size`` entries, else a new one."""
        latest = self.latest_checkpoint()
        if latest is not None and latest["size"] >= size:
            return latest
        return self.make_checkpoint()

    def public_key(self):
        """``{key_id, public_key, vkey}``: ``vkey`` is the C2SP note verifier key of ``GET /log/checkpoint``."""
        return dict(
            public_key_document(self.signing_key), vkey=log_vkey(config.get("RECORDS_LOG_ORIGIN"), self.signing_key)
        )
