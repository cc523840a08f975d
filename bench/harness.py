"""Benchmark harness: the bare echo baseline and a closed-loop load driver, measured in one run."""

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.harness import drop_vhost, free_port, new_vhost  # noqa: E402


class Echo:
    """The echo pair running as two nameko processes on a vhost of its own."""

    def __init__(self):
        self.vhost = new_vhost()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.procs = []

    def __enter__(self):
        env = dict(
            os.environ,
            PYTHONPATH=str(REPO),
            PYTHONWARNINGS="ignore",
            AMQP_URI=f"amqp://guest:guest@127.0.0.1:5672/{self.vhost}",
            GATEWAY_PORT=str(self.port),
            LOG_LEVEL="WARNING",
            CADRE_SERVICE="bench_echo",
        )
        self.log = tempfile.NamedTemporaryFile(prefix="echo-", suffix=".log", delete=False)
        for cls in ("EchoRpc", "EchoHttp"):
            self.procs.append(
                subprocess.Popen(
                    [
                        str(REPO / ".venv/bin/nameko"),
                        "run",
                        "--config",
                        str(REPO / "config.yaml"),
                        f"bench.echo_service:{cls}",
                    ],
                    cwd=REPO,
                    env=env,
                    stdout=self.log,
                    stderr=subprocess.STDOUT,
                )
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base + "/echo/ready", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError("echo baseline did not start")

    def __exit__(self, *exc):
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        drop_vhost(self.vhost)


def load(request_fn, clients, per_client, warmup=20):
    """Closed loop: ``clients`` threads each make ``per_client`` calls of ``request_fn(session, i)``,
    which returns a response. Returns throughput, latency percentiles (ms) and error count."""
    latencies, errors, lock = [], [0], threading.Lock()
    warm = requests.Session()
    for i in range(warmup):
        request_fn(warm, i)

    def client(n):
        session = requests.Session()
        mine = []
        for i in range(per_client):
            started = time.perf_counter()
            try:
                response = request_fn(session, n * per_client + i)
                ok = response.status_code < 400
            except requests.RequestException:
                ok = False
            mine.append(time.perf_counter() - started)
            if not ok:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 3),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "errors": errors[0],
    }


def echo_baseline(clients, per_client):
    with Echo() as echo:
        return load(lambda s, i: s.get(f"{echo.base}/echo/x{i % 10}", timeout=30), clients, per_client)


def write_results(name, text):
    path = REPO / "bench" / "results" / f"{name}.md"
    path.write_text(text)
    return path
