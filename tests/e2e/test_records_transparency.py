"""The records log in the C2SP formats against the suite as `make run` starts it: the signed-note checkpoint
and its witness cosignature, the hash tiles, the witness's refusals and durable state, and the anonymous
verifier against the live log and against a leaf hash changed behind the service's back."""

import base64
import hashlib
import re
import json
import os
import shutil
import struct
import subprocess
import sys
import time

import pymongo
import pytest
import requests
from nacl.signing import SigningKey, VerifyKey

from services.records.log import note, tiles, witnessing
from services.records.log.merkle import MerkleTree
from tests.e2e.records_helpers import all_entries, code, envelope, publish
from tests.harness import REPO, eventually

ORIGIN = "cadre-selection.example/records"


def fill(suite, api, count):
    """At least ``count`` entries in the log, published on the bus as producer services would."""
    have = len(all_entries(api))
    if have < count:
        subject = f"unit:{code('T')}"
        publish(suite, [envelope("unit.created", subject, {"code": f"{subject}-{i}"}) for i in range(count - have)])
    return eventually(lambda: len(all_entries(api)) >= count and all_entries(api), timeout=60, interval=0.5)


def witnesses(api):
    r = api.get("/api/v1/records/witnesses")
    assert r.status_code == 200, r.text
    return r.json()["witnesses"]


def log_vkey(api):
    return api.get("/api/v1/records/public-key").json()["vkey"]


def cosigned_note(api, min_size=1):
    """The served note once it covers ``min_size`` entries and carries every listed witness's cosignature."""
    names = {w["name"] for w in witnesses(api)}

    def check():
        r = api.get("/log/checkpoint")
        assert r.status_code == 200, r.text
        text, signatures = note.parse_note(r.content)
        assert note.parse_checkpoint(text).size >= min_size
        assert names <= {s.name for s in signatures}
        return r

    return eventually(check, timeout=30, interval=0.3)


def test_public_key_gives_the_note_vkey_with_the_spec_key_id(api):
    doc = api.get("/api/v1/records/public-key").json()
    public = base64.b64decode(doc["public_key"])
    expected_id = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + public).digest()[:4]
    key64 = base64.b64encode(b"\x01" + public).decode()
    assert doc["vkey"] == f"{ORIGIN}+{expected_id.hex()}+{key64}"
    assert set(doc) >= {"key_id", "public_key", "vkey"}


def test_witnesses_are_listed_publicly_with_type_4_keys(api, suite):
    [witness] = witnesses(api)
    assert witness["name"] == "cadre-selection.example/witness/discipline-inspection"
    assert witness["url"] == f"http://127.0.0.1:{suite.ports['WITNESS_PORT']}"
    assert note.parse_vkey(witness["vkey"]).type == 0x04


def test_checkpoint_note_is_signed_by_the_log_and_cosigned_by_the_witness(api, suite):
    fill(suite, api, 3)
    r = cosigned_note(api, 3)
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "max-age" in r.headers["Cache-Control"] and "immutable" not in r.headers["Cache-Control"]
    body = r.content.decode("utf-8")
    text, rest = body.split("\n\n", 1)
    text += "\n"
    origin, size, root64 = text.splitlines()
    assert origin == ORIGIN and int(size) >= 3 and len(base64.b64decode(root64)) == 32

    # The log's line: — <origin> base64(key ID ‖ Ed25519 over the text), checked with PyNaCl directly.
    lines = rest.splitlines()
    log_line = next(line for line in lines if line.split(" ")[1] == ORIGIN)
    raw = base64.b64decode(log_line.split(" ")[2])
    vkey = note.parse_vkey(log_vkey(api))
    assert raw[:4] == vkey.key_id
    VerifyKey(vkey.public_key).verify(text.encode(), raw[4:])

    # The witness's line: key ID (type 0x04) ‖ u64 time ‖ Ed25519 over "cosignature/v1\ntime <t>\n" ‖ text.
    [witness] = witnesses(api)
    wkey = note.parse_vkey(witness["vkey"])
    witness_line = next(line for line in lines if line.split(" ")[1] == witness["name"])
    raw = base64.b64decode(witness_line.split(" ")[2])
    assert raw[:4] == hashlib.sha256(witness["name"].encode() + b"\n\x04" + wkey.public_key).digest()[:4]
    (stamp,) = struct.unpack(">Q", raw[4:12])
    assert abs(stamp - time.time()) < 600
    VerifyKey(wkey.public_key).verify(f"cosignature/v1\ntime {stamp}\n".encode() + text.encode(), raw[12:])

    # And the JSON checkpoint of that size has the same root.
    json_checkpoint = api.get("/api/v1/records/checkpoint").json()
    assert json_checkpoint["size"] >= int(size)


