"""Figures of the records log in the C2SP formats: anonymous verification of a large log, the witness's round
trip per checkpoint, and (with ``--url``, against a running suite) the gateway's tile serving rate.

    .venv/bin/python bench/tlog_bench.py [--entries 100000] [--checkpoints 200] [--suite]

The verification and witness figures need no suite: the verifier runs against the synthetic log server of
the unit tests (real tiles, real note, a real cosignature), the witness is the real one on a local port
with its state file in a temporary directory (fsync on every checkpoint, as in production). ``--suite``
starts the suite as `make run` does (with its witness), appends ``--entries`` through the firehose, and
measures the gateway's tile serving rate and both verifiers against the live log: anonymous (tiles) and
with a token (the whole listing, then the tiles), the latter being the verifier before this work.
"""

import argparse
import concurrent.futures
import sys
import tempfile
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import requests
from nacl.signing import SigningKey

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "unit" / "records"))

from records_synthetic_log import LogServer, make_log  # noqa: E402

from services.records.log import note, tiles, witnessing  # noqa: E402
from services.records.log.merkle import MerkleTree, leaf_hash  # noqa: E402
from services.records.verify import main as verify_main  # noqa: E402
from services.records.witness import Witness, make_handler  # noqa: E402

ORIGIN = "cadre-selection.example/records"


def bench_verify(entries):
    log_key, witness_key = SigningKey.generate(), SigningKey.generate()
    built = time.perf_counter()
    log = make_log(entries)
    built = time.perf_counter() - built
    with LogServer(log, log_key, witness_keys=[witness_key]) as server, tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        code = verify_main(["--url", server.url, "--state", f"{tmp}/state.json", "--token", ""])
        first = time.perf_counter() - started
        started = time.perf_counter()
        code2 = verify_main(["--url", server.url, "--state", f"{tmp}/state.json", "--token", ""])
        second = time.perf_counter() - started
        started = time.perf_counter()
        code3 = verify_main(["--url", server.url, "--state", f"{tmp}/state2.json", "--token", LogServer.TOKEN])
        with_token = time.perf_counter() - started
    assert code == code2 == code3 == 0
    return {
        "entries": entries,
        "tiles": len(tiles.level0_tiles(entries)) + len(tiles.upper_tiles(entries)),
        "anonymous_s": first,
        "anonymous_again_s": second,
        "with_token_s": with_token,
        "build_s": built,
    }


def bench_witness(checkpoints, per_checkpoint=50):
    log_key, witness_key = SigningKey.generate(), SigningKey.generate()
    with tempfile.TemporaryDirectory() as tmp:
        witness = Witness("bench.example/witness", witness_key, [note.log_vkey(ORIGIN, log_key)], tmp)
        server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(witness))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.server_address[1]}/add-checkpoint"
        session = requests.Session()
        tree, old, times = MerkleTree(), 0, []
        try:
            for i in range(checkpoints):
                tree.extend(leaf_hash(b"%d" % (i * per_checkpoint + j)) for j in range(per_checkpoint))
                signed = note.signed_checkpoint(ORIGIN, tree.size, tree.root(), log_key)
                body = witnessing.encode_request(old, tree.consistency_proof(old) if old else [], signed)
                started = time.perf_counter()
                response = session.post(url, data=body, timeout=10)
                times.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text
                old = tree.size
        finally:
            server.shutdown()
            server.server_close()
    times.sort()
    return {
        "checkpoints": checkpoints,
        "median_ms": times[len(times) // 2] * 1000,
        "p95_ms": times[int(len(times) * 0.95)] * 1000,
        "per_second": len(times) / sum(times),
    }


def bench_tiles(url, seconds=10, workers=4):
    note_text = requests.get(f"{url}/log/checkpoint", timeout=10).text
    size = int(note_text.split("\n")[1])
    wanted = [tiles.tile_path(0, n, w) for n, w in tiles.level0_tiles(size)]
    deadline = time.monotonic() + seconds
    counts = []

    def worker(offset):
        session, done, i = requests.Session(), 0, offset
        while time.monotonic() < deadline:
            response = session.get(f"{url}/log/{wanted[i % len(wanted)]}", timeout=10)
            assert response.status_code == 200
            done, i = done + 1, i + 1
        counts.append(done)

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(worker, range(workers)))
    elapsed = time.monotonic() - started
    return {"size": size, "tiles": len(wanted), "requests": sum(counts), "per_second": sum(counts) / elapsed}


def bench_suite(entries):
    import subprocess

    from bench.records_bench import checkpoint_size, make_bodies, publish_bodies
    from tests.harness import PYTHON, Suite, eventually

    suite = Suite(LOG_LEVEL="WARNING").start()
    try:
        api = suite.api
        api.principal("auditor", "auditor")
        target = checkpoint_size(suite.base) + entries
        publish_bodies(suite.env["AMQP_URI"], make_bodies(entries))

        def cosigned():
            text = requests.get(f"{suite.base}/log/checkpoint", timeout=30).text
            return int(text.split("\n")[1]) >= target and text.count("\u2014") >= 2

        eventually(cosigned, timeout=3600, interval=1)
        results = {"tiles": bench_tiles(suite.base)}
        for label, token in (("anonymous", None), ("with_token", api.tokens["auditor"])):
            env = dict(suite.env)
            env.pop("CADRE_TOKEN", None)
            if token:
                env["CADRE_TOKEN"] = token
            started = time.perf_counter()
            run = subprocess.run(
                [
                    PYTHON,
                    "-m",
                    "services.records.verify",
                    "--url",
                    suite.base,
                    "--state",
                    str(suite.data_dir / f"state-{label}.json"),
                ],
                cwd=REPO,
                env=env,
                capture_output=True,
                text=True,
                timeout=1200,
            )
            results[label] = {
                "seconds": round(time.perf_counter() - started, 2),
                "exit": run.returncode,
                "output": run.stdout.strip()[:200],
            }
        return results
    finally:
        suite.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--checkpoints", type=int, default=200)
    parser.add_argument("--suite", action="store_true")
    args = parser.parse_args()
    if args.suite:
        print("suite:", bench_suite(args.entries), flush=True)
        return
    print("verify:", bench_verify(args.entries), flush=True)
    print("witness:", bench_witness(args.checkpoints), flush=True)


if __name__ == "__main__":
    main()
