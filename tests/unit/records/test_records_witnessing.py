"""The tlog-witness add-checkpoint rules (every status the spec names) and the witness's state file."""

import base64
import threading

import pytest
from nacl.signing import SigningKey

from services.records.log import note, witnessing
from services.records.log.merkle import MerkleTree, leaf_hash
from services.records.witness import StateFile, Witness

ORIGIN = "cadre-selection.example/records"
LOG_KEY = SigningKey(b"\x11" * 32)
WITNESS_KEY = SigningKey(b"\x22" * 32)
NAME = "cadre-selection.example/witness/test"
TREE = MerkleTree(leaf_hash(b"%d" % i) for i in range(40))


def body(old, size, key=LOG_KEY, origin=ORIGIN, proof=None, root=None):
    signed = note.signed_checkpoint(origin, size, root or TREE.root(size), key)
    return witnessing.encode_request(
        old, TREE.consistency_proof(old, size) if proof is None and old else proof or [], signed
    )


def decide(request, state):
    return witnessing.decide(
        request, {ORIGIN: [note.parse_vkey(note.log_vkey(ORIGIN, LOG_KEY))]}, state, NAME, WITNESS_KEY, 1700000000
    )


def test_first_checkpoint_is_cosigned_from_old_zero():
    decision = decide(body(0, 10), {})
    assert decision.status == 200 and decision.new_state == (ORIGIN, 10, TREE.root(10))
    text = note.checkpoint_text(ORIGIN, 10, TREE.root(10))
    _, signatures = note.parse_note(text + "\n" + decision.body.decode())
    assert (
        note.verify_cosignature(text, signatures, note.parse_vkey(note.witness_vkey(NAME, WITNESS_KEY))) == 1700000000
    )


def test_growth_with_a_valid_proof_is_cosigned():
    assert decide(body(10, 25), {ORIGIN: (10, TREE.root(10))}).status == 200


def test_same_size_same_root_is_cosigned_again_and_other_root_is_409():
    state = {ORIGIN: (10, TREE.root(10))}
    assert decide(body(10, 10), state).status == 200
    assert decide(body(10, 10, root=b"\x01" * 32), state).status == 409


def test_unknown_origin_is_404():
    assert decide(body(0, 3, origin="elsewhere.example/log"), {}).status == 404


def test_a_checkpoint_not_signed_by_the_log_is_403():
    assert decide(body(0, 3, key=SigningKey(b"\x33" * 32)), {}).status == 403


def test_old_size_beyond_the_checkpoint_is_400():
    assert decide(body(5, 3, proof=[]), {}).status == 400


def test_old_size_other_than_the_cosigned_one_is_409_with_that_size():
    decision = decide(body(5, 20), {ORIGIN: (10, TREE.root(10))})
    assert decision.status == 409 and decision.content_type == "text/x.tlog.size" and decision.body == b"10\n"
    assert decision.new_state is None


def test_a_proof_that_does_not_verify_is_422():
    forked = MerkleTree(leaf_hash(b"fork %d" % i) for i in range(25))
    signed = note.signed_checkpoint(ORIGIN, 25, forked.root(), LOG_KEY)
    request = witnessing.encode_request(10, forked.consistency_proof(10), signed)
    decision = decide(request, {ORIGIN: (10, TREE.root(10))})
    assert decision.status == 422 and decision.new_state is None
    assert decide(body(0, 5, proof=[b"\x00" * 32]), {}).status == 422  # old 0 takes no proof


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"old 1",
        b"old 01\n\n",
        b"older 1\n\n",
        b"old 1\n!!\n\nx\n",
        b"old 0\n" + base64.b64encode(b"short") + b"\n\n",
        b"old 0\n\nnot a note\n",
        b"old 0\n" + b"".join([base64.b64encode(b"\x00" * 32) + b"\n"] * 64) + b"\n",
    ],
)
def test_malformed_bodies_are_400(raw):
    assert decide(raw, {}).status == 400


