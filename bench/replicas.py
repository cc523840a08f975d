"""Scale-out on one machine: the mixed workload with one process of each service, then with two replicas of
nomination, supervision, records and the gateway (clients split between the two gateways), same run, same
clients, next to the bare echo baseline. On two cores shared by every process, a second replica adds
processes to schedule, not cores: the figure says what replication costs or buys here, not on a cluster.

    .venv/bin/python bench/replicas.py                    # 120 s each, 4 clients -> bench/results/replicas.md
    .venv/bin/python bench/replicas.py --seconds 30 --clients 4 --out /tmp/replicas.md
"""

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.harness import echo_baseline  # noqa: E402
from bench.load import summarise  # noqa: E402
from tests.faults.workload import ROLES, Workload  # noqa: E402
from tests.harness import ReplicatedSuite  # noqa: E402

REPLICATED = ("nomination", "supervision", "records", "gateway")
SETTINGS = dict(
    PUBLIC_RATE_PER_SECOND=100000, PUBLIC_RATE_BURST=100000, REVIEW_DEADLINE_SECONDS=86400, LOG_LEVEL="WARNING"
)


def measure(replicated, clients, warmup, seconds):
    """(total row of summarise, flows) for the workload with ``replicated`` services at two processes."""
    suite = ReplicatedSuite(replicated, **SETTINGS).start(timeout=240)
    try:
        for role in ROLES:
            suite.api.principal(role, role)
        bases = suite.bases
        shares = [clients // len(bases) + (1 if i < clients % len(bases) else 0) for i in range(len(bases))]
        parts = [Workload(base, suite.api.tokens, threads=n).start() for base, n in zip(bases, shares) if n]
        time.sleep(warmup)
        started = time.monotonic()
        time.sleep(seconds)
        ended = time.monotonic()
        for part in parts:
            part.stop()
    finally:
        suite.stop()
    ops = [op for part in parts for op in part.ops]
    flows = {}
    for part in parts:
        for kind, n in part.flows.items():
            flows[kind] = flows.get(kind, 0) + n
    return summarise(ops, (started, ended))[1], flows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--warmup", type=float, default=20)
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "replicas.md"))
    args = parser.parse_args(argv)

    baseline = echo_baseline(args.clients, 500)
    one, one_flows = measure((), args.clients, args.warmup, args.seconds)
    two, two_flows = measure(REPLICATED, args.clients, args.warmup, args.seconds)
    lines = [
        "# Scale-out: one process of each service against two replicas, same run",
        "",
        f"Command: `.venv/bin/python bench/replicas.py --seconds {args.seconds:g} --clients {args.clients}` "
        f"(warm-up {args.warmup:g} s each). Machine: 2 cores shared by every process; the embedded nx-27017.",
        "",
        f"Echo baseline (bare nameko HTTP→RPC, {args.clients} clients): {baseline['rps']} req/s.",
        "",
        "| suite | requests | req/s | × echo | p50 ms | p99 ms | errors | flows completed |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, (_, n, rps, p50, p99, errors), flows in (
        ("one of each", one, one_flows),
        ("two replicas (" + ", ".join(REPLICATED) + ")", two, two_flows),
    ):
        lines.append(
            f"| {name} | {n} | {rps:.1f} | {rps / baseline['rps']:.2f} | {p50:.1f} | {p99:.1f} | {errors} | {flows} |"
        )
    lines += ["", f"Two replicas against one: {two[2] / one[2]:.2f}× the throughput, p99 {two[4] / one[4]:.2f}×."]
    text = "\n".join(lines) + "\n"
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
