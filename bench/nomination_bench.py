"""Secret ballots through the whole stack: 10,000 ballots cast by 20 concurrent clients through the
gateway, then the session closed and tallied; the bare nameko HTTP→RPC echo measured in the same run.

    .venv/bin/python bench/nomination_bench.py [--ballots 10000] [--clients 20]

POST /api/v1/ballots is public and rate-limited per client address; every client here shares
127.0.0.1, so the suite runs with PUBLIC_RATE_PER_SECOND / PUBLIC_RATE_BURST raised to 1,000,000.
"""

import argparse
import json
import platform
import re
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import echo_baseline, load, write_results  # noqa: E402
from tests.harness import Suite  # noqa: E402

TALLIED = re.compile(r"tallied (\d+) ballots in ([0-9.]+)s")


def setup(api, candidates=5):
    api.principal("org", "org")

    def post(path, body, status=201):
        r = api.post(path, body, as_="org")
        assert r.status_code == status, r.text
        return r.json()

    unit, post_code = f"U-{uuid.uuid4().hex[:6]}", f"P-{uuid.uuid4().hex[:6]}"
    post("/api/v1/units", {"code": unit, "name": "bench"})
    post(
        "/api/v1/posts",
        {"code": post_code, "unit": unit, "title": "t", "rank": "section", "category": "promotion", "headcount": 3},
    )
    cadres = []
    for i in range(candidates):
        cadres.append(f"C-{uuid.uuid4().hex[:6]}")
        post(
            "/api/v1/cadres",
            {"code": cadres[-1], "name": f"n{i}", "unit": unit, "rank": "deputy_section", "grassroots_years": 5},
        )
    sel = post(
        "/api/v1/selections",
        {"post": post_code, "vacancies": 1, "competitive": False, "motion": {"proposed_by": "a", "reason": "b"}},
    )["id"]
    post(
        f"/api/v1/selections/{sel}/qualification",
        {"conditions": {"min_rank": "clerk", "min_grassroots_years": 0}, "scope": [unit]},
        200,
    )
    for source in ("leader_in_charge", "grassroots"):
        post(f"/api/v1/selections/{sel}/consultations", {"source": source, "opinion": "ok"}, 200)
    return sel, cadres


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballots", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    per_client = args.ballots // args.clients
    ballots = per_client * args.clients

    suite = Suite(
        LOG_LEVEL="INFO", PUBLIC_RATE_PER_SECOND=1_000_000, PUBLIC_RATE_BURST=1_000_000, RPC_TIMEOUT_SECONDS=30
    ).start()
    try:
        api = suite.api
        sel, cadres = setup(api)
        started = time.perf_counter()
        r = api.post(
            f"/api/v1/selections/{sel}/ballot-sessions",
            {"kind": "democratic", "electorate": ballots, "seats": 2, "candidates": cadres},
            as_="org",
            timeout=120,
        )
        assert r.status_code == 201, r.text
        open_seconds = time.perf_counter() - started
        session, tokens = r.json()["id"], r.json()["tokens"]
        url = f"{suite.base}/api/v1/ballots"

        def ballot(http, i):
            # every 10th ballot over-marked (3 choices for 2 seats): cast, and counted invalid
            choices = cadres[i % 5 : i % 5 + 3] if i % 10 == 0 else [cadres[i % 5], cadres[(i + 1) % 5]]
            return http.post(url, json={"token": tokens[i], "choices": choices}, timeout=60)

        cast = load(ballot, args.clients, per_client, warmup=0)
        started = time.perf_counter()
        r = api.post(f"/api/v1/ballot-sessions/{session}/close", as_="org", timeout=120)
        close_seconds = time.perf_counter() - started
        assert r.status_code == 200, r.text
        tally = r.json()
        time.sleep(1)
        logged = TALLIED.findall(suite.log_path.read_text(errors="replace"))
        tally_seconds = float(logged[-1][1]) if logged else None
    finally:
        suite.stop()
    time.sleep(1)
    echo = echo_baseline(args.clients, 200)
    command = f".venv/bin/python bench/nomination_bench.py --ballots {args.ballots} --clients {args.clients}"
    ratio = cast["rps"] / echo["rps"]
    text = (
        f"## Nomination: secret ballots ({time.strftime('%Y-%m-%d')})\n\n"
        f"Command: `{command}` on {platform.machine()} ({platform.python_version()}), a 2-core machine shared "
        f"with other engineers' suites. The suite runs with `PUBLIC_RATE_PER_SECOND=1000000` and "
        f"`PUBLIC_RATE_BURST=1000000`: `POST /api/v1/ballots` is public and rate-limited per client address, "
        f"and all {args.clients} clients here come from 127.0.0.1.\n\n"
        f"- session of {ballots} tokens opened (tokens generated, {ballots} keyed hashes stored) in "
        f"{open_seconds:.2f} s\n"
        f"- {cast['requests']} ballots cast by {args.clients} concurrent clients in {cast['seconds']} s: "
        f"**{cast['rps']} ballots/s**, p50 {cast['p50_ms']} ms, p99 {cast['p99_ms']} ms, {cast['errors']} errors\n"
        f"- close: {close_seconds:.3f} s round trip through the gateway; the tally itself (reading and counting "
        f"{tally['cast']} ballots in the service) **{tally_seconds if tally_seconds is not None else 'n/a'} s** "
        f"(target < 1 s)\n"
        f"- tally: cast {tally['cast']}, valid {tally['valid']}, invalid {tally['invalid']}, "
        f"turnout {tally['turnout']:.3f}, quorum_met {tally['quorum_met']}\n"
        f"- bare nameko HTTP→RPC echo, same run, {args.clients} clients: {echo['rps']} req/s "
        f"(ballots/echo: {ratio:.2f}; a ballot is 3 reads and 2 writes on the database: the used-token mark and the one atomic bucket update)\n"
    )
    print(text)
    print(
        json.dumps(
            {
                "cast": cast,
                "echo": echo,
                "close_seconds": close_seconds,
                "tally_seconds": tally_seconds,
                "tally": {k: tally[k] for k in ("cast", "valid", "invalid", "quorum_met")},
            }
        )
    )
    write_results("nomination", text)


if __name__ == "__main__":
    main()
