"""GET /api/v1/posts/{code} through the whole stack, next to the bare nameko HTTP→RPC echo.

.venv/bin/python bench/gateway_bench.py [--clients 10] [--requests 300]
"""

import argparse
import json
import platform
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import echo_baseline, load, write_results  # noqa: E402
from tests.harness import Suite  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--requests", type=int, default=300, help="per client")
    args = parser.parse_args()

    suite = Suite(LOG_LEVEL="WARNING").start()
    try:
        api = suite.api
        api.principal("org", "org")
        unit, post = f"U-{uuid.uuid4().hex[:6]}", f"P-{uuid.uuid4().hex[:6]}"
        api.post("/api/v1/units", {"code": unit, "name": "bench"}, as_="org").raise_for_status()
        api.post(
            "/api/v1/posts",
            {"code": post, "unit": unit, "title": "t", "rank": "section", "category": "promotion", "headcount": 3},
            as_="org",
        ).raise_for_status()
        headers = {"Authorization": f"Bearer {api.tokens['org']}"}
        url = f"{suite.base}/api/v1/posts/{post}"
        real = load(lambda s, i: s.get(url, headers=headers, timeout=30), args.clients, args.requests)
    finally:
        suite.stop()
    time.sleep(1)
    echo = echo_baseline(args.clients, args.requests)
    ratio = real["rps"] / echo["rps"]
    command = f".venv/bin/python bench/gateway_bench.py --clients {args.clients} --requests {args.requests}"
    text = (
        f"## Gateway: GET /api/v1/posts/{{code}} vs bare echo ({time.strftime('%Y-%m-%d')})\n\n"
        f"Command: `{command}` on {platform.machine()}, {args.clients} concurrent clients, "
        f"{args.clients * args.requests} requests each side, same run.\n\n"
        "| | req/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|\n"
        f"| bare nameko HTTP→RPC echo | {echo['rps']} | {echo['p50_ms']} | {echo['p99_ms']} | {echo['errors']} |\n"
        f"| gateway → nomination → database | {real['rps']} | {real['p50_ms']} | {real['p99_ms']} | {real['errors']} |\n\n"
        f"Ratio real/echo throughput: **{ratio:.2f}** (target ≥ 0.60).\n"
    )
    print(text)
    print(json.dumps({"echo": echo, "real": real, "ratio": round(ratio, 3)}))
    write_results("gateway", text)


if __name__ == "__main__":
    main()
