"""The records log under load: firehose append rate, proof cost at 100,000 and 1,000,000 leaves, full-log
verification, and how long a restarted records service takes to load its tree.

    .venv/bin/python bench/records_bench.py [--entries 100000] [--big 1000000]

Appends: N envelopes are published with pika to ``nomination.events`` (as the services' outbox relays
publish them) and timed until the signed checkpoint covers all of them. Proofs: in process on a
MerkleTree of N and of ``--big`` leaves, and over HTTP through the gateway at N. Verification: the
verify CLI (``python -m services.records.verify``) against the running suite, as an auditor runs it.
"""

import argparse
import json
import os
import platform
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pika
import pymongo
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import load, write_results  # noqa: E402
from services.common.envelope import make_envelope  # noqa: E402
from services.records.log.merkle import MerkleTree, verify_inclusion  # noqa: E402
from tests.harness import PYTHON, REPO, Suite, eventually  # noqa: E402
from tests.signing import sign  # noqa: E402


def make_bodies(suite, count):
    """The envelopes, built, signed as nomination and serialised before the clock starts (as relays
    publish ready outbox rows)."""
    return [
        json.dumps(
            sign(
                suite,
                make_envelope(
                    "selection.stage_changed",
                    "nomination",
                    f"selection:bench-{i % 500}",
                    {"selection": f"bench-{i % 500}", "stage": "consultation", "previous": "qualification"},
                    actor="org",
                    correlation_id=str(uuid.uuid4()),
                ),
            )
        ).encode()
        for i in range(count)
    ]


