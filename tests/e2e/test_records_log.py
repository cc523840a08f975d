"""The records log through the gateway: events recorded without a call, manual entries, listing,
checkpoints, proofs, bad parameters, the single writer's order under concurrency, redeliveries and poison."""

import concurrent.futures
import json

import pika
import pytest
import requests

from services.records.log.checkpoint import verify_checkpoint
from services.records.log.entry import ENTRY_FIELDS, GENESIS_PREV_HASH, leaf_hash_of
from services.records.log.merkle import verify_consistency, verify_inclusion
from tests.e2e.records_helpers import all_entries, code, entries_about, envelope, publish
from tests.harness import eventually

MANUAL = {
    "subject": None,
    "stage": "deliberation",
    "place": "Room 3",
    "responsible": "Zhang Wei",
    "matter": "酝酿 informal consultation",
    "result": "two names taken forward",
}


def manual(api, subject, as_="org", **overrides):
    body = dict(MANUAL, subject=subject, **overrides)
    return api.post("/api/v1/records", body, as_=as_)


def test_an_event_becomes_one_entry_with_every_field(api):
    unit = code("U")
    r = api.post(
        "/api/v1/units", {"code": unit, "name": "Township"}, as_="org", headers={"X-Request-ID": f"req-{unit}"}
    )
    assert r.status_code == 201
    [entry] = entries_about(api, f"unit:{unit}", {"unit created"})
    assert list(entry) == list(ENTRY_FIELDS)
    assert entry["responsible"] == "org" and entry["recorder"] == "records-service"
    assert entry["correlation_id"] == f"req-{unit}"
    assert entry["occurred_at"].endswith("Z") and json.loads(entry["result"]) == {"code": unit, "name": "Township"}
    assert entry["place"] is None  # absent fields are null, not missing
    assert leaf_hash_of(entry) == entry["leaf_hash"]


def test_manual_entry_is_201_with_the_caller_as_recorder_and_lands_in_order(api):
    subject = f"selection:{code('S')}"
    r = manual(api, subject, as_="committee")
    assert r.status_code == 201, r.text
    entry = r.json()
    assert entry["recorder"] == "committee" and entry["subject"] == subject and entry["stage"] == "deliberation"
    assert entry["place"] == "Room 3" and entry["matter"] == MANUAL["matter"]
    assert leaf_hash_of(entry) == entry["leaf_hash"]
    listed = all_entries(api, subject=subject)
    assert listed == [entry]
    previous = all_entries(api)[entry["seq"] - 1] if entry["seq"] else None
    assert entry["prev_hash"] == (previous["leaf_hash"] if previous else GENESIS_PREV_HASH)


def test_manual_entry_without_optional_fields_has_them_null(api):
    r = api.post(
        "/api/v1/records", {"subject": f"selection:{code('S')}", "stage": "motion", "matter": "动议"}, as_="org"
    )
    assert r.status_code == 201
    entry = r.json()
    assert entry["place"] is None and entry["responsible"] is None and entry["result"] is None


@pytest.mark.parametrize(
    "body, field",
    [
        ({"stage": "deliberation", "matter": "m"}, "subject"),
        ({"subject": "selection:x", "stage": "gossip", "matter": "m"}, "stage"),
        ({"subject": "selection:x", "stage": "motion"}, "matter"),
        ({"subject": "selection:x", "stage": "motion", "matter": "m", "recorder": "someone else"}, "recorder"),
        ({"subject": "selection:x", "stage": "motion", "matter": "m", "place": 7}, "place"),
    ],
)
def test_bad_manual_entry_is_400_naming_the_field(api, body, field):
    r = api.post("/api/v1/records", body, as_="org")
    assert r.status_code == 400 and r.json()["code"] == "invalid"
    assert field in r.json()["errors"]


def test_roles(api):
    body = dict(MANUAL, subject="selection:x")
    assert api.post("/api/v1/records", body).status_code == 401
    assert api.post("/api/v1/records", body, as_="auditor").status_code == 403
    assert api.post("/api/v1/records", body, as_="superior").status_code == 403
    assert api.get("/api/v1/records").status_code == 401
    assert api.get("/api/v1/records", as_="discipline").status_code == 403
    for role in ("org", "committee", "superior", "auditor"):
        assert api.get("/api/v1/records", as_=role, params={"limit": 1}).status_code == 200
    for path in ("/api/v1/records/checkpoint", "/api/v1/records/public-key"):
        assert api.get(path).status_code == 200  # public