def fetch_tile(api, level, n, width):
    r = api.get("/log/" + tiles.tile_path(level, n, width))
    assert r.status_code == 200, (tiles.tile_path(level, n, width), r.text)
    assert r.headers["Content-Type"] == "application/octet-stream"
    return r


def test_root_from_the_tiles_is_the_checkpoint_root_and_tiles_are_the_listed_leaf_hashes(api, suite):
    entries = fill(suite, api, 300)
    r = cosigned_note(api, 300)
    checkpoint = note.parse_checkpoint(note.parse_note(r.content)[0])
    leaves = []
    for n, width in tiles.level0_tiles(checkpoint.size):
        response = fetch_tile(api, 0, n, width)
        expected_cache = "immutable" if width == 256 else "max-age=5"
        assert expected_cache in response.headers["Cache-Control"]
        leaves += tiles.split_hashes(response.content, width)
    tree = MerkleTree(leaves)
    assert tree.root() == checkpoint.root
    assert [h.hex() for h in leaves] == [e["leaf_hash"] for e in entries[: checkpoint.size]]
    for level, n, width in tiles.upper_tiles(checkpoint.size):
        upper = tiles.split_hashes(fetch_tile(api, level, n, width).content, width)
        span = 256**level  # each hash is the root of one full tile of the level below
        assert upper == [
            MerkleTree(leaves[(n * 256 + i) * span : (n * 256 + i + 1) * span]).root() for i in range(width)
        ]


@pytest.mark.parametrize(
    "path, status",
    [
        ("/log/tile/0/001.p/0", 400),
        ("/log/tile/00/000", 400),
        ("/log/tile/0/1", 400),
        ("/log/tile/0/x000/001", 400),
        ("/log/tile/0/000.p/256", 400),
        ("/log/tile/64/000", 400),
        ("/log/tile/0/x999/999", 404),
        ("/log/tile/5/000", 404),
        ("/log/tile/entries/000", 400),
        ("/log/nothing", 404),
    ],
)
def test_bad_or_absent_tiles_are_problems(api, path, status):
    r = api.get(path)
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")


# -- the witness, attacked directly --------------------------------------------------------------


def witness_url(suite):
    return f"http://127.0.0.1:{suite.ports['WITNESS_PORT']}"


def log_key(suite):
    """The log operator's own signing key (the attacks below are the operator's: a forked history)."""
    return SigningKey(base64.b64decode((suite.data_dir / "keys" / "records.key").read_text().strip()))


def witness_size(suite):
    """The size the witness has cosigned last, as its 409 says."""
    body = witnessing.encode_request(
        0, [], note.signed_checkpoint(ORIGIN, 0, hashlib.sha256(b"").digest(), log_key(suite))
    )
    r = requests.post(witness_url(suite) + "/add-checkpoint", data=body, timeout=10)
    if r.status_code == 200:
        return 0
    assert r.status_code == 409 and r.headers["Content-Type"] == "text/x.tlog.size", r.text
    return int(r.text)


def test_witness_refuses_a_checkpoint_the_log_did_not_sign(suite, api):
    cosigned_note(api, 1)
    forger = SigningKey.generate()
    signed = note.signed_checkpoint(ORIGIN, 10**6, b"\x05" * 32, forger)
    r = requests.post(witness_url(suite) + "/add-checkpoint", data=witnessing.encode_request(0, [], signed), timeout=10)
    assert r.status_code == 403, r.text
    # A known key's name and ID on a signature that does not verify: refused too.
    real = note.signed_checkpoint(ORIGIN, 10**6, b"\x05" * 32, log_key(suite))
    tampered = real.replace(f"\n{10**6}\n", f"\n{10**6 + 1}\n", 1)
    r = requests.post(
        witness_url(suite) + "/add-checkpoint", data=witnessing.encode_request(0, [], tampered), timeout=10
    )
    assert r.status_code == 403, r.text


