"""Entry format (JCS leaf hash, prev_hash chain) and Ed25519 checkpoints of the records log."""

import base64
import hashlib
import json

import pytest
import rfc8785
from nacl.signing import SigningKey

from services.records.log.checkpoint import (
    CheckpointError,
    check_checkpoint,
    checkpoint_message,
    format_timestamp,
    generate_signing_key_b64,
    key_id_of,
    public_key_b64,
    public_key_document,
    sign_checkpoint,
    signing_key_from_b64,
    signing_key_to_b64,
    verify_checkpoint,
)
from services.records.log.entry import (
    CONTENT_FIELDS,
    ENTRY_FIELDS,
    GENESIS_PREV_HASH,
    EntryError,
    build_log,
    leaf_hash_of,
    make_entry,
)

FIELDS = {
    "subject": "selection:42",
    "stage": "deliberation",
    "occurred_at": "2026-03-01T08:00:00Z",
    "place": "第三会议室",
    "responsible": "org",
    "matter": "selection deliberated",
    "result": '{"nominees":["c1","c2"]}',
    "recorder": "records-service",
    "correlation_id": "req-1",
}
SEED_B64 = base64.b64encode(bytes(range(32))).decode()
ROOT = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
NOW = "2026-03-01T08:00:00Z"


# --- entries -----------------------------------------------------------------------------------


def test_entry_has_every_field_in_api_order_with_nulls_for_missing():
    entry = make_entry(0, GENESIS_PREV_HASH, {"subject": "selection:1"})
    assert list(entry) == list(ENTRY_FIELDS)
    assert entry["place"] is None and entry["result"] is None
    assert "place" in json.loads(json.dumps(entry))


def test_leaf_hash_is_sha256_of_zero_byte_and_jcs_without_leaf_hash():
    entry = make_entry(3, "ab" * 32, FIELDS)
    body = {k: v for k, v in entry.items() if k != "leaf_hash"}
    expected = hashlib.sha256(b"\x00" + rfc8785.dumps(body)).hexdigest()
    assert entry["leaf_hash"] == expected == leaf_hash_of(entry)
    # JCS: sorted keys, no whitespace, UTF-8 not escaped.
    assert rfc8785.dumps(body).startswith(b'{"correlation_id":"req-1","matter"')
    assert "第三会议室".encode() in rfc8785.dumps(body)


def test_leaf_hash_does_not_depend_on_key_order_but_on_every_value():
    entry = make_entry(1, "cd" * 32, FIELDS)
    shuffled = dict(reversed(list(entry.items())))
    assert leaf_hash_of(shuffled) == entry["leaf_hash"]
    for name in CONTENT_FIELDS + ("seq", "prev_hash"):
        changed = dict(entry, **{name: 2 if name == "seq" else ("x" if name != "prev_hash" else "ef" * 32)})
        assert leaf_hash_of(changed) != entry["leaf_hash"], name
    assert leaf_hash_of(dict(entry, place=None)) != entry["leaf_hash"]


def test_null_and_absent_hash_differently_so_absence_is_visible():
    entry = make_entry(0, GENESIS_PREV_HASH, {"subject": "s"})
    without_place = {k: v for k, v in entry.items() if k != "place"}
    assert leaf_hash_of(without_place) != entry["leaf_hash"]


def test_chain_links_each_entry_to_the_previous_leaf_hash():
    entries = build_log([dict(FIELDS, matter=f"m{i}") for i in range(4)])
    assert [e["seq"] for e in entries] == [0, 1, 2, 3]
    assert entries[0]["prev_hash"] == "0" * 64
    for before, after in zip(entries, entries[1:]):
        assert after["prev_hash"] == before["leaf_hash"]


@pytest.mark.parametrize(
    "seq,prev,fields",
    [
        (-1, GENESIS_PREV_HASH, {}),
        (True, GENESIS_PREV_HASH, {}),
        (0, "ab" * 32, {}),  # the first entry chains to zeros only
        (1, "AB" * 32, {}),  # uppercase hex is not the log's spelling
        (1, "ab" * 31, {}),
        (1, "ab" * 32, {"id_number": "x"}),  # unknown fields are refused, not dropped
        (1, "ab" * 32, {"place": 7}),
    ],
)
def test_make_entry_refuses_malformed_input(seq, prev, fields):
    with pytest.raises(EntryError):
        make_entry(seq, prev, fields)


# --- checkpoints -------------------------------------------------------------------------------


