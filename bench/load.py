"""Load and soak: the mixed workload of tests/faults (selections walked from unit to the four verdicts,
ballots included) through the gateway for a while, with throughput, p50/p99 per endpoint, errors and the
RSS of every process at the start and the end, next to the bare echo baseline measured in the same run.
RSS is also sampled through the window, so that a cache filling up to its bound (growth that stops) can be
told from a leak (growth that goes on): the table gives the growth over the whole window and over its
second half.

    .venv/bin/python bench/load.py                      # 600 s, 4 clients -> bench/results/load.md
    .venv/bin/python bench/load.py --seconds 60 --clients 8 --out /tmp/load.md
"""

import argparse
import collections
import statistics
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.harness import echo_baseline  # noqa: E402
from tests.faults.workload import ROLES, Workload  # noqa: E402
from tests.harness import Suite  # noqa: E402

PROCESSES = ("gateway", "nomination", "examination", "supervision", "records", "database")


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def rss(suite):
    return {name: rss_kib(suite.pid(name)) for name in PROCESSES}


class RssSampler(threading.Thread):
    """RSS of every process every ``interval`` seconds until ``stop()``."""

    def __init__(self, suite, interval):
        super().__init__(daemon=True)
        self.suite, self.interval, self.samples = suite, interval, []
        self._done = threading.Event()

    def run(self):
        while True:
            self.samples.append((time.monotonic(), rss(self.suite)))
            if self._done.wait(self.interval):
                return

    def stop(self):
        self._done.set()
        self.join()
        self.samples.append((time.monotonic(), rss(self.suite)))

    def at(self, moment):
        """The sample nearest to ``moment``."""
        return min(self.samples, key=lambda s: abs(s[0] - moment))[1]


def percentile(sorted_values, q):
    return sorted_values[max(0, int(len(sorted_values) * q) - 1)]


def summarise(ops, window):
    """Per endpoint: requests, throughput, p50/p99 of each attempt, and errors (5xx or no answer)."""
    by_kind = collections.defaultdict(list)
    errors = collections.Counter()
    for op in ops:
        for attempt in op.attempts:
            if window[0] <= attempt.started <= window[1]:
                by_kind[op.kind].append(attempt.latency)
                if not isinstance(attempt.status, int) or attempt.status >= 500:
                    errors[op.kind] += 1
    seconds = window[1] - window[0]
    rows = []
    for kind, latencies in sorted(by_kind.items(), key=lambda kv: -len(kv[1])):
        latencies.sort()
        rows.append(
            (
                kind,
                len(latencies),
                len(latencies) / seconds,
                statistics.median(latencies) * 1000,
                percentile(latencies, 0.99) * 1000,
                errors[kind],
            )
        )
    every = sorted(latency for values in by_kind.values() for latency in values)
    total = (
        "all",
        len(every),
        len(every) / seconds,
        statistics.median(every) * 1000,
        percentile(every, 0.99) * 1000,
        sum(errors.values()),
    )
    return rows, total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--warmup", type=float, default=30, help="seconds of load before the first RSS reading")
    parser.add_argument("--sample", type=float, default=15, help="seconds between RSS readings")
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "load.md"))
    args = parser.parse_args(argv)

    baseline = echo_baseline(args.clients, 500)
    suite = Suite(
        PUBLIC_RATE_PER_SECOND=100000, PUBLIC_RATE_BURST=100000, REVIEW_DEADLINE_SECONDS=86400, LOG_LEVEL="WARNING"
    ).start()
    try:
        for role in ROLES:
            suite.api.principal(role, role)
        workload = Workload(suite.base, suite.api.tokens, threads=args.clients).start()
        time.sleep(args.warmup)
        sampler = RssSampler(suite, args.sample)
        started = time.monotonic()
        sampler.start()
        time.sleep(args.seconds)
        sampler.stop()
        ended = time.monotonic()
        workload.stop()
        log_size = suite.api.get("/api/v1/records/checkpoint").json().get("size")
    finally:
        suite.stop()

    rows, total = summarise(workload.ops, (started, ended))
    lines = [
        "# Load and soak: the mixed workload through the gateway",
        "",
        f"Command: `.venv/bin/python bench/load.py --seconds {args.seconds:g} --clients {args.clients}` "
        f"(warm-up {args.warmup:g} s before measuring). Machine: 2 cores, shared; the embedded nx-27017 database.",
        "",
        "Workload (each client, in a loop, as tests/faults drive it): unit, post, cadre, selection, qualification, "
        "two consultations, ballot session, three ballots, tally, nomination, deliberation, inspection, then the "
        "four departments' verdicts once the review opens. Closed loop, no think time.",
        "",
        f"Echo baseline (bare nameko HTTP→RPC, same run, {args.clients} clients): "
        f"{baseline['rps']} req/s, p50 {baseline['p50_ms']} ms, p99 {baseline['p99_ms']} ms, "
        f"{baseline['errors']} errors.",
        "",
        f"Measured window: {ended - started:.0f} s; flows completed: {dict(workload.flows)}; "
        f"records log at the end: {log_size} entries.",
        "",
        "| endpoint | requests | req/s | p50 ms | p99 ms | errors (5xx / no answer) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind, n, rps, p50, p99, errs in rows + [total]:
        lines.append(f"| {kind} | {n} | {rps:.1f} | {p50:.1f} | {p99:.1f} | {errs} |")
    lines += [
        "",
        f"Throughput against the echo baseline: {total[2] / baseline['rps']:.2f}× "
        "(every workload request is a write or a read of the database; echo touches none).",
        "",
        f"RSS sampled every {args.sample:g} s ({len(sampler.samples)} readings); growth over the whole window "
        "and over its second half (a bounded cache stops growing; a leak does not):",
        "",
        "| process | RSS at start (MiB) | at half-time | at end | growth | growth in the second half |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    rss_start, rss_end = sampler.samples[0][1], sampler.samples[-1][1]
    rss_half = sampler.at(started + (ended - started) / 2)
    for name in PROCESSES:
        a, h, b = rss_start[name], rss_half[name], rss_end[name]
        lines.append(
            f"| {name} | {a / 1024:.1f} | {h / 1024:.1f} | {b / 1024:.1f} | {(b - a) / a * 100:+.1f}% "
            f"| {(b - h) / h * 100:+.1f}% |"
        )
    lines += [
        "",
        "RSS readings (MiB), one column per process:",
        "",
        "| s | " + " | ".join(PROCESSES) + " |",
        "|---:|" + "---:|" * len(PROCESSES),
    ]
    for moment, values in sampler.samples:
        lines.append(f"| {moment - started:.0f} | " + " | ".join(f"{values[n] / 1024:.1f}" for n in PROCESSES) + " |")
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
