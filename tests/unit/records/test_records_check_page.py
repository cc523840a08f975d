"""The "check this record" page's script (gateway/web/static/check.js) run in Node's WebCrypto against a
synthetic log: it verifies the C2SP note and the witness's cosignature and names the witness; a forged
cosignature is reported, a missing one leaves the check partial. (tests/web runs the same page in Chromium.)"""

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from records_synthetic_log import LogServer, make_log

REPO = Path(__file__).resolve().parents[3]
MESSAGES = [
    "leaf_ok",
    "leaf_bad",
    "inclusion_ok",
    "inclusion_bad",
    "key_ok",
    "key_bad",
    "sig_ok",
    "sig_bad",
    "sig_unsupported",
    "verified",
    "tampered",
    "partial",
    "not_yet",
    "bad_json",
    "fetch_failed",
    "checkpoint",
    "entry_seq",
    "note_ok",
    "note_bad",
    "vouched",
    "no_cosig",
    "some_missing",
    "cosig_bad",
    "no_witnesses",
    "not_cosigned_yet",
    "witnesses_unavailable",
]
WITNESS = SigningKey(b"\x42" * 32)


def check(server, seq):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    entry = {k: v for k, v in server.entries[seq].items() if k != "leaf_hash"}
    out = subprocess.run(
        [
            node,
            str(REPO / "tests" / "interop" / "check_page.js"),
            str(REPO / "gateway" / "web" / "static" / "check.js"),
            server.url,
            str(seq),
            json.dumps(entry),
            json.dumps({m: m for m in MESSAGES}),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


class ForgingServer(LogServer):
    """Serves the witness's cosignature line with its last signature byte changed."""

    def note(self):
        lines = super().note().decode().split("\n")
        for i, line in enumerate(lines):
            if line.startswith("\u2014 witness.example/w0 "):
                raw = bytearray(base64.b64decode(line.split(" ")[2]))
                raw[-1] ^= 1
                lines[i] = "\u2014 witness.example/w0 " + base64.b64encode(bytes(raw)).decode()
        return "\n".join(lines).encode()


def test_the_page_verifies_the_note_and_names_the_witness_that_vouched():
    with LogServer(make_log(40), SigningKey.generate(), witness_keys=[WITNESS]) as server:
        got = check(server, 17)
    assert got["result"] == "verified", got
    assert got["steps"]["step-note"][0] == "true"
    ok, text = got["steps"]["step-witnesses"]
    assert ok == "true" and "vouched witness.example/w0" in text


def test_a_forged_cosignature_makes_the_record_not_verified():
    with ForgingServer(make_log(40), SigningKey.generate(), witness_keys=[WITNESS]) as server:
        got = check(server, 17)
    assert got["result"] == "tampered" and got["steps"]["step-witnesses"][0] == "false", got
    assert "cosig_bad witness.example/w0" in got["steps"]["step-witnesses"][1]


def test_a_listed_witness_that_did_not_cosign_leaves_the_check_partial():
    with LogServer(make_log(40), SigningKey.generate(), witness_keys=[WITNESS]) as server:
        server.witness_keys = {"witness.example/w0": WITNESS}
        real_note = server.note
        server.note = lambda: real_note().decode().rsplit("\u2014 witness.example/w0", 1)[0].encode()
        got = check(server, 17)
    assert got["result"] == "partial" and got["steps"]["step-witnesses"][0] == "null", got
    assert "no_cosig" in got["steps"]["step-witnesses"][1]


def test_an_entry_not_yet_cosigned_is_said_so_and_still_verifies_against_the_json_checkpoint():
    with LogServer(make_log(40), SigningKey.generate(), witness_keys=[WITNESS]) as server:
        real_note = server.note
        older = dict(server.checkpoint)

        def lagging():
            server.checkpoint = dict(older, size=10, root=server.tree.root(10).hex())
            try:
                return real_note()
            finally:
                server.checkpoint = older

        server.note = lagging
        got = check(server, 17)
    assert got["result"] == "verified" and got["steps"]["step-witnesses"] == ["info", "· not_cosigned_yet"], got