def test_key_round_trips_through_base64_seed_and_key_id_is_sha256_prefix():
    key = signing_key_from_b64(SEED_B64)
    assert signing_key_to_b64(key) == SEED_B64
    raw_public = bytes(key.verify_key)
    assert key_id_of(raw_public) == hashlib.sha256(raw_public).hexdigest()[:16]
    assert key_id_of(public_key_b64(key)) == key_id_of(raw_public)
    assert public_key_document(key) == {"key_id": key_id_of(raw_public), "public_key": public_key_b64(key)}
    fresh = generate_signing_key_b64()
    assert len(base64.b64decode(fresh)) == 32 and fresh != generate_signing_key_b64()
    with pytest.raises(CheckpointError):
        signing_key_from_b64(base64.b64encode(b"short").decode())


def test_signature_covers_exactly_the_documented_message():
    key = signing_key_from_b64(SEED_B64)
    checkpoint = sign_checkpoint(key, 8, ROOT, NOW)
    assert set(checkpoint) == {"size", "root", "timestamp", "key_id", "signature"}
    message = f"cadre-log-v1\n8\n{ROOT}\n{NOW}".encode()
    assert checkpoint_message(8, ROOT, NOW) == message
    # An independent Ed25519 check of the documented bytes, not of our helper.
    key.verify_key.verify(message, base64.b64decode(checkpoint["signature"]))
    assert verify_checkpoint(checkpoint, public_key_b64(key))
    assert sign_checkpoint(SEED_B64, 8, ROOT, NOW) == checkpoint  # Ed25519 is deterministic


@pytest.mark.parametrize(
    "change",
    [
        {"size": 9},
        {"root": "00" * 32},
        {"timestamp": "2026-03-01T08:00:01Z"},
        {"key_id": "0" * 16},
        {"signature": base64.b64encode(bytes(64)).decode()},
        {"signature": "***"},
        {"size": "8"},
        {"root": ROOT.upper()},
    ],
)
def test_any_altered_checkpoint_field_fails(change):
    key = signing_key_from_b64(SEED_B64)
    checkpoint = dict(sign_checkpoint(key, 8, ROOT, NOW), **change)
    assert not verify_checkpoint(checkpoint, public_key_b64(key))


def test_checkpoint_from_another_key_fails_even_with_its_own_key_id():
    key, other = signing_key_from_b64(SEED_B64), SigningKey.generate()
    forged = sign_checkpoint(other, 8, ROOT, NOW)
    assert not verify_checkpoint(forged, public_key_b64(key))
    forged["key_id"] = key_id_of(bytes(key.verify_key))
    with pytest.raises(CheckpointError, match="signature"):
        check_checkpoint(forged, public_key_b64(key))


def test_missing_field_and_bad_public_key_are_named():
    key = signing_key_from_b64(SEED_B64)
    checkpoint = sign_checkpoint(key, 8, ROOT, NOW)
    with pytest.raises(CheckpointError, match="lacks signature"):
        check_checkpoint({k: v for k, v in checkpoint.items() if k != "signature"}, public_key_b64(key))
    with pytest.raises(CheckpointError, match="public key"):
        check_checkpoint(checkpoint, "not base64!")


@pytest.mark.parametrize(
    "size,root,timestamp",
    [
        (-1, ROOT, NOW),
        (1, "xyz", NOW),
        (1, ROOT, "yesterday"),
        (1, ROOT, "2026-03-01T08:00:00+08:00"),
        (1, ROOT, "2026-03-01T08:00:00"),
        (1, ROOT, NOW + "\nextra"),
    ],
)
def test_signing_refuses_what_it_should_never_sign(size, root, timestamp):
    with pytest.raises(CheckpointError):
        sign_checkpoint(signing_key_from_b64(SEED_B64), size, root, timestamp)


def test_format_timestamp_is_utc_z():
    from datetime import datetime, timedelta, timezone

    moment = datetime(2026, 3, 1, 16, 0, tzinfo=timezone(timedelta(hours=8)))
    assert format_timestamp(moment) == "2026-03-01T08:00:00.000000Z"
    with pytest.raises(CheckpointError):
        format_timestamp(datetime(2026, 3, 1))


def test_format_timestamp_is_utc_whatever_the_machine_zone(monkeypatch):
    import time
    from datetime import datetime, timedelta, timezone

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        moment = datetime(2026, 3, 1, 16, 0, tzinfo=timezone(timedelta(hours=8)))
        assert format_timestamp(moment) == "2026-03-01T08:00:00.000000Z"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_key_and_time_errors_name_what_is_wrong():
    from datetime import datetime

    with pytest.raises(CheckpointError, match="^signing key seed must be 32 bytes, got 3$"):
        signing_key_from_b64(base64.b64encode(b"abc").decode())
    with pytest.raises(CheckpointError, match="^a checkpoint time must carry its offset$"):
        format_timestamp(datetime(2026, 3, 1))
