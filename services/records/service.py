"""Records service entrypoints: the firehose writer, manual entries, the log's read endpoints, checkpoints,
dossiers and the information-disclosure feed with its channel outbox."""

import logging
import time
import uuid
from datetime import datetime, timezone

import eventlet

from services.common import config, paging
from services.common.base import HealthMixin, chassis
from services.common.entrypoints import rpc, timer
from services.common.clock import rfc3339
from services.common.errors import NotFound, Unavailable
from services.common.validation import load
from services.records import cosigning, publishing, contract
from services.records.domain.disclosures import disclosure_from_event
from services.records.domain.entries import manual_entry_fields
from services.records.domain.listing import (
    check_consistency_bounds,
    check_proof_bounds,
    parse_seq_cursor,
    subject_filter,
)
from services.records.firehose import firehose, manual_message
from services.records import metrics
from services.records.models import Entry
from services.records.store import LogStore, entry_view, prepare

log = logging.getLogger(__name__)

DOSSIER_MAX_ENTRIES = 10_000


def _proof(store, seq, size):
    return {
        "index": seq,
        "size": size,
        "leaf_hash": store.tree.leaf(seq).hex(),
        "path": [node.hex() for node in store.tree.inclusion_proof(seq, size)],
    }


class RecordsService(HealthMixin):
    name = "records"
    db, caller, relay, metrics = chassis("records")
    store = LogStore()

    # -- the one writer ------------------------------------------------------------------------

    @firehose
    def record(self, messages):
        """Append a batch of firehose messages in order; returns the indexes of poison messages."""
        poison, prepared, items = [], [], []
        for index, message in enumerate(messages):
            try:
                entry, envelope = prepare(message)
            except ValueError as error:
                log.error("firehose: message %d of the batch is not recordable: %s", index, error)
                metrics.REJECTED.inc()
                poison.append(index)
                continue
            if entry is not None:
                prepared.append(entry)
            item = disclosure_from_event(message["payload"]) if envelope is not None else None
            if item is not None:
                items.append(item)
        metrics.BATCH_SIZE.observe(len(messages))
        self.store.append(prepared)
        # After the entries: a crash in between redelivers the batch, which re-adds these harmlessly.
        publishing.store_items(items)
        return poison

    # -- manual entries ------------------------------------------------------------------------

    @rpc
    def append_manual(self, body):
        """Queue a manual entry behind everything already on the firehose and wait until it is appended."""
        body = load(contract.ManualEntryIn(), body)
        fields = manual_entry_fields(
            body,
            recorder=self.caller.actor,
            occurred_at=rfc3339(datetime.now(timezone.utc)),
            correlation_id=self.caller.correlation_id,
        )
        request_id = str(uuid.uuid4())
        key = f"manual:{request_id}"
        deadline = time.monotonic() + max(1.0, config.get_float("RPC_TIMEOUT_SECONDS") - 1)
        with self.store.awaiting(key) as appended:
            self.store.enqueue_manual(manual_message(request_id, fields))
            while time.monotonic() < deadline:
                # This process's writer hands the entry over as it appends it; one another replica's
                # writer appended (the firehose's consumer after a failover) is looked up now and then.
                with eventlet.Timeout(min(0.25, max(0.0, deadline - time.monotonic())), False):
                    return entry_view(appended.wait())
                doc = Entry._get_collection().find_one({"event_id": key}, {"_id": 0})
                if doc is not None:
                    return entry_view(doc)
        raise Unavailable("the entry is queued but was not appended in time; it will appear in the listing")

    # -- reading the log -----------------------------------------------------------------------

    @rpc
    def list_records(self, query):
        query = load(contract.RecordsQuery(), query)
        start = parse_seq_cursor(query.get("cursor"))
        filters = dict(subject_filter(query.get("subject")), seq={"$gte": start})
        if query.get("matter"):
            filters["matter"] = query["matter"]
        docs = list(Entry._get_collection().find(filters, {"_id": 0}).sort("seq", 1).limit(query["limit"] + 1))
        return paging.page(docs, query["limit"], lambda d: str(d["seq"] + 1), entry_view)

    @rpc
    def checkpoint(self):
        return self.store.latest_checkpoint() or self.store.make_checkpoint()

    @rpc
    def public_key(self):
        return self.store.public_key()

    @rpc
    def log_checkpoint(self):
        """The C2SP signed-note checkpoint with the witnesses' cosignatures (``GET /log/checkpoint``)."""
        return {"note": cosigning.served_note(self.store)}

    @rpc
    def log_tile(self, level, path):
        """A C2SP hash tile (``GET /log/tile/<L>/<N>[.p/<W>]``), base64 for the RPC."""
        return cosigning.tile(self.store, level, path)

    @rpc
    def witnesses(self):
        return cosigning.witnesses_document()

    @rpc
    def inclusion_proof(self, seq, query):
        query = load(contract.ProofQuery(), query)
        log_size = self.store.sync()
        size = query.get("size")
        if size is None:
            size = (self.store.latest_checkpoint() or {"size": 0})["size"]
        check_proof_bounds(seq, size, log_size)
        return _proof(self.store, seq, size)

    @rpc
    def consistency_proof(self, query):
        query = load(contract.ConsistencyQuery(), query)
        first, second = query["from"], query["to"]
        check_consistency_bounds(first, second, self.store.sync())
        return {
            "from": first,
            "to": second,
            "path": [n.hex() for n in self.store.tree.consistency_proof(first, second)],
        }

    @rpc
    def dossier(self, id):
        subject = f"selection:{id}"
        docs = list(
            Entry._get_collection().find({"about": subject}, {"_id": 0}).sort("seq", 1).limit(DOSSIER_MAX_ENTRIES)
        )
        if not docs:
            raise NotFound(f"nothing is recorded about selection {id!r}")
        self.store.sync()
        checkpoint = self.store.checkpoint_covering(docs[-1]["seq"] + 1)
        entries = [dict(entry_view(d), proof=_proof(self.store, d["seq"], checkpoint["size"])) for d in docs]
        return {"selection": id, "checkpoint": checkpoint, "entries": entries}

    # -- checkpoints and disclosure channels ---------------------------------------------------

    @timer(interval=config.get_float("RECORDS_CHECKPOINT_SECONDS"))
    def sign_checkpoint(self):
        if self.store.checkpoint_wake.due():
            self.store.make_checkpoint()

    @timer(interval=config.get_float("RECORDS_CHECKPOINT_SECONDS"))
    def cosign_checkpoint(self):
        """Submit the newest checkpoint to the witnesses that have not cosigned it."""
        if self.store.cosign_wake.due() and not cosigning.cosign_latest(self.store):
            self.store.cosign_wake.poke()  # a witness was unreachable or refused: try again next tick

    _policies_stored = False

    @timer(interval=1)
    def deliver_disclosures(self):
        if not RecordsService._policies_stored:
            publishing.order_older_items()
            publishing.store_policies()
            RecordsService._policies_stored = True
        if publishing.DELIVERIES_WAKE.due():
            publishing.deliver_due()

    @rpc
    def list_disclosures(self, query):
        query = load(contract.DisclosuresQuery(), query)
        return publishing.list_items(query["limit"], query.get("cursor"))
