"""CPU per request of every process of the suite, database round trips and throughput, per write kind and a read.

Starts the suite as `make run` starts it (tests.harness.Suite, DB_COMMAND_METRICS=1), prepares what each
workload needs (bench/cost_world.py), then drives each one closed-loop at ``--clients`` clients and reads the
CPU-seconds of every process from /proc (gateway, each service, the witness, the nx-27017 database and
RabbitMQ's beam.smp) before and after, waiting for the events a workload set off to be handled. The at-rest
CPU of each process (measured first, over ``--rest`` seconds) is subtracted from each workload's window. The
bare nameko HTTP→RPC echo is measured in the same run at the same client count. Hold /tmp/cadre-suite.lock
around it:

    flock /tmp/cadre-suite.lock .venv/bin/python bench/cost.py [--clients 4] [--requests 60] [--rest 60]
    flock /tmp/cadre-suite.lock .venv/bin/python bench/cost.py --quick     # 4 clients, 30 each, rest 60 s

beam.smp is shared with every other user of the broker on this machine: its figure is the delta over the
window, and includes whatever else happened on the broker meanwhile.
"""

import argparse
import json
import os
import platform
import re
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.cost_world import DEPARTMENTS, Client, prepare, prepare_sheets, walk_to_review  # noqa: E402
from bench.harness import echo_baseline, load  # noqa: E402
from tests.harness import Suite  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
PROCESSES = ("gateway", "nomination", "examination", "supervision", "records", "witness", "database")


