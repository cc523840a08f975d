"""Runs the independent records verifier on a schedule and exports its outcome as Prometheus metrics.

    python deploy/verifier/verifier_exporter.py --url http://gateway:8000 [--interval 300] [--port 9105]

Each run is ``python -m services.records.verify --url URL --state FILE`` (the same CLI an outside
auditor runs); its exit status becomes ``cadre_verifier_last_exit_code`` (0 all checks hold, 1 a check
failed, 2 the log could not be fetched), and the alerts CadreVerifierFailure/CadreVerifierNotRunning
watch it. The state file keeps the last verified checkpoint so a shrinking or forked log is caught.
"""
import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from prometheus_client import Counter, Gauge, start_http_server

REPO = Path(__file__).resolve().parents[2]
OUTCOMES = {0: "ok", 1: "failed", 2: "unreachable"}

LAST_EXIT = Gauge("cadre_verifier_last_exit_code", "Exit status of the last verifier run (0 ok, 1 check failed, 2 unreachable).")
LAST_SUCCESS = Gauge("cadre_verifier_last_success_timestamp_seconds", "Unix time of the last run whose checks all held.")
LAST_DURATION = Gauge("cadre_verifier_last_duration_seconds", "How long the last verifier run took.")
RUNS = Counter("cadre_verifier_runs_total", "Verifier runs by outcome.", ["outcome"])


def run_once(url, state, timeout):
    started = time.monotonic()
    env = dict(os.environ, PYTHONPATH=os.environ.get("PYTHONPATH") or str(REPO))
    try:
        done = subprocess.run([sys.executable, "-m", "services.records.verify", "--url", url, "--state", state],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
        code, line = done.returncode, (done.stdout or done.stderr).strip()
    except subprocess.TimeoutExpired:
        code, line = 2, f"verifier did not finish within {timeout}s"
    LAST_DURATION.set(time.monotonic() - started)
    LAST_EXIT.set(code)
    RUNS.labels(OUTCOMES.get(code, "failed")).inc()
    if code == 0:
        LAST_SUCCESS.set(time.time())
    # the verifier prints one line with no personal data: the log keeps it for whoever investigates
    print(f"verifier exit {code}: {line}", flush=True)
    return code


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("VERIFIER_URL", "http://gateway:8000"))
    parser.add_argument("--interval", type=float, default=float(os.environ.get("VERIFIER_INTERVAL_SECONDS", "300")))
    parser.add_argument("--port", type=int, default=int(os.environ.get("VERIFIER_METRICS_PORT", "9105")))
    parser.add_argument("--host", default=os.environ.get("VERIFIER_METRICS_HOST", "0.0.0.0"))
    parser.add_argument("--state", default=os.environ.get(
        "VERIFIER_STATE", str(Path(os.environ.get("CADRE_DATA_DIR", "/var/lib/cadre")) / "verify-state.json")))
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    Path(args.state).parent.mkdir(parents=True, exist_ok=True)
    start_http_server(args.port, addr=args.host)
    while True:
        run_once(args.url, args.state, args.timeout)
        time.sleep(args.interval)


if __name__ == "__main__":
    main()
