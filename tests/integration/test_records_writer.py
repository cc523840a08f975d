"""The records writer over real RabbitMQ and nx-27017: a kill -9 in the middle of a flood loses nothing,
duplicates nothing and leaves one gap-free chain; a failing channel is retried until it delivers."""

import json
import signal
import uuid

import pika
import pymongo
import pytest

from services.common.envelope import make_envelope
from services.records.log.entry import GENESIS_PREV_HASH, leaf_hash_of
from tests.e2e.records_helpers import publish
from tests.harness import Suite, eventually
from tests.signing import as_producer


@pytest.fixture(scope="module")
def suite():
    running = Suite(RECORDS_SMS_SENDER="tests.integration.records_flaky_sender:send", RECORDS_BATCH_MAX="50").start()
    running.api.principal("auditor", "auditor")
    try:
        yield running
    finally:
        running.stop()


def listing(suite, path="/api/v1/records", limit=500, as_="auditor"):
    """Every item of a list, page by page as a client follows ``next_cursor``."""
    entries, cursor = [], None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        r = suite.api.get(path, as_=as_, params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        entries.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return entries


def test_kill_9_mid_flood_loses_nothing_duplicates_nothing_and_keeps_the_chain(suite):
    tag = uuid.uuid4().hex[:8]
    envelopes = [
        as_producer(suite, make_envelope("unit.created", "nomination", f"unit:{tag}-{i}", {"code": f"{tag}-{i}"}))
        for i in range(3000)
    ]
    with pika.BlockingConnection(pika.URLParameters(suite.env["AMQP_URI"])) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        for n, envelope in enumerate(envelopes):
            channel.basic_publish(
                "nomination.events",
                "unit.created",
                json.dumps(envelope).encode(),
                pika.BasicProperties(content_type="application/json", delivery_mode=2),
            )
            if n == 1000:
                suite.kill("records", signal.SIGKILL)  # mid-batch, between a write and its ack at worst
    suite.wait_healthy(120)

    def all_there():
        entries = listing(suite)
        mine = [e for e in entries if (e["subject"] or "").startswith(f"unit:{tag}-")]
        assert len({e["subject"] for e in mine}) == 3000, len(mine)
        return entries

    entries = eventually(all_there, timeout=300, interval=2)
    mine = [e for e in entries if (e["subject"] or "").startswith(f"unit:{tag}-")]
    assert len(mine) == 3000  # exactly once each
    previous = GENESIS_PREV_HASH
    for position, entry in enumerate(entries):
        assert entry["seq"] == position and entry["prev_hash"] == previous
        assert leaf_hash_of(entry) == entry["leaf_hash"]
        previous = entry["leaf_hash"]
    checkpoint = eventually(
        lambda: (lambda c: c if c["size"] == len(entries) else None)(
            suite.api.get("/api/v1/records/checkpoint").json()
        ),
        timeout=20,
    )
    assert checkpoint["size"] == len(entries)


def test_a_failing_sms_sender_is_retried_until_it_delivers(suite):
    selection = uuid.uuid4().hex[:8]
    envelope = as_producer(
        suite,
        make_envelope(
            "selection.opened",
            "nomination",
            f"selection:{selection}",
            {"selection": selection, "post": "P", "mode": "org_recommendation", "competitive": False, "vacancies": 1},
        ),
    )
    with pika.BlockingConnection(pika.URLParameters(suite.env["AMQP_URI"])) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish(
            "nomination.events",
            envelope["type"],
            json.dumps(envelope).encode(),
            pika.BasicProperties(content_type="application/json", delivery_mode=2),
        )
    name = f"event_{envelope['id']}.json"
    # two failures, backoff 1 s then 2 s, then the third attempt spools it
    eventually(lambda: (suite.data_dir / "spool" / "sms" / name).exists(), timeout=60)
    attempts = [json.loads(line) for line in open(suite.data_dir / "flaky-attempts.jsonl")]
    assert sum(1 for a in attempts if a["id"] == f"event:{envelope['id']}") == 3
    assert (suite.data_dir / "spool" / "email" / name).exists()  # the other channel was never held up
    # delivered, so never sent again
    deliveries = pymongo.MongoClient(f"mongodb://127.0.0.1:{suite.ports['MONGODB_PORT']}/").records.deliveries
    sms = eventually(
        lambda: (d := deliveries.find_one({"key": f"event:{envelope['id']}|sms"})) and d["status"] == "sent" and d
    )
    assert sms["attempts"] == 3


def test_the_feed_pages_exactly_through_items_published_within_one_second(suite):
    """The embedded database compares dates to the whole second; the feed's cursor must not rely on it."""
    announced = []
    for n in range(6):
        selection = uuid.uuid4().hex[:8]
        envelope = make_envelope(
            "selection.opened",
            "nomination",
            f"selection:{selection}",
            {
                "selection": selection,
                "post": f"P-{n}",
                "mode": "org_recommendation",
                "competitive": False,
                "vacancies": 1,
            },
        )
        envelope["occurred_at"] = f"2031-05-05T10:00:00.{n * 150:03d}Z"
        announced.append(envelope)
    publish(suite, announced)
    keys = {f"event:{e['id']}" for e in announced}

    def feed(limit):
        return [i["id"] for i in listing(suite, "/api/v1/disclosures", limit=limit, as_=None)]

    eventually(lambda: keys <= set(feed(500)), timeout=30)
    everything = feed(500)
    assert feed(1) == everything
    assert everything[:6] == [f"event:{e['id']}" for e in reversed(announced)]


def test_after_another_writer_appended_the_next_entry_is_chained_after_its_entries(suite):
    """A failover: a second records process appended while this one held an older tree. The insert meets the
    taken seqs, the tree catches up and the entry lands after them, chained, once: nothing overwritten, no gap."""
    from services.records.domain.entries import entry_fields_from_event
    from services.records.log.entry import make_entry

    tag = uuid.uuid4().hex[:8]
    first = as_producer(suite, make_envelope("unit.created", "nomination", f"unit:{tag}-a", {"code": f"{tag}-a"}))
    publish(suite, [first])
    before = eventually(
        lambda: (lambda e: e if any(x["subject"] == f"unit:{tag}-a" for x in e) else None)(listing(suite))
    )
    # the other writer: two entries chained on the head, written straight into the log's collection
    client = pymongo.MongoClient(f"mongodb://127.0.0.1:{suite.ports['MONGODB_PORT']}/")
    try:
        previous = before[-1]["leaf_hash"]
        for i, name in enumerate(("b", "c")):
            other = make_envelope("unit.created", "nomination", f"unit:{tag}-{name}", {"code": f"{tag}-{name}"})
            entry = make_entry(len(before) + i, previous, entry_fields_from_event(other))
            client["records"]["entries"].insert_one(dict(entry, event_id=other["id"], about=None))
            previous = entry["leaf_hash"]
    finally:
        client.close()
    publish(
        suite, [as_producer(suite, make_envelope("unit.created", "nomination", f"unit:{tag}-d", {"code": f"{tag}-d"}))]
    )

    def landed():
        entries = listing(suite)
        return entries if any(e["subject"] == f"unit:{tag}-d" for e in entries) else None

    entries = eventually(landed, timeout=30)
    assert [e["subject"] for e in entries[len(before) :]] == [f"unit:{tag}-b", f"unit:{tag}-c", f"unit:{tag}-d"]
    previous = GENESIS_PREV_HASH
    for position, entry in enumerate(entries):
        assert entry["seq"] == position and entry["prev_hash"] == previous
        assert leaf_hash_of(entry) == entry["leaf_hash"]
        previous = entry["leaf_hash"]