def test_state_file_survives_a_new_process_and_serialises_concurrent_requests(tmp_path):
    witness = Witness(NAME, WITNESS_KEY, [note.log_vkey(ORIGIN, LOG_KEY)], tmp_path)
    assert witness.add_checkpoint(body(0, 10)).status == 200
    again = Witness(NAME, WITNESS_KEY, [note.log_vkey(ORIGIN, LOG_KEY)], tmp_path)  # as after a restart
    assert again.add_checkpoint(body(0, 12)).body == b"10\n"
    # Many racing submissions from 10: exactly one wins, the rest see its size (never a rollback).
    results = []
    threads = [
        threading.Thread(target=lambda s=s: results.append((s, again.add_checkpoint(body(10, s)).status)))
        for s in range(11, 31)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [size for size, status in results if status == 200]
    assert len(winners) == 1 and StateFile(tmp_path).read()[ORIGIN][0] == winners[0]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".state-")]  # no temporary left behind


def test_witnesses_setting_parses_and_refuses_typos():
    vkey = note.witness_vkey(NAME, WITNESS_KEY)
    [parsed] = witnessing.parse_witnesses(f" {vkey}@http://127.0.0.1:8010/ ")
    assert (parsed.name, parsed.vkey, parsed.url) == (NAME, vkey, "http://127.0.0.1:8010")
    assert witnessing.parse_witnesses("") == []
    for bad in (
        vkey,
        f"{vkey}@ftp://x",
        f"{note.log_vkey(NAME, WITNESS_KEY)}@http://x",
        f"{vkey}@http://a,{vkey}@http://b",
    ):
        with pytest.raises(ValueError):
            witnessing.parse_witnesses(bad)


# --- the branches a mutation run showed no test could tell apart (docs/TESTING.md)


def _tamper_signature(raw):
    """The same request with the log's signature changed in its last byte: same name, same key ID."""
    head, _, signature_line = raw.rstrip(b"\n").rpartition(b"\n")
    prefix, _, blob = signature_line.rpartition(b" ")
    signature = bytearray(base64.b64decode(blob))
    signature[-1] ^= 0x01
    return head + b"\n" + prefix + b" " + base64.b64encode(bytes(signature)) + b"\n"


def test_a_known_key_whose_signature_fails_is_403_and_says_so():
    decision = decide(_tamper_signature(body(0, 3)), {})
    assert decision.status == 403 and decision.new_state is None
    assert b"does not verify" in decision.body


def test_a_log_with_several_keys_is_cosigned_by_the_one_that_signed():
    other = note.parse_vkey(note.log_vkey(ORIGIN, SigningKey(b"\x44" * 32)))
    mine = note.parse_vkey(note.log_vkey(ORIGIN, LOG_KEY))
    decision = witnessing.decide(body(0, 3), {ORIGIN: [other, mine]}, {}, NAME, WITNESS_KEY, 1700000000)
    assert decision.status == 200 and decision.new_state == (ORIGIN, 3, TREE.root(3))


def test_refusals_say_why_in_text():
    decision = decide(body(0, 3, key=SigningKey(b"\x33" * 32)), {})
    assert decision.body == b"the checkpoint is not signed by a key this witness trusts for its origin\n"
    assert decision.content_type == "text/plain; charset=utf-8"
    assert decide(b"old 1", {}).body == b"no blank line between the proof and the checkpoint\n"


HASH_LINE = base64.b64encode(b"\x07" * 32)


@pytest.mark.parametrize(
    "raw,message",
    [
        (b"old 1\n\xff\n\nx\n", "the old size and proof lines are ASCII"),
        (b"old 01\n\nx\n", "the first line is 'old <size>' with no leading zeroes"),
        (b"old 0\n" + HASH_LINE[:4] + b"!" + HASH_LINE[4:] + b"\n\nx\n", "a proof line is one base64 hash"),
        (b"old 0\n" + base64.b64encode(b"short") + b"\n\nx\n", "a proof line is one 32-byte hash"),
        (b"old 0\n" + (HASH_LINE + b"\n") * 64 + b"\nx\n", "more than 63 proof lines"),
    ],
)
def test_a_malformed_body_is_named(raw, message):
    with pytest.raises(witnessing.BadRequest) as exc:
        witnessing.parse_request(raw)
    assert str(exc.value) == message


