"""CPU per request of every process of the suite, database round trips and throughput, per write kind and a read.

Starts the suite as `make run` starts it (tests.harness.Suite, DB_COMMAND_METRICS=1), prepares what each
workload needs, then drives each one closed-loop at ``--clients`` clients and reads the CPU-seconds of every
process from /proc (gateway, each service, the witness, the nx-27017 database and RabbitMQ's beam.smp) before
and after, waiting for the events a workload set off to be handled. The at-rest CPU of each process (measured
first, over ``--rest`` seconds) is subtracted from each workload's window. The bare nameko HTTP→RPC echo is
measured in the same run at the same client count. Hold /tmp/cadre-suite.lock around it:

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
from datetime import datetime, timezone
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import echo_baseline, load  # noqa: E402
from services.examination.sealing import keygen, seal_sheet  # noqa: E402
from tests.harness import Suite  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
PROCESSES = ("gateway", "nomination", "examination", "supervision", "records", "witness", "database")
DEPARTMENTS = ("discipline", "audit", "family_planning", "petition")


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


class Client:
    """Keyed POSTs and GETs as a principal, the way tests/faults' workload makes them."""

    def __init__(self, suite):
        self.base, self.tokens = suite.base, suite.api.tokens

    def headers(self, as_=None, keyed=True):
        headers = {"X-Request-ID": str(uuid.uuid4())}
        if as_:
            headers["Authorization"] = f"Bearer {self.tokens[as_]}"
        if keyed:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        return headers

    def post(self, session, path, body, as_=None, keyed=True):
        return session.post(self.base + path, json=body, headers=self.headers(as_, keyed), timeout=30)

    def ok(self, response, status=(200, 201, 202)):
        assert response.status_code in status, f"{response.status_code} {response.text[:300]}"
        return response.json() if response.content else None


def prepare(suite, client, n, clients):
    """Everything the measured writes need, made before any measurement (in parallel, not measured)."""
    s = requests.Session()
    tag = uuid.uuid4().hex[:6]
    unit = f"CU-{tag}"
    client.ok(client.post(s, "/api/v1/units", {"code": unit, "name": "bench"}, "org"))
    cadre = f"CC-{tag}"
    client.ok(
        client.post(
            s,
            "/api/v1/cadres",
            {"code": cadre, "name": "Bench Cadre", "unit": unit, "rank": "deputy_section", "grassroots_years": 5},
            "org",
        )
    )
    post = f"CP-{tag}"
    client.ok(
        client.post(
            s,
            "/api/v1/posts",
            {"code": post, "unit": unit, "title": "t", "rank": "section", "category": "promotion", "headcount": 3},
            "org",
        )
    )
    reviews_needed = -(-n // len(DEPARTMENTS))

    def selection(i):
        session = requests.Session()
        code = f"CP-{tag}-{i}"
        client.ok(
            client.post(
                session,
                "/api/v1/posts",
                {"code": code, "unit": unit, "title": "t", "rank": "section", "category": "promotion", "headcount": 1},
                "org",
            )
        )
        return client.ok(
            client.post(
                session,
                "/api/v1/selections",
                {
                    "post": code,
                    "vacancies": 1,
                    "competitive": False,
                    "motion": {"proposed_by": "Secretary Li", "reason": "vacancy"},
                },
                "org",
            )
        )["id"]

    with ThreadPoolExecutor(clients) as pool:
        selections = list(pool.map(selection, range(n + reviews_needed + 1)))
    world = {
        "unit": unit,
        "cadre": cadre,
        "post": post,
        "fresh": selections[:n],
        "walk": selections[n : n + reviews_needed],
        "ballot_selection": selections[-1],
    }
    return world


def walk_to_review(client, world, sel, electorate=3, ballots=True):
    """From created to a joint review open (or to a ballot session with ``electorate`` tokens)."""
    s = requests.Session()
    unit, cadre = world["unit"], world["cadre"]
    client.ok(
        client.post(
            s,
            f"/api/v1/selections/{sel}/qualification",
            {"conditions": {"min_rank": "clerk", "min_grassroots_years": 2}, "scope": [unit]},
            "org",
        )
    )
    for source in ("leader_in_charge", "grassroots"):
        client.ok(
            client.post(s, f"/api/v1/selections/{sel}/consultations", {"source": source, "opinion": "agreed"}, "org")
        )
    session = client.ok(
        client.post(
            s,
            f"/api/v1/selections/{sel}/ballot-sessions",
            {"kind": "democratic", "electorate": electorate, "seats": 1, "candidates": [cadre]},
            "org",
        )
    )
    if not ballots:
        return session
    for token in session["tokens"]:
        client.ok(client.post(s, "/api/v1/ballots", {"token": token, "choices": [cadre]}, keyed=False))
    client.ok(client.post(s, f"/api/v1/ballot-sessions/{session['id']}/close", None, "org"))
    client.ok(
        client.post(
            s,
            f"/api/v1/selections/{sel}/nominations",
            {
                "cadre": cadre,
                "basis": {"ballot_session": session["id"]},
                "disclosure": {"personal_matters_reported": True},
                "relations": [],
            },
            "org",
        )
    )
    client.ok(
        client.post(
            s,
            f"/api/v1/selections/{sel}/deliberation",
            {
                "meeting": {
                    "held_at": datetime.now(timezone.utc).isoformat(),
                    "place": "Room 3",
                    "attendees": 9,
                    "present": 7,
                },
                "nominees": [cadre],
            },
            "org",
        )
    )
    client.ok(
        client.post(
            s,
            f"/api/v1/selections/{sel}/inspection",
            {"reports": [{"cadre": cadre, "summary": "sound", "rating": 80}]},
            "org",
        )
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = s.get(
            f"{client.base}/api/v1/reviews", params={"selection": sel}, headers=client.headers("org", False), timeout=30
        )
        items = r.json().get("items", []) if r.status_code == 200 else []
        if items:
            return items[0]["id"]
        time.sleep(0.3)
    raise RuntimeError(f"no review for {sel}")


def prepare_sheets(suite, client, n):
    s = requests.Session()
    api = suite.api
    officers = [f"officer-{uuid.uuid4().hex[:6]}" for _ in range(2)]
    for name in officers:
        api.principal(name, "officer")
    campaign = f"CB-{uuid.uuid4().hex[:6]}"
    created = client.ok(
        client.post(
            s,
            "/api/v1/campaigns",
            {
                "code": campaign,
                "title": "bench",
                "posts": [{"code": "P0", "title": "Post", "seats": 2}],
                "weights": {"written": 0.6, "interview": 0.4},
                "interview_ratio": 3,
                "unseal": {"not_before": "2099-01-01T00:00:00+00:00", "threshold": 2, "officers": officers},
            },
            "org",
        )
    )
    vendor, keys = f"CV-{uuid.uuid4().hex[:6]}", keygen()
    client.ok(
        client.post(
            s,
            "/api/v1/vendors",
            {
                "code": vendor,
                "name": "Grading firm",
                "roles": ["grading"],
                "signing_key": keys.verify_key,
                "affiliations": [],
            },
            "org",
        )
    )
    client.ok(client.post(s, f"/api/v1/campaigns/{campaign}/vendors", {"vendor": vendor, "role": "grading"}, "org"))
    api.principal(vendor, "vendor")
    bodies = [
        seal_sheet(
            campaign,
            "written",
            f"{vendor}/g{i}",
            [{"blind_code": f"B{i:05d}", "score": 71.5}],
            created["public_key"],
            keys.signing_key,
        )
        for i in range(n)
    ]
    return campaign, vendor, bodies


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
