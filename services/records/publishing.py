"""Information disclosure storage and its channel outbox: feed items from events and policies, and the
deliveries (website feed, SMS, e-mail) retried until sent."""

import json
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError

from services.common import config, paging
from services.common.clock import rfc3339
from services.common.mongo import counts_by
from services.common.wake import Wake
from services.records import channels, metrics
from services.records.domain.disclosures import (
    CHANNELS,
    channel_message,
    check_feed_cursor,
    feed_order,
    policy_items,
    retry_delay_seconds,
)
from services.records.models import Delivery, Disclosure

log = logging.getLogger(__name__)

POLICIES_FILE = Path(__file__).with_name("policies.json")
LEASE_SECONDS = 60  # a claimed delivery is retried by anyone after this, should its sender die mid-send
# Woken by this process's new deliveries and by a backlog left for later ticks.
DELIVERIES_WAKE = Wake()


def _parse_time(text):
    moment = datetime.fromisoformat(text) if isinstance(text, str) else None
    if moment is None or moment.tzinfo is None:
        moment = datetime.now(timezone.utc)
    # BSON keeps milliseconds: cut to them here so the stored time and the feed order agree.
    return moment.astimezone(timezone.utc).replace(microsecond=moment.microsecond // 1000 * 1000)


def _insert_ignoring_duplicates(collection, docs):
    if not docs:
        return
    try:
        collection.insert_many(docs, ordered=False)
    except BulkWriteError as error:
        # A redelivered event or a restart re-inserts what is there already; only duplicates are expected.
        if any(e.get("code") != 11000 for e in error.details.get("writeErrors", [])):
            raise


def store_items(items, now=None):
    """Store feed items (unpublished) and one pending delivery per channel; repeats change nothing."""
    now = now or datetime.now(timezone.utc)
    disclosures, deliveries = [], []
    for item in items:
        doc = {
            "key": item["key"],
            "kind": item["kind"],
            "title": item["title"],
            "summary": item.get("summary"),
            "subject": item.get("subject"),
            "published_at": _parse_time(item.get("published_at")),
            "details": item.get("details") or {},
            "published": False,
        }
        disclosures.append(dict(doc, feed_order=feed_order(doc["published_at"], doc["key"])))
        for channel in CHANNELS:
            deliveries.append(
                {
                    "key": f"{item['key']}|{channel}",
                    "disclosure": item["key"],
                    "channel": channel,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                }
            )
    _insert_ignoring_duplicates(Disclosure._get_collection(), disclosures)
    _insert_ignoring_duplicates(Delivery._get_collection(), deliveries)
    if deliveries:
        DELIVERIES_WAKE.poke()


def store_policies():
    """The district's normative documents (policies.json) as feed items, once."""
    store_items(policy_items(json.loads(POLICIES_FILE.read_text(encoding="utf-8"))))


def item_view(doc):
    return {
        "id": doc["key"],
        "kind": doc["kind"],
        "title": doc["title"],
        "summary": doc.get("summary"),
        "subject": doc.get("subject"),
        "published_at": rfc3339(doc["published_at"]),
        "details": doc.get("details") or {},
    }


def list_items(limit, cursor=None):
    """Published items, newest first: ``{items, next_cursor}``."""
    query = {"published": True}
    if cursor:
        query["feed_order"] = {"$lt": check_feed_cursor(cursor)}
    docs = list(Disclosure._get_collection().find(query, {"_id": 0}).sort("feed_order", -1).limit(limit + 1))
    return paging.page(docs, limit, lambda doc: doc["feed_order"], item_view)


def order_older_items():
    """Give ``feed_order`` to items stored before it existed (they would be missing from the feed)."""
    coll = Disclosure._get_collection()
    for doc in list(coll.find({"feed_order": {"$exists": False}}, {"_id": 0, "key": 1, "published_at": 1})):
        coll.update_one({"key": doc["key"]}, {"$set": {"feed_order": feed_order(doc["published_at"], doc["key"])}})


def _send(delivery):
    doc = Disclosure._get_collection().find_one({"key": delivery["disclosure"]}, {"_id": 0})
    if doc is None:
        raise LookupError("the disclosure is gone")
    channel = delivery["channel"]
    if channel == "website":
        # The website channel is the public feed itself: delivering it makes the item visible there.
        Disclosure._get_collection().update_one({"key": doc["key"]}, {"$set": {"published": True}})
        return
    item = item_view(doc)
    item["key"] = item["id"]
    message = channel_message(item, channel, channels.recipients_for(channel), config.get("RECORDS_PUBLIC_URL"))
    channels.sender_for(channel)(message)


def deliver_due(now=None, limit=100):
    """Send every delivery that is due; returns how many were sent. Each is claimed first (a lease),
    so two replicas never send the same message at once."""
    now = now or datetime.now(timezone.utc)
    coll = Delivery._get_collection()
    sent = 0
    max_attempts = config.get_int("RECORDS_DELIVERY_MAX_ATTEMPTS")
    for due in list(
        coll.find({"status": "pending", "next_attempt_at": {"$lte": now}}, {"_id": 0, "key": 1})
        .sort("next_attempt_at", 1)
        .limit(limit)
    ):
        claimed = coll.find_one_and_update(
            {"key": due["key"], "status": "pending", "next_attempt_at": {"$lte": now}},
            {"$set": {"next_attempt_at": now + timedelta(seconds=LEASE_SECONDS)}, "$inc": {"attempts": 1}},
            return_document=ReturnDocument.AFTER,
        )
        if claimed is None:
            continue
        try:
            _send(claimed)
        except Exception as error:
            attempts = claimed["attempts"]
            failed = attempts >= max_attempts
            coll.update_one(
                {"key": claimed["key"]},
                {
                    "$set": {
                        "status": "failed" if failed else "pending",
                        "next_attempt_at": now + timedelta(seconds=retry_delay_seconds(attempts)),
                        "last_error": f"{type(error).__name__}: {error}"[:300],
                    }
                },
            )
            metrics.DELIVERIES.labels(claimed["channel"], "failed" if failed else "retry").inc()
            log.warning("disclosure delivery on %s failed (attempt %d)", claimed["channel"], attempts)
            continue
        coll.update_one({"key": claimed["key"]}, {"$set": {"status": "sent", "sent_at": now}})
        metrics.DELIVERIES.labels(claimed["channel"], "sent").inc()
        sent += 1
    backlog = counts_by(coll, "status", ["pending"], {"status": "pending"})["pending"]
    metrics.DELIVERY_BACKLOG.set(backlog)
    if backlog:
        DELIVERIES_WAKE.poke()  # retries and leases come due on later ticks: keep looking every tick
    return sent