def test_the_limits_are_inclusive():
    head = b"old 0\n" + (HASH_LINE + b"\n") * 63 + b"\n"
    assert len(witnessing.parse_request(head + b"x").proof) == 63
    exactly = head + b"x" * (witnessing.MAX_BODY_BYTES - len(head))
    assert witnessing.parse_request(exactly).note_bytes.startswith(b"x")
    with pytest.raises(witnessing.BadRequest, match="too large"):
        witnessing.parse_request(exactly + b"x")


def test_equal_sizes_with_a_proof_is_422_and_a_cosignature_is_text():
    state = {ORIGIN: (10, TREE.root(10))}
    decision = decide(body(10, 10, proof=[b"\x00" * 32]), state)
    assert (decision.status, decision.body) == (422, b"equal sizes take an empty consistency proof\n")
    assert decision.new_state is None
    cosigned = decide(body(10, 10), state)
    assert cosigned.status == 200 and cosigned.content_type == "text/plain; charset=utf-8"
    assert cosigned.body.startswith(b"\xe2\x80\x94 " + NAME.encode())  # "— <witness name> <signature>"


@pytest.mark.parametrize(
    "request_body,state,expected",
    [
        (lambda: body(5, 3, proof=[]), {}, b"the old size is beyond the checkpoint's size\n"),
        (
            lambda: body(10, 10, root=b"\x01" * 32),
            {ORIGIN: (10, TREE.root(10))},
            b"same size as the checkpoint cosigned last, different root\n",
        ),
        (lambda: body(0, 5, proof=[b"\x00" * 32]), {}, b"the proof from size 0 must be empty\n"),
        (lambda: _tamper_signature(body(0, 3)), {}, b"the checkpoint's signature by the log does not verify\n"),
    ],
)
def test_each_refusal_says_which_rule(request_body, state, expected):
    assert decide(request_body(), state).body == expected


def test_a_bytes_note_is_sent_as_is():
    signed = note.signed_checkpoint(ORIGIN, 3, TREE.root(3), LOG_KEY)
    as_bytes = signed.encode("utf-8") if isinstance(signed, str) else signed
    as_text = as_bytes.decode("utf-8")
    assert witnessing.encode_request(0, [], as_bytes) == witnessing.encode_request(0, [], as_text)
    assert witnessing.encode_request(0, [], as_bytes) == b"old 0\n\n" + as_bytes


def test_the_witnesses_setting_skips_empty_items_and_names_each_fault():
    vkey = note.witness_vkey(NAME, WITNESS_KEY)
    other = note.witness_vkey("cadre-selection.example/witness/other", SigningKey(b"\x55" * 32))
    parsed = witnessing.parse_witnesses(f"{vkey}@http://a/X//, ,{other}@https://b")
    assert [(w.name, w.url) for w in parsed] == [
        (NAME, "http://a/X"),
        ("cadre-selection.example/witness/other", "https://b"),
    ]
    assert parsed[0].verifier == note.parse_vkey(vkey)
    for bad, message in [
        (f"{vkey}@ftp://x", f"RECORDS_WITNESSES: '{vkey}@ftp://x' is not <vkey>@<http(s) URL>"),
        (
            f"{note.log_vkey(NAME, WITNESS_KEY)}@http://x",
            f"RECORDS_WITNESSES: '{note.log_vkey(NAME, WITNESS_KEY)}@http://x' is not a cosignature/v1 (type 0x04) key",
        ),
        (f"{vkey}@http://a,{vkey}@http://b", f"RECORDS_WITNESSES: two witnesses named {NAME!r}"),
    ]:
        with pytest.raises(ValueError) as exc:
            witnessing.parse_witnesses(bad)
        assert str(exc.value) == message
    broken = vkey[:-4] + ("AAAA" if not vkey.endswith("AAAA") else "BBBB")
    with pytest.raises(ValueError, match=r"^RECORDS_WITNESSES: '.*': "):
        witnessing.parse_witnesses(f"{broken}@http://x")