def test_witness_unknown_origin_is_404_and_garbage_is_400(suite):
    signed = note.signed_checkpoint("elsewhere.example/log", 1, b"\x05" * 32, SigningKey.generate())
    r = requests.post(witness_url(suite) + "/add-checkpoint", data=witnessing.encode_request(0, [], signed), timeout=10)
    assert r.status_code == 404
    for body in (b"", b"old 01\n\nx\n", b"new 1\n\n", b"old 1\nnot-base64!\n\n" + signed.encode()):
        r = requests.post(witness_url(suite) + "/add-checkpoint", data=body, timeout=10)
        assert r.status_code == 400, body
    real = note.signed_checkpoint(ORIGIN, 1, b"\x05" * 32, log_key(suite))
    r = requests.post(witness_url(suite) + "/add-checkpoint", data=witnessing.encode_request(2, [], real), timeout=10)
    assert r.status_code == 400  # old size beyond the checkpoint's


def test_witness_answers_409_with_its_size_to_an_old_size_it_never_cosigned(suite, api):
    cosigned_note(api, 3)
    size = witness_size(suite)
    assert size >= 3
    key = log_key(suite)
    entries = all_entries(api)
    tree = MerkleTree(bytes.fromhex(e["leaf_hash"]) for e in entries)
    signed = note.signed_checkpoint(ORIGIN, tree.size, tree.root(), key)
    r = requests.post(
        witness_url(suite) + "/add-checkpoint",
        data=witnessing.encode_request(1, tree.consistency_proof(1), signed),
        timeout=10,
    )
    assert r.status_code == 409
    assert r.headers["Content-Type"] == "text/x.tlog.size"
    assert int(r.text) >= size and r.text.endswith("\n")


def test_witness_refuses_an_inconsistent_proof_with_422(suite, api):
    fill(suite, api, 5)
    cosigned_note(api, 5)
    key = log_key(suite)
    old = witness_size(suite)
    # The operator forks: a history whose first `old` leaves are not the ones the witness cosigned.
    forked = MerkleTree([hashlib.sha256(b"forged %d" % i).digest() for i in range(old + 3)])
    signed = note.signed_checkpoint(ORIGIN, forked.size, forked.root(), key)
    r = requests.post(
        witness_url(suite) + "/add-checkpoint",
        data=witnessing.encode_request(old, forked.consistency_proof(old), signed),
        timeout=10,
    )
    assert r.status_code == 422, r.text
    assert witness_size(suite) == old  # nothing cosigned, nothing stored


def test_witness_keeps_its_state_across_kill_9(suite, api):
    fill(suite, api, 4)
    cosigned_note(api, 4)
    before = witness_size(suite)
    assert before >= 4
    old_pid = suite.pid("witness")
    suite.kill("witness")
    eventually(lambda: suite.pid("witness") != old_pid, timeout=30)

    def answers():
        try:
            return witness_size(suite)
        except requests.RequestException:
            return None

    after = eventually(answers, timeout=30)
    assert after >= before  # a witness that forgot would answer 200 to old 0 (size 0)
    # and the log goes on being cosigned after the restart
    fill(suite, api, len(all_entries(api)) + 1)
    cosigned_note(api, after + 1)


# -- the anonymous verifier ----------------------------------------------------------------------