def cpu_seconds(pid):
    """utime + stime of one process (its threads included), in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def beam_pid():
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "beam.smp":
                    return int(entry.name)
            except OSError:
                continue
    return None


class Meter:
    """CPU of every process and database commands of every service, read together."""

    def __init__(self, suite):
        self.suite = suite
        self.beam = beam_pid()
        self.ports = {
            name: suite.ports[f"{name.upper()}_METRICS_PORT"]
            for name in ("nomination", "examination", "supervision", "records")
        }

    def pids(self):
        pids = {name: self.suite.pid(name) for name in PROCESSES}
        if self.beam:
            pids["rabbitmq"] = self.beam
        return pids

    def db_commands(self):
        """``{"<service> <command>": count}`` summed over the gateway's and every service's /metrics."""
        counts = {}
        urls = [f"{self.suite.base}/metrics"] + [f"http://127.0.0.1:{p}/metrics" for p in self.ports.values()]
        for url in urls:
            text = requests.get(url, timeout=10).text
            for line in text.splitlines():
                if line.startswith("cadre_db_commands_total{"):
                    labels = dict(re.findall(r'(\w+)="([^"]*)"', line))
                    key = f"{labels['service']} {labels['command']}"
                    counts[key] = counts.get(key, 0.0) + float(line.rsplit(" ", 1)[1])
        return counts

    def read(self):
        by_command = self.db_commands()
        return {
            "cpu": {name: cpu_seconds(pid) for name, pid in self.pids().items()},
            "db": sum(by_command.values()),
            "db_by": by_command,
            "t": time.monotonic(),
        }


def python_cpu(reading):
    return sum(v for k, v in reading["cpu"].items() if k != "rabbitmq")


def settle(meter, idle_rate, quiet_s=1.5, limit=30):
    """Wait until the suite's CPU over ``quiet_s`` is back near its rate at rest: the events a workload
    set off have been handled. Returns the reading at that point."""
    deadline = time.monotonic() + limit
    last = meter.read()
    while time.monotonic() < deadline:
        time.sleep(quiet_s)
        now = meter.read()
        rate = (python_cpu(now) - python_cpu(last)) / (now["t"] - last["t"])
        if rate <= idle_rate + 0.05:
            return now
        last = now
    return last


def measure(meter, idle, idle_db, kind, fn, clients, per_client):
    before = meter.read()
    result = load(fn, clients, per_client, warmup=0)
    after = settle(meter, sum(v for k, v in idle.items() if k != "rabbitmq"))
    window = after["t"] - before["t"]
    n = result["requests"]
    cpu = {
        name: max(0.0, (after["cpu"][name] - before["cpu"][name]) - idle.get(name, 0.0) * window) / n * 1000
        for name in after["cpu"]
    }
    by = {k: round((v - before["db_by"].get(k, 0.0)) / n, 2) for k, v in after["db_by"].items()}
    return {
        "kind": kind,
        "cpu_ms": cpu,
        "db_by": {k: v for k, v in sorted(by.items()) if v >= 0.05},
        "total_ms": sum(cpu.values()),
        "db_per_request": max(0.0, after["db"] - before["db"] - idle_db * window) / n,
        **result,
    }


def run(args):
    suite = Suite(
        LOG_LEVEL="WARNING",
        DB_COMMAND_METRICS=1,
        PUBLIC_RATE_PER_SECOND=100000,
        PUBLIC_RATE_BURST=100000,
        BALLOT_REFUSALS_PER_MINUTE=100000,
        REVIEW_DEADLINE_SECONDS=86400,
        RPC_TIMEOUT_SECONDS=30,
    ).start()
    rows, rest = [], {}
    try:
        api = suite.api
        for role in ("org", *DEPARTMENTS):
            api.principal(role, role)
        client = Client(suite)
        meter = Meter(suite)
        n = args.clients * args.requests

        # at rest first, after the start has calmed down
        settle(meter, 0.2)
        time.sleep(3)
        a = meter.read()
        time.sleep(args.rest)
        b = meter.read()
        rest = {
            "seconds": b["t"] - a["t"],
            "db_per_s": (b["db"] - a["db"]) / (b["t"] - a["t"]),
            "cpu": {k: (b["cpu"][k] - a["cpu"][k]) / (b["t"] - a["t"]) for k in b["cpu"]},
        }
        idle = rest["cpu"]

        world = prepare(suite, client, n, args.clients)
        with ThreadPoolExecutor(args.clients) as pool:
            reviews = list(pool.map(lambda sel: walk_to_review(client, world, sel), world["walk"]))
        ballot_session = walk_to_review(client, world, world["ballot_selection"], electorate=n, ballots=False)
        campaign, vendor, sheets = prepare_sheets(suite, client, n)
        verdicts = [(review, dept) for review in reviews for dept in DEPARTMENTS][:n]
        settle(meter, sum(v for k, v in idle.items() if k != "rabbitmq"))

        def unit(s, i):
            return client.post(s, "/api/v1/units", {"code": f"CW-{uuid.uuid4().hex[:10]}", "name": "bench"}, "org")

        def qualification(s, i):
            return client.post(
                s,
                f"/api/v1/selections/{world['fresh'][i]}/qualification",
                {"conditions": {"min_rank": "clerk", "min_grassroots_years": 2}, "scope": [world["unit"]]},
                "org",
            )

        def ballot(s, i):
            return client.post(
                s, "/api/v1/ballots", {"token": ballot_session["tokens"][i], "choices": [world["cadre"]]}, keyed=False
            )

        def verdict(s, i):
            review, dept = verdicts[i]
            return client.post(
                s, f"/api/v1/reviews/{review}/verdicts", {"verdict": "clear", "reason": "none found"}, dept
            )

        def sheet(s, i):
            return client.post(s, f"/api/v1/campaigns/{campaign}/sealed-sheets", sheets[i], vendor)

        def record(s, i):
            return client.post(
                s,
                "/api/v1/records",
                {
                    "subject": f"unit:{world['unit']}",
                    "stage": "motion",
                    "place": "Room 3",
                    "responsible": "Secretary Li",
                    "matter": "informal consultation",
                    "result": "agreed",
                },
                "org",
            )

        read_headers = client.headers("org", keyed=False)

        def read(s, i):
            return s.get(f"{suite.base}/api/v1/posts/{world['post']}", headers=read_headers, timeout=30)

        workloads = [
            ("POST /api/v1/units", unit, args.requests),
            ("POST /selections/{id}/qualification (selection step)", qualification, args.requests),
            ("POST /api/v1/ballots", ballot, args.requests),
            ("POST /reviews/{id}/verdicts", verdict, args.requests),
            ("POST /campaigns/{code}/sealed-sheets", sheet, args.requests),
            ("POST /api/v1/records (manual)", record, args.requests),
            ("GET /api/v1/posts/{code}", read, args.requests * 3),
        ]
        for kind, fn, per_client in workloads:
            rows.append(measure(meter, idle, rest["db_per_s"], kind, fn, args.clients, per_client))
            print(json.dumps(rows[-1]), flush=True)
    finally:
        suite.stop()
    time.sleep(1)
    echo = echo_baseline(args.clients, args.requests * 3)
    return rows, rest, echo


def table(args, rows, rest, echo, command):
    names = list(rows[0]["cpu_ms"])
    lines = [
        f"Command: `{command}` on {platform.machine()}, {os.cpu_count()} cores (shared), {args.clients} clients, "
        f"{time.strftime('%Y-%m-%d %H:%M')} UTC.",
        "",
        f"Bare nameko HTTP→RPC echo, same run, {args.clients} clients: **{echo['rps']} req/s**, "
        f"p50 {echo['p50_ms']} ms, p99 {echo['p99_ms']} ms.",
        "",
        "CPU ms per request, each process (at-rest CPU subtracted; `rabbitmq` is the shared beam.smp's delta):",
        "",
        "| workload | req/s | × echo | p50 ms | p99 ms | errors | DB cmds/req | CPU ms/req all | "
        + " | ".join(names)
        + " |",
        "|---|---:|---:|---:|---:|---:|---:|---:|" + "---:|" * len(names),
    ]
    for row in rows:
        lines.append(
            f"| {row['kind']} | {row['rps']} | {row['rps'] / echo['rps']:.2f} | {row['p50_ms']} | {row['p99_ms']} "
            f"| {row['errors']} | {row['db_per_request']:.1f} | **{row['total_ms']:.1f}** | "
            + " | ".join(f"{row['cpu_ms'][n]:.1f}" for n in names)
            + " |"
        )
    at_rest = rest["cpu"]
    python = sum(v for k, v in at_rest.items() if k != "rabbitmq")
    lines += [
        "",
        f"At rest over {rest['seconds']:.0f} s: the suite's processes **{python * 100:.1f}% of one core** "
        f"(beam.smp, shared: {at_rest.get('rabbitmq', 0) * 100:.1f}%), {rest['db_per_s']:.1f} DB commands/s: "
        + ", ".join(f"{k} {v * 100:.1f}%" for k, v in at_rest.items())
        + ".",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=60, help="per client and write kind (reads: three times)")
    parser.add_argument("--rest", type=float, default=60, help="seconds of the suite at rest")
    parser.add_argument("--quick", action="store_true", help="30 requests per client and kind (a run of ~3 min)")
    parser.add_argument("--out", default=None, help="also write the table to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests = 30
    command = ".venv/bin/python bench/cost.py " + " ".join(argv if argv is not None else sys.argv[1:])
    rows, rest, echo = run(args)
    text = table(args, rows, rest, echo, command.strip())
    print(text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
