"""The verifier's public checks (no token) against a local server of a synthetic log in the C2SP formats:
note signature, witness cosignatures, tiles, memory of the last checkpoint, --follow on a split view, --dossier."""

import json
import os
import subprocess
import sys
import time

import pytest
from nacl.signing import SigningKey
from records_synthetic_log import LogServer, checkpoint_of, make_log, rehash

from services.records.log import note
from services.records.log.checkpoint import public_key_b64
from services.records.log.merkle import MerkleTree
from services.records.verify import main

KEY = SigningKey(bytes(range(32)))
WITNESS = SigningKey(b"\x42" * 32)
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


@pytest.fixture
def state(tmp_path):
    return str(tmp_path / "state.json")


@pytest.fixture
def server():
    with LogServer(make_log(300), KEY, witness_keys=[WITNESS]) as running:
        yield running


def verify(server, state, capsys, *extra):
    code = main(["--url", server.url, "--state", state, "--token", "", *extra])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    return code, lines[0]


def test_honest_log_passes_with_its_witness_and_is_remembered(server, state, capsys):
    code, line = verify(server, state, capsys)
    assert code == 0 and "checkpoint 300" in line and "1 witness cosignature(s) of 1 required" in line, line
    remembered = json.load(open(state))
    assert {"size": 300, "root": server.checkpoint["root"]} in remembered.values()


def test_more_witnesses_than_cosigned_fail(server, state, capsys):
    code, line = verify(server, state, capsys, "--witnesses", "2")
    assert code == 1 and "witnesses" in line
    server.witness_keys = {}
    code, line = verify(server, state, capsys, "--witness", note.witness_vkey("witness.example/w0", WITNESS))
    assert code == 1 and "0 of the 1 witnesses" in line


def test_a_cosignature_from_a_key_other_than_the_listed_one_fails(server, state, capsys):
    impostor = SigningKey.generate()
    code, line = verify(server, state, capsys, "--witness", note.witness_vkey("witness.example/w0", impostor))
    assert code == 1 and "cosignature" in line  # same name and key ID? no: the ID differs, so it is absent


def test_a_note_signed_by_another_key_fails(server, state, capsys):
    server.signing_key = SigningKey.generate()
    code, line = verify(server, state, capsys)
    assert code == 1 and line.startswith("FAIL: checkpoint note")


def test_tiles_that_do_not_hash_to_the_signed_root_fail_naming_the_range(server, state, capsys):
    honest = server.checkpoint
    tampered = list(server.entries)
    tampered[7] = dict(tampered[7], leaf_hash="ab" * 32)
    server.publish(tampered, honest)
    # the upper tile is recomputed by the forger too: only the root catches it
    code, line = verify(server, state, capsys)
    assert code == 1 and "root recomputed from the hash tiles" in line
    # a level-1 tile left as it was (as the gateway's in-memory one is) points at the first 256 entries
    server.tree._levels[8] = bytearray(MerkleTree(bytes.fromhex(e["leaf_hash"]) for e in make_log(300))._levels[8])
    code, line = verify(server, state, capsys)
    assert code == 1 and "first bad seq 0" in line and "entries 0–255" in line


def test_a_forked_history_after_a_first_run_fails_as_a_split_view(server, state, capsys):
    assert verify(server, state, capsys)[0] == 0
    forked = rehash(make_log(300)[:100] + make_log(320, tag="forked")[100:])
    server.publish(forked)  # validly signed and cosigned: only memory of the first run tells
    code, line = verify(server, state, capsys)
    assert code == 1 and "split view" in line
    assert verify(server, state + ".fresh", capsys)[0] == 0


def test_the_log_changing_its_note_key_after_a_first_run_fails(server, state, capsys):
    assert verify(server, state, capsys)[0] == 0
    other = SigningKey.generate()
    server.signing_key = other
    server.public_key = dict(server.public_key, vkey=note.log_vkey("cadre-selection.example/records", other))
    code, line = verify(server, state, capsys)
    assert code == 1 and "vkey" in line


def test_follow_exits_non_zero_on_the_first_split_view(server, state):
    env = dict(os.environ)
    env.pop("CADRE_TOKEN", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "services.records.verify", "--url", server.url, "--state", state, "--follow", "0.2"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline()
        assert first.startswith("OK"), first
        server.publish(make_log(310))  # honest growth: still OK
        deadline = time.monotonic() + 20
        while "checkpoint 310" not in process.stdout.readline():
            assert time.monotonic() < deadline
        server.publish(rehash(make_log(310)[:50] + make_log(330, tag="forked")[50:]))
        process.wait(timeout=20)
        rest = process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 1 and "split view" in rest, rest


def test_dossier_offline(tmp_path, capsys):
    entries = make_log(30)
    checkpoint = checkpoint_of(entries, KEY)
    tree = MerkleTree(bytes.fromhex(e["leaf_hash"]) for e in entries)
    chosen = [e for e in entries if e["subject"] == "selection:1"]
    dossier = {
        "selection": "1",
        "checkpoint": checkpoint,
        "entries": [
            dict(
                e,
                proof={
                    "index": e["seq"],
                    "size": 30,
                    "leaf_hash": e["leaf_hash"],
                    "path": [n.hex() for n in tree.inclusion_proof(e["seq"], 30)],
                },
            )
            for e in chosen
        ],
    }
    path = tmp_path / "dossier.json"
    path.write_text(json.dumps(dossier, ensure_ascii=False))
    state = str(tmp_path / "none.json")
    args = ["--dossier", str(path), "--public-key", public_key_b64(KEY), "--state", state]
    assert main(args) == 0 and capsys.readouterr().out.startswith("OK")
    raw = path.read_bytes()
    at = raw.index(b"step 7 ")
    path.write_bytes(raw[:at] + b"S" + raw[at + 1 :])
    assert main(args) == 1 and "first bad seq 7" in capsys.readouterr().out
    path.write_bytes(raw)
    assert main(["--dossier", str(path), "--public-key", public_key_b64(SigningKey.generate()), "--state", state]) == 1
    assert "dossier checkpoint" in capsys.readouterr().out
    assert main(["--dossier", str(path), "--state", state]) == 2  # no key to trust: an error, not a verdict
    capsys.readouterr()