def publish_bodies(amqp_uri, bodies, connections=2):
    """Publish from ``connections`` connections at once, as several service replicas' relays would."""

    def run(part):
        connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
        channel = connection.channel()
        properties = pika.BasicProperties(content_type="application/json", delivery_mode=2)
        for body in part:
            channel.basic_publish("nomination.events", "selection.stage_changed", body, properties)
        connection.close()

    threads = [threading.Thread(target=run, args=(bodies[n::connections],)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def tree_load_seconds(mongodb_port):
    """What a starting records process does: read every stored leaf hash in seq order and build the tree."""
    coll = pymongo.MongoClient(f"mongodb://127.0.0.1:{mongodb_port}/")["records"]["entries"]
    started = time.perf_counter()
    hashes = [
        bytes.fromhex(d["leaf_hash"])
        for d in coll.find({}, {"_id": 0, "seq": 1, "leaf_hash": 1}).sort("seq", 1).batch_size(10_000)
    ]
    tree = MerkleTree(hashes)
    return time.perf_counter() - started, tree.size


def checkpoint_size(base):
    return requests.get(f"{base}/api/v1/records/checkpoint", timeout=30).json()["size"]


def proof_micros(tree, samples=2000):
    size = tree.size
    indexes = [random.randrange(size) for _ in range(samples)]
    started = time.perf_counter()
    for index in indexes:
        tree.inclusion_proof(index, size)
    inclusion = (time.perf_counter() - started) / samples * 1e6
    root = tree.root()
    assert all(verify_inclusion(tree.leaf(i), i, size, tree.inclusion_proof(i, size), root) for i in indexes[:50])
    pairs = [sorted(random.sample(range(1, size + 1), 2)) for _ in range(samples)]
    started = time.perf_counter()
    for first, second in pairs:
        tree.consistency_proof(first, second)
    consistency = (time.perf_counter() - started) / samples * 1e6
    return inclusion, consistency


def build_tree(size):
    started = time.perf_counter()
    tree = MerkleTree(os.urandom(32) for _ in range(size))
    return tree, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    args = parser.parse_args()
    results = {}

    suite = Suite(LOG_LEVEL="WARNING").start()
    try:
        api = suite.api
        api.principal("auditor", "auditor")
        before = checkpoint_size(suite.base)
        target = before + args.entries
        bodies = make_bodies(suite, args.entries)
        started = time.perf_counter()
        publish_bodies(suite.env["AMQP_URI"], bodies)
        published = time.perf_counter() - started
        eventually(lambda: checkpoint_size(suite.base) >= target, timeout=3600, interval=0.5)
        elapsed = time.perf_counter() - started
        results["append"] = {
            "entries": args.entries,
            "publish_seconds": round(published, 1),
            "seconds_until_checkpointed": round(elapsed, 1),
            "entries_per_second": round(args.entries / elapsed),
        }
        print("append", results["append"], flush=True)

        size = checkpoint_size(suite.base)
        http = load(
            lambda s, i: s.get(
                f"{suite.base}/api/v1/records/{random.randrange(size)}/proof", params={"size": size}, timeout=30
            ),
            clients=4,
            per_client=250,
        )
        results["http_proof"] = {"size": size, **http}
        print("http proof", results["http_proof"], flush=True)

        state = Path(suite.data_dir) / "verify-state.json"
        env = dict(suite.env, CADRE_TOKEN=api.tokens["auditor"])
        started = time.perf_counter()
        run = subprocess.run(
            [PYTHON, "-m", "services.records.verify", "--url", suite.base, "--state", str(state)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        results["verify"] = {
            "entries": size,
            "seconds": round(time.perf_counter() - started, 2),
            "exit": run.returncode,
            "output": run.stdout.strip(),
        }
        print("verify", results["verify"], flush=True)

        started = time.perf_counter()
        suite.kill("records", sig=signal.SIGKILL)
        time.sleep(1)
        eventually(
            lambda: requests.get(f"{suite.base}/health", timeout=5).status_code == 200, timeout=300, interval=0.2
        )
        eventually(
            lambda: api.get(f"/api/v1/records/{size - 1}/proof", params={"size": size}).status_code == 200,
            timeout=300,
            interval=0.2,
        )
        load_seconds, loaded_size = tree_load_seconds(suite.ports["MONGODB_PORT"])
        results["restart"] = {
            "entries": size,
            "seconds_until_serving_proofs": round(time.perf_counter() - started, 1),
            "tree_load_seconds": round(load_seconds, 2),
            "tree_load_size": loaded_size,
        }
        print("restart", results["restart"], flush=True)
    finally:
        suite.stop()

    for n in (args.entries, args.big):
        tree, build = build_tree(n)
        inclusion, consistency = proof_micros(tree)
        results[f"tree_{n}"] = {
            "leaves": n,
            "build_seconds": round(build, 2),
            "inclusion_proof_us": round(inclusion, 1),
            "consistency_proof_us": round(consistency, 1),
        }
        print(f"tree {n}", results[f"tree_{n}"], flush=True)
        del tree

    a, v, t_small, t_big = (
        results["append"],
        results["verify"],
        results[f"tree_{args.entries}"],
        results[f"tree_{args.big}"],
    )
    h, r = results["http_proof"], results["restart"]
    text = f"""# Records benchmark

Command: `.venv/bin/python bench/records_bench.py --entries {args.entries} --big {args.big}`
Machine: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} cores shared with other
engineers' suites (figures are conservative). Whole suite as `make run` starts it (embedded nx-27017), one
records process, `RECORDS_BATCH_MAX=500`.

| measure | result | target |
|---|---|---|
| firehose appends ({a["entries"]:,} envelopes published with pika from 2 connections, from the first publish until the signed checkpoint covers them all) | **{a["entries_per_second"]:,} entries/s** ({a["seconds_until_checkpointed"]} s; publishing alone {a["publish_seconds"]} s) | ≥ 1,000/s |
| inclusion proof, in process, {t_small["leaves"]:,} leaves | **{t_small["inclusion_proof_us"]} µs** (consistency {t_small["consistency_proof_us"]} µs) | < 5 ms |
| inclusion proof, in process, {t_big["leaves"]:,} leaves | **{t_big["inclusion_proof_us"]} µs** (consistency {t_big["consistency_proof_us"]} µs; tree built in {t_big["build_seconds"]} s) | < 5 ms |
| inclusion proof over HTTP through the gateway at {h["size"]:,} entries (4 clients) | {h["rps"]} req/s, p50 {h["p50_ms"]} ms, p99 {h["p99_ms"]} ms, {h["errors"]} errors | — |
| verify CLI, full log of {v["entries"]:,} entries (fetch 500/page, 4 pages at a time + recompute every hash, chain, root, signature) | **{v["seconds"]} s**, exit {v["exit"]} | < 10 s |
| records killed (-9) and restarted: until it serves proofs at the full size | {r["seconds_until_serving_proofs"]} s (reading {r["tree_load_size"]:,} stored leaf hashes and building the tree: {r["tree_load_seconds"]} s) | a few seconds |

Verifier output: `{v["output"]}`

No bare-echo baseline ratio here: these are throughput and latency figures of the log itself
(`bench/gateway_bench.py` has the gateway's ratio to the bare nameko echo).
"""
    path = write_results("records", text)
    print(text)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