def verify(suite, *args, token=None, state=None):
    env = dict(suite.env)
    env.pop("CADRE_TOKEN", None)
    if token:
        env["CADRE_TOKEN"] = token
    state = state or str(suite.data_dir / f"verify-{time.monotonic_ns()}.json")
    return subprocess.run(
        [sys.executable, "-m", "services.records.verify", "--url", suite.base, "--state", state, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_anonymous_verifier_passes_on_the_live_log_and_fails_on_a_leaf_hash_changed_in_the_database(suite, api):
    entries = fill(suite, api, 20)
    cosigned_note(api, 20)
    state = str(suite.data_dir / "verify-anon.json")
    ok = verify(suite, state=state)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "1 witness cosignature(s) of 1 required" in ok.stdout, ok.stdout  # the suite's one witness, by default
    ok = verify(suite, "--witnesses", "1", token=api.tokens["auditor"], state=state)
    assert ok.returncode == 0, ok.stdout + ok.stderr

    # The database operator rewrites one stored leaf hash behind the service's back.
    victim = entries[7]
    client = pymongo.MongoClient(f"mongodb://127.0.0.1:{suite.ports['MONGODB_PORT']}/")
    try:
        coll = client["records"]["entries"]
        forged = hashlib.sha256(b"rewritten").hexdigest()
        assert coll.update_one({"seq": victim["seq"]}, {"$set": {"leaf_hash": forged}}).modified_count == 1
        anonymous = verify(suite, state=state)
        assert anonymous.returncode != 0, anonymous.stdout
        # Without the listing it can only say where the tiles it was served stop hashing to the signed tree: in a
        # log short of one full level-0 tile, at the root; in a larger one, at the level-1 hash over the victim's 256 entries.
        size = api.get("/api/v1/records/checkpoint").json()["size"]
        if size < 256:
            expected = rf"FAIL: tiles: the root recomputed from the hash tiles is not checkpoint {size}'s"
        else:
            first = victim["seq"] // 256 * 256
            expected = (
                rf"FAIL: first bad seq {first}: tiles: tile/1/{first // 65536} hash {first // 256 % 256} "
                rf"is not the hash of entries {first}–{first + 255} in the tiles below"
            )
        assert re.fullmatch(expected, anonymous.stdout.strip()), anonymous.stdout
        with_token = verify(suite, token=api.tokens["auditor"], state=state)
        assert with_token.returncode != 0 and "first bad seq 7" in with_token.stdout, with_token.stdout
    finally:
        coll.update_one({"seq": victim["seq"]}, {"$set": {"leaf_hash": victim["leaf_hash"]}})
        client.close()
    assert verify(suite, state=state).returncode == 0


def test_verifier_refuses_more_witnesses_than_cosigned(suite, api):
    cosigned_note(api, 1)
    r = verify(suite, "--witnesses", "2")
    assert r.returncode != 0 and "witness" in r.stdout


def test_dossier_verifies_offline_and_one_changed_byte_fails(suite, api, tmp_path):
    selection = code("S")
    for stage in ("motion", "deliberation"):
        r = api.post(
            "/api/v1/records",
            {"subject": f"selection:{selection}", "stage": stage, "matter": f"{stage} 动议"},
            as_="org",
        )
        assert r.status_code == 201, r.text
    dossier = api.get(f"/api/v1/selections/{selection}/dossier", as_="auditor").json()
    key = api.get("/api/v1/records/public-key").json()["public_key"]
    path = tmp_path / "dossier.json"
    path.write_text(json.dumps(dossier, ensure_ascii=False))
    env = {k: v for k, v in suite.env.items() if k not in ("CADRE_TOKEN",)}
    command = [
        sys.executable,
        "-m",
        "services.records.verify",
        "--dossier",
        str(path),
        "--public-key",
        key,
        "--state",
        str(tmp_path / "state.json"),
    ]
    ok = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    raw = path.read_bytes()
    at = raw.index("deliberation 动议".encode())
    path.write_bytes(raw[:at] + b"D" + raw[at + 1 :])
    bad = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and f"seq {dossier['entries'][1]['seq']}" in bad.stdout, bad.stdout


# -- interoperability with the Go reference packages ---------------------------------------------

GO_PATH = "/usr/share/gocode"


@pytest.fixture(scope="module")
def tlogcheck(tmp_path_factory):
    """tests/interop/tlogcheck.go built with golang.org/x/mod/sumdb/{note,tlog} (Debian's golang-golang-x-mod-dev)."""
    go = shutil.which("go")
    if go is None:
        pytest.skip("go is not installed (apt-get install golang-go golang-golang-x-mod-dev)")
    out = tmp_path_factory.mktemp("go")
    binary = out / "tlogcheck"
    env = dict(os.environ, GO111MODULE="off", GOPATH=GO_PATH, GOCACHE=str(out / "cache"))
    built = subprocess.run(
        [go, "build", "-o", str(binary), str(REPO / "tests" / "interop" / "tlogcheck.go")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    return str(binary)


def test_go_reference_packages_verify_the_note_the_cosignature_and_the_tiles(suite, api, tlogcheck):
    entries = fill(suite, api, 260)
    cosigned_note(api, 260)
    [witness] = witnesses(api)
    out = subprocess.run(
        [tlogcheck, suite.base, log_vkey(api), witness["vkey"]], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stdout + out.stderr
    head, *leaves = out.stdout.splitlines()
    size = int(head.split()[1])
    assert head.startswith("OK") and size >= 260
    assert leaves == [e["leaf_hash"] for e in entries[:size]]
    # a key the log does not hold: the note package refuses the note
    stranger = note.log_vkey(ORIGIN, SigningKey.generate())
    refused = subprocess.run([tlogcheck, suite.base, stranger], capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "note.Open" in refused.stdout
