"""The chassis over real RabbitMQ and a throw-away nx-27017: outbox, idempotency, deadlines."""

import json
import signal
import threading
import time
import uuid

import pika
import pymongo
import pytest

from services.common.envelope import make_envelope
from tests.harness import Suite, eventually
from tests.signing import as_producer


@pytest.fixture(scope="module")
def suite():
    running = Suite(OUTBOX_SWEEP_SECONDS="0.5").start()
    running.api.principal("org", "org")
    running.api.principal("auditor", "auditor")
    try:
        yield running
    finally:
        running.stop()


def mongo(suite, db):
    return pymongo.MongoClient(f"mongodb://127.0.0.1:{suite.ports['MONGODB_PORT']}/", serverSelectionTimeoutMS=5000)[db]


def records_of(suite, subject):
    r = suite.api.get("/api/v1/records", as_="auditor", params={"subject": subject, "limit": 500})
    assert r.status_code == 200, r.text
    return r.json()["items"]


def publish(suite, exchange, envelope):
    params = pika.URLParameters(suite.env["AMQP_URI"])
    with pika.BlockingConnection(params) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish(
            exchange,
            envelope["type"],
            json.dumps(as_producer(suite, envelope)).encode(),
            pika.BasicProperties(content_type="application/json", delivery_mode=2),
        )


def test_an_event_left_in_the_outbox_by_a_crash_is_published_by_the_relay(suite):
    """The state change was written with its event, then the process died before publishing."""
    code = f"U-{uuid.uuid4().hex[:8]}"
    # signed, as the worker that wrote it signs every envelope it puts in the outbox
    envelope = as_producer(
        suite, make_envelope("unit.created", "nomination", f"unit:{code}", {"code": code, "name": "n"})
    )
    mongo(suite, "nomination").units.insert_one(
        {"code": code, "name": "n", "outbox": [json.dumps(envelope)], "outbox_n": 1, "handled": []}
    )
    entries = eventually(lambda: records_of(suite, f"unit:{code}"), timeout=20)
    assert len(entries) == 1
    assert eventually(lambda: mongo(suite, "nomination").units.find_one({"code": code})["outbox_n"] == 0)


def test_kill_9_during_writes_loses_no_event_and_duplicates_none(suite):
    created, stop = [], threading.Event()

    def writer():
        while not stop.is_set():
            code = f"K-{uuid.uuid4().hex[:8]}"
            try:
                r = suite.api.post("/api/v1/units", {"code": code, "name": "k"}, as_="org", timeout=10)
            except Exception:
                continue
            if r.status_code == 201:
                created.append(code)

    def restarted():
        try:
            return suite.pid("nomination") != killed
        except (OSError, ValueError):  # the supervisor is writing the new pid file
            return False

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        eventually(lambda: len(created) >= 5, timeout=30)  # writes are flowing
        killed = suite.pid("nomination")
        suite.kill("nomination", signal.SIGKILL)
        eventually(restarted, timeout=60)
        # and are acknowledged again by the new process
        since = len(created)
        eventually(lambda: len(created) >= since + 5, timeout=60)
    finally:
        stop.set()
        thread.join()
    suite.wait_healthy(60)
    assert created, "no write was acknowledged"
    missing = []
    for code in created:
        entries = eventually(lambda: records_of(suite, f"unit:{code}"), timeout=30)
        assert len(entries) == 1, f"{code}: {len(entries)} entries"
    print(f"acknowledged={len(created)} found={len(created) - len(missing)} lost={len(missing)} duplicated=0")


def test_a_redelivered_event_makes_no_second_entry(suite):
    code = f"R-{uuid.uuid4().hex[:8]}"
    envelope = make_envelope("unit.created", "nomination", f"unit:{code}", {"code": code, "name": "r"})
    publish(suite, "nomination.events", envelope)
    publish(suite, "nomination.events", envelope)
    # the records writer keeps the order of its one queue: once a later event is in the log, the
    # redelivery before it has been handled
    later = f"R-{uuid.uuid4().hex[:8]}"
    publish(
        suite,
        "nomination.events",
        make_envelope("unit.created", "nomination", f"unit:{later}", {"code": later, "name": "r"}),
    )
    eventually(lambda: records_of(suite, f"unit:{later}"), timeout=20)
    assert len(records_of(suite, f"unit:{code}")) == 1


def test_a_poison_event_is_dead_lettered_and_does_not_block_the_queue(suite):
    """An envelope the records service can never store goes to the dead-letter queue; the next one lands."""
    poison = {"id": "not-a-uuid", "type": "unit.poisoned", "source": "nomination"}
    publish(suite, "nomination.events", poison)
    code = f"A-{uuid.uuid4().hex[:8]}"
    publish(
        suite,
        "nomination.events",
        make_envelope("unit.created", "nomination", f"unit:{code}", {"code": code, "name": "a"}),
    )
    assert len(eventually(lambda: records_of(suite, f"unit:{code}"), timeout=30)) == 1
    params = pika.URLParameters(suite.env["AMQP_URI"])
    with pika.BlockingConnection(params) as connection:

        def dead():
            return connection.channel().queue_declare("cadre.dead-letters", passive=True).method.message_count >= 1

        eventually(dead, timeout=30)


def test_deadletters_tool_lists_shows_replays_and_drops(suite):
    import subprocess

    from tests.harness import PYTHON, REPO

    def tool(*args):
        out = subprocess.run(
            [PYTHON, "-m", "services.common.deadletters", *args],
            cwd=REPO,
            env=suite.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        return out.stdout

    poison = {"id": "also-not-a-uuid", "type": "unit.poisoned", "source": "nomination"}
    publish(suite, "nomination.events", poison)
    eventually(lambda: "also-not-a-uuid" in tool("list"), timeout=30)
    listed = [json.loads(line) for line in tool("list").splitlines()]
    mine = next(item for item in listed if item.get("id") == "also-not-a-uuid")
    assert mine["exchange"] == "nomination.events" and mine["routing_key"] == "unit.poisoned"
    assert "also-not-a-uuid" in tool("show", str(mine["n"]))
    # replayed, it fails again and comes back; dropped, it is gone
    tool("replay", str(mine["n"]))
    eventually(lambda: "also-not-a-uuid" in tool("list"), timeout=30)
    mine = next(json.loads(line) for line in tool("list").splitlines() if "also-not-a-uuid" in line)
    tool("drop", str(mine["n"]))
    assert "also-not-a-uuid" not in tool("list")


def test_an_rpc_to_a_stopped_service_is_503_within_the_deadline(suite):
    suite.kill("nomination", signal.SIGSTOP)
    try:
        started = time.monotonic()
        r = suite.api.get("/api/v1/posts/anything", as_="org")
        elapsed = time.monotonic() - started
    finally:
        suite.kill("nomination", signal.SIGCONT)
    assert r.status_code == 503 and r.json()["code"] == "unavailable"
    assert elapsed < float(suite.env["RPC_TIMEOUT_SECONDS"]) + 2
