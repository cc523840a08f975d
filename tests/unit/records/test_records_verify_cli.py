"""The verify CLI end to end against a local HTTP server serving a synthetic log."""

import json
import os
import subprocess
import sys

import pytest
from nacl.signing import SigningKey

from records_synthetic_log import LogServer, checkpoint_of, make_log, rehash
from services.records.log.checkpoint import public_key_b64
from services.records.verify import main

KEY = SigningKey(bytes(range(32)))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


@pytest.fixture
def state(tmp_path):
    return str(tmp_path / "state.json")


@pytest.fixture
def server():
    with LogServer(make_log(20), KEY) as running:
        yield running


def verify(server, state, capsys, *extra):
    code = main(["--url", server.url, "--state", state, "--token", LogServer.TOKEN, *extra])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    return code, lines[0]


def test_honest_log_passes_and_its_checkpoint_is_remembered(server, state, capsys):
    code, line = verify(server, state, capsys)
    assert code == 0 and line.startswith("OK") and "20 entries" in line
    remembered = json.load(open(state))[server.url]
    assert remembered == {"checkpoint": server.checkpoint, "public_key": public_key_b64(KEY)}


def test_honest_growth_passes_with_a_consistency_proof(server, state, capsys):
    assert verify(server, state, capsys)[0] == 0
    server.publish(make_log(45))
    code, line = verify(server, state, capsys)
    assert code == 0 and "consistent with previous size 20" in line
    assert json.load(open(state))[server.url]["checkpoint"]["size"] == 45


def test_a_changed_field_fails_with_its_seq(server, state, capsys):
    checkpoint = server.checkpoint
    tampered = make_log(20)
    tampered[13] = dict(tampered[13], responsible="someone else")
    server.publish(tampered, checkpoint)
    code, line = verify(server, state, capsys)
    assert code == 1 and line.startswith("FAIL") and "first bad seq 13" in line
    assert not os.path.exists(state)  # nothing unverified is ever trusted


def test_a_removed_entry_fails_with_its_seq(server, state, capsys):
    shortened = make_log(20)
    del shortened[8]
    server.publish(shortened, server.checkpoint)
    code, line = verify(server, state, capsys)
    assert code == 1 and "first bad seq 8" in line


def test_a_forged_checkpoint_fails_naming_the_check(server, state, capsys):
    server.publish(server.entries, checkpoint_of(server.entries, SigningKey.generate()))
    code, line = verify(server, state, capsys)
    assert code == 1 and line.startswith("FAIL: checkpoint")


def test_split_view_after_a_first_run_fails_the_consistency_check(server, state, capsys):
    assert verify(server, state, capsys)[0] == 0
    rewritten = rehash(make_log(20)[:11] + make_log(26, tag="rewritten")[11:])
    server.publish(rewritten)  # a fresh, validly signed checkpoint over the rewritten log
    code, line = verify(server, state, capsys)
    assert code == 1 and line.startswith("FAIL: consistency")
    # A verifier without memory of the first run could not have told.
    assert verify(server, state + ".fresh", capsys)[0] == 0


def test_a_swapped_signing_key_after_a_first_run_fails(server, state, capsys):
    assert verify(server, state, capsys)[0] == 0
    other = SigningKey.generate()
    impostor = LogServer(server.entries, other)
    server.public_key, server.checkpoint = impostor.public_key, impostor.checkpoint
    impostor.httpd.server_close()
    code, line = verify(server, state, capsys)
    assert code == 1 and "public key" in line


def test_a_pinned_public_key_is_enforced(server, state, capsys):
    other = public_key_b64(SigningKey.generate())
    code, line = verify(server, state, capsys, "--public-key", other)
    assert code == 1 and "public key" in line


def test_listing_with_a_bad_token_or_no_server_is_an_error_not_a_verdict(server, state, capsys):
    # With no token at all only the public checks run (API.md: "with no token checks the log from public data").
    assert main(["--url", server.url, "--state", state, "--token", ""]) == 0
    assert capsys.readouterr().out.startswith("OK")
    code = main(["--url", server.url, "--state", state, "--token", "wrong"])
    assert code == 2 and "401" in capsys.readouterr().out
    code = main(["--url", "http://127.0.0.1:9", "--state", state, "--token", "t", "--timeout", "2"])
    assert code == 2 and capsys.readouterr().out.startswith("ERROR")


def test_module_runs_as_a_command(server, state):
    env = dict(os.environ, CADRE_TOKEN=LogServer.TOKEN)
    ok = subprocess.run(
        [sys.executable, "-m", "services.records.verify", "--url", server.url, "--state", state],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0 and ok.stdout.startswith("OK"), ok.stderr
    tampered = [dict(e) for e in server.entries]
    tampered[2]["matter"] = "rewritten"
    server.publish(tampered, server.checkpoint)
    bad = subprocess.run(
        [sys.executable, "-m", "services.records.verify", "--url", server.url, "--state", state],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 1 and "first bad seq 2" in bad.stdout
    assert len(bad.stdout.strip().splitlines()) == 1


def test_a_damaged_state_file_is_an_error_not_a_fresh_start(server, state, capsys):
    # Silently starting over would let a split view through; the operator must decide.
    with open(state, "w") as out:
        json.dump({server.url: {"checkpoint": "garbage"}}, out)
    code = main(["--url", server.url, "--state", state, "--token", LogServer.TOKEN])
    assert code == 2 and "no usable checkpoint" in capsys.readouterr().out


def test_a_log_of_many_pages_is_fetched_concurrently_and_still_checked_whole(state, capsys):
    with LogServer(make_log(1700), KEY) as big:
        code, line = verify(big, state, capsys)
        assert code == 0 and "1700 entries" in line
        tampered = make_log(1700)
        tampered[1234] = dict(tampered[1234], place="elsewhere")
        big.publish(tampered, big.checkpoint)
        code, line = verify(big, state, capsys)
        assert code == 1 and "first bad seq 1234" in line
