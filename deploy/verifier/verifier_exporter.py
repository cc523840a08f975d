"""Runs the independent records verifier on a schedule and exports its outcome as Prometheus metrics.

    python deploy/verifier/verifier_exporter.py --url http://gateway:8000 [--interval 300] [--port 9105]

It runs the verifier an outside reader runs, in monitor mode: ``python -m services.records.verify --url URL
--state FILE --follow INTERVAL`` (no token: the public checks — note signature, witness cosignatures,
root from the hash tiles — and consistency of each new checkpoint with the last). Each line it prints
is one check: ``OK`` → 0, ``FAIL`` → 1 (a split view or a tampered log: the monitor exits on the first
one), ``ERROR`` → 2 (unreachable); that becomes ``cadre_verifier_last_exit_code``, which the alerts
CadreVerifierFailure/CadreVerifierNotRunning watch. When the monitor exits it is started again after
INTERVAL seconds. The state file keeps the last verified checkpoint so a shrinking or forked log is
caught across restarts too.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from prometheus_client import Counter, Gauge, start_http_server

REPO = Path(__file__).resolve().parents[2]
OUTCOMES = {0: "ok", 1: "failed", 2: "unreachable"}

LAST_EXIT = Gauge(
    "cadre_verifier_last_exit_code", "Exit status of the last verifier run (0 ok, 1 check failed, 2 unreachable)."
)
LAST_SUCCESS = Gauge(
    "cadre_verifier_last_success_timestamp_seconds", "Unix time of the last run whose checks all held."
)
LAST_DURATION = Gauge("cadre_verifier_last_duration_seconds", "How long the last verifier run took.")
RUNS = Counter("cadre_verifier_runs_total", "Verifier runs by outcome.", ["outcome"])


def record(code, line, duration):
    LAST_DURATION.set(duration)
    LAST_EXIT.set(code)
    RUNS.labels(OUTCOMES.get(code, "failed")).inc()
    if code == 0:
        LAST_SUCCESS.set(time.time())
    # the verifier prints one line a check with no personal data: the log keeps it for whoever investigates
    print(f"verifier exit {code}: {line}", flush=True)


def outcome(line):
    if line.startswith("OK"):
        return 0
    if line.startswith("FAIL"):
        return 1
    return 2


def follow(url, state, interval):
    """Run the monitor until it exits; every line it prints is one check's outcome. Returns its exit status."""
    env = dict(os.environ, PYTHONPATH=os.environ.get("PYTHONPATH") or str(REPO))
    env.pop("CADRE_TOKEN", None)  # the monitor checks what anyone can: no account
    command = [
        sys.executable,
        "-m",
        "services.records.verify",
        "--url",
        url,
        "--state",
        state,
        "--follow",
        str(interval),
    ]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for raw in process.stdout:
            line = raw.strip()
            if line:
                record(outcome(line), line, time.monotonic() - started)
                started = time.monotonic()
        return process.wait()
    finally:
        # the exporter stopping (SIGTERM from the orchestrator) stops its monitor too
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        process.stdout.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("VERIFIER_URL", "http://gateway:8000"))
    parser.add_argument("--interval", type=float, default=float(os.environ.get("VERIFIER_INTERVAL_SECONDS", "300")))
    parser.add_argument("--port", type=int, default=int(os.environ.get("VERIFIER_METRICS_PORT", "9105")))
    parser.add_argument("--host", default=os.environ.get("VERIFIER_METRICS_HOST", "0.0.0.0"))
    parser.add_argument(
        "--state",
        default=os.environ.get(
            "VERIFIER_STATE", str(Path(os.environ.get("CADRE_DATA_DIR", "/var/lib/cadre")) / "verify-state.json")
        ),
    )
    args = parser.parse_args(argv)
    Path(args.state).parent.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    start_http_server(args.port, addr=args.host)
    while True:
        code = follow(args.url, args.state, args.interval)
        if code != 0:
            LAST_EXIT.set(code)
        time.sleep(args.interval)


if __name__ == "__main__":
    main()