def test_listing_pages_with_limit_and_cursor_in_seq_order(api):
    subject = f"selection:{code('S')}"
    made = [manual(api, subject, matter=f"step {i}").json() for i in range(5)]
    r = api.get("/api/v1/records", as_="org", params={"subject": subject, "limit": 2})
    page = r.json()
    assert [e["seq"] for e in page["items"]] == [made[0]["seq"], made[1]["seq"]] and page["next_cursor"]
    assert all_entries(api, subject=subject, limit=2) == made
    assert api.get("/api/v1/records", as_="org", params={"limit": 501}).status_code == 400
    r = api.get("/api/v1/records", as_="org", params={"cursor": "not-a-cursor"})
    assert r.status_code == 400 and "cursor" in r.json()["errors"]


def test_listing_by_matter_keeps_only_that_matter_with_or_without_a_subject(api):
    subject = f"selection:{code('S')}"
    made = [manual(api, subject, matter=matter).json() for matter in ("step a", "step b", "step a")]
    r = api.get("/api/v1/records", as_="org", params={"subject": subject, "matter": "step a"})
    assert r.status_code == 200 and r.json()["items"] == [made[0], made[2]]
    everywhere = api.get("/api/v1/records", as_="org", params={"matter": "step b", "limit": 500}).json()["items"]
    assert made[1] in everywhere and all(e["matter"] == "step b" for e in everywhere)
    r = api.get("/api/v1/records", as_="org", params={"matter": "x" * 201})
    assert r.status_code == 400 and "matter" in r.json()["errors"]


def test_entries_about_a_selection_include_events_whose_data_names_it(api, suite):
    selection = code("S")
    publish(
        suite,
        [
            envelope(
                "review.opened", f"review:{code('R')}", {"selection": selection, "cadre": "C1"}, source="supervision"
            )
        ],
        source="supervision",
    )  # on its producer's own exchange
    [entry] = entries_about(api, f"selection:{selection}", {"review opened"})
    assert entry["subject"].startswith("review:") and entry["stage"] == "joint_review"


def test_checkpoint_is_signed_by_the_published_key_and_follows_the_log(api):
    manual(api, f"selection:{code('S')}")
    key = api.get("/api/v1/records/public-key").json()
    assert set(key) == {"key_id", "public_key", "vkey"}  # API.md: "also gives `vkey`"

    def fresh():
        checkpoint = api.get("/api/v1/records/checkpoint").json()
        assert checkpoint["size"] == len(all_entries(api))
        return checkpoint

    checkpoint = eventually(fresh, timeout=10)
    assert set(checkpoint) == {"size", "root", "timestamp", "key_id", "signature"}
    assert checkpoint["key_id"] == key["key_id"] and verify_checkpoint(checkpoint, key["public_key"])


def test_inclusion_and_consistency_proofs_verify(api):
    first = eventually(lambda: api.get("/api/v1/records/checkpoint").json(), timeout=10)
    entry = manual(api, f"selection:{code('S')}").json()
    second = eventually(
        lambda: (lambda c: c if c["size"] > entry["seq"] else None)(api.get("/api/v1/records/checkpoint").json()),
        timeout=10,
    )
    r = api.get(f"/api/v1/records/{entry['seq']}/proof", params={"size": second["size"]})
    assert r.status_code == 200, r.text
    proof = r.json()
    assert (
        proof["index"] == entry["seq"] and proof["size"] == second["size"] and proof["leaf_hash"] == entry["leaf_hash"]
    )
    assert verify_inclusion(entry["leaf_hash"], entry["seq"], second["size"], proof["path"], second["root"])
    # without ?size the proof is against the latest checkpoint
    latest = api.get("/api/v1/records/checkpoint").json()
    default = api.get(f"/api/v1/records/{entry['seq']}/proof").json()
    assert default["size"] >= latest["size"] and default["size"] >= second["size"]
    if first["size"] > 0:
        r = api.get("/api/v1/records/consistency", params={"from": first["size"], "to": second["size"]})
        assert r.status_code == 200
        body = r.json()
        assert body["from"] == first["size"] and body["to"] == second["size"]
        assert verify_consistency(first["size"], second["size"], first["root"], second["root"], body["path"])


