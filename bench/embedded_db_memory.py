"""How the embedded database's RSS follows the data its queries touch: nx-27017 (MongoDB wire protocol on
SQLite) alone, one collection grown 5,000 documents at a time, RSS read after each round of the queries
the services make (an indexed range, an unindexed equality, an array membership, a count). The soak
(bench/load.py) shows the database growing while every process of ours stays flat; this separates it.

    .venv/bin/python bench/embedded_db_memory.py          # -> bench/results/embedded_db.md
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pymongo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scripts.suite import database_command, port_open  # noqa: E402
from tests.harness import free_port  # noqa: E402


def rss_mib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def queries(items):
    """The shapes of the services' queries, once each; their times in ms."""
    timings = []
    for query in (
        lambda: list(items.find({"outbox_n": {"$gt": 0}})),
        lambda: list(items.find({"code": "c0-5"})),
        lambda: list(items.find({"handled": "missing"})),
        lambda: items.count_documents({"outbox_n": 0}),
    ):
        started = time.perf_counter()
        query()
        timings.append(f"{(time.perf_counter() - started) * 1000:.1f}")
    return timings


def main(rounds=6, per_round=5000, repeats=10, batches=4):
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="cadre-nxmem-") as data:
        proc = subprocess.Popen(
            database_command({"CADRE_DATA_DIR": data, "MONGODB_PORT": str(port)}),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(100):
                if port_open("127.0.0.1", port):
                    break
                time.sleep(0.1)
            items = pymongo.MongoClient(f"mongodb://127.0.0.1:{port}/").bench.items
            items.create_index("outbox_n")
            rows = [(0, rss_mib(proc.pid), "", "", "", "")]
            for n in range(rounds):
                items.insert_many(
                    [
                        {"code": f"c{n}-{i}", "outbox_n": 0, "handled": [f"e{n}-{i}"], "pad": "y" * 500}
                        for i in range(per_round)
                    ]
                )
                rows.append(((n + 1) * per_round, rss_mib(proc.pid), *queries(items)))
            again = []  # the same queries again on the same data, RSS after each batch
            for _ in range(batches):
                for _ in range(repeats):
                    queries(items)
                again.append(rss_mib(proc.pid))
        finally:
            proc.terminate()
            proc.wait(10)
    lines = [
        "# The embedded database's memory against its data",
        "",
        "Command: `.venv/bin/python bench/embedded_db_memory.py`. nx-27017 alone (no suite), one collection",
        f"grown {per_round:,} documents (~0.6 KiB each) a round; after each round the queries below ran once.",
        "",
        "| documents | nx-27017 RSS (MiB) | indexed `$gt` ms | unindexed equality ms | array membership ms | count ms |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {docs:,} | {rss:.1f} | {a} | {b} | {c} | {d} |" for docs, rss, a, b, c, d in rows]
    last = rows[-1][1]
    lines += [
        "",
        f"Then the same four queries again on the same {rows[-1][0]:,} documents, {repeats} times a batch; "
        "RSS after each batch (MiB): " + " → ".join(f"{v:.1f}" for v in [last, *again]) + ".",
    ]
    text = "\n".join(lines) + "\n"
    (REPO / "bench" / "results" / "embedded_db.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