def test_bad_proof_parameters_are_400_naming_them_or_404(api):
    size = len(all_entries(api))
    r = api.get("/api/v1/records/0/proof", params={"size": size + 1000})
    assert r.status_code == 400 and "size" in r.json()["errors"]
    r = api.get("/api/v1/records/0/proof", params={"size": "many"})
    assert r.status_code == 400 and "size" in r.json()["errors"]
    r = api.get(f"/api/v1/records/{size + 1000}/proof", params={"size": 1})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    if size > 2:
        r = api.get("/api/v1/records/2/proof", params={"size": 1})
        assert r.status_code == 400 and "seq" in r.json()["errors"]
    r = api.get("/api/v1/records/consistency", params={"from": 3, "to": 2})
    assert r.status_code == 400 and "from" in r.json()["errors"]
    r = api.get("/api/v1/records/consistency", params={"from": 1, "to": size + 1000})
    assert r.status_code == 400 and "to" in r.json()["errors"]
    r = api.get("/api/v1/records/consistency", params={"from": -1, "to": 1})
    assert r.status_code == 400 and "from" in r.json()["errors"]
    r = api.get("/api/v1/records/consistency", params={"to": 1})
    assert r.status_code == 400 and "from" in r.json()["errors"]


def _check_chain(entries):
    previous = GENESIS_PREV_HASH
    for position, entry in enumerate(entries):
        assert entry["seq"] == position
        assert entry["prev_hash"] == previous and leaf_hash_of(entry) == entry["leaf_hash"]
        previous = entry["leaf_hash"]


def test_concurrent_manual_entries_and_firehose_traffic_keep_one_gap_free_chain(api, suite):
    subject = f"selection:{code('S')}"
    events = [
        envelope(
            "selection.stage_changed",
            subject,
            {"selection": subject[10:], "stage": "consultation", "previous": "qualification"},
        )
        for _ in range(200)
    ]

    def post(i):
        return manual(api, subject, matter=f"concurrent {i}")

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        flood = pool.submit(publish, suite, events)
        answers = list(pool.map(post, range(24)))
        flood.result()
    assert all(r.status_code == 201 for r in answers), [r.text for r in answers if r.status_code != 201]
    entries = entries_about(api, subject, {"selection stage changed"})
    eventually(lambda: len(all_entries(api, subject=subject)) == 224, timeout=30)
    everything = all_entries(api)
    _check_chain(everything)
    seqs = sorted(r.json()["seq"] for r in answers)
    assert len(set(seqs)) == 24
    assert all(everything[r.json()["seq"]] == r.json() for r in answers)
    assert entries


def test_a_redelivered_event_makes_no_second_entry(api, suite):
    subject = f"unit:{code('U')}"
    once = envelope("unit.created", subject, {"code": subject[5:]})
    publish(suite, [once, once])
    entries_about(api, subject, {"unit created"})
    publish(suite, [once])  # again, after it was written
    marker = envelope("unit.created", subject, {"code": "marker"})
    publish(suite, [marker])
    eventually(lambda: len(all_entries(api, subject=subject)) == 2, timeout=20)
    assert [json.loads(e["result"])["code"] for e in all_entries(api, subject=subject)] == [subject[5:], "marker"]


def test_poison_messages_are_dead_lettered_and_the_log_goes_on(api, suite):
    publish(suite, [b"{not json", json.dumps({"type": "no.envelope"}).encode()], raw=True)
    subject = f"unit:{code('U')}"
    publish(suite, [envelope("unit.created", subject, {"code": subject[5:]})])
    entries_about(api, subject, {"unit created"})
    connection = pika.BlockingConnection(pika.URLParameters(suite.env["AMQP_URI"]))
    try:
        depth = (
            connection.channel().queue_declare("cadre.dead-letters", durable=True, passive=True).method.message_count
        )
    finally:
        connection.close()
    assert depth >= 2


def test_records_metrics_are_exported(suite):
    port = suite.ports["RECORDS_METRICS_PORT"]
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    assert "cadre_records_appended_total" in text and "cadre_records_log_size" in text
