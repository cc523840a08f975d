"""Run the whole suite on one machine as production runs it: broker, database, four services
the gateway and one witness of the records log as separate processes, logs prefixed by name, stopped cleanly on Ctrl-C.

    python scripts/suite.py            # what `make run` does
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from services.common import config  # noqa: E402

SERVICES = {
    "nomination": "services.nomination.service:NominationService",
    "examination": "services.examination.service:ExaminationService",
    "supervision": "services.supervision.service:SupervisionService",
    "records": "services.records.service:RecordsService",
    "gateway": "gateway.service:GatewayService",
}
VENV = REPO / ".venv"
DB_VENV = REPO / ".venv-db"


def say(message):
    print(f"[suite] {message}", flush=True)


def port_open(host, port, timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(host, port, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if port_open(host, port):
            return True
        time.sleep(0.2)
    return False


def ensure_broker():
    """Make sure RabbitMQ answers at AMQP_URI: start it, or install it, or say why not."""
    uri = urlparse(config.amqp_uris()[0])
    host, port = uri.hostname or "127.0.0.1", uri.port or 5672
    if port_open(host, port):
        return
    if host not in ("127.0.0.1", "localhost"):
        sys.exit(f"[suite] no RabbitMQ answers at {host}:{port}; start it or fix AMQP_URI")
    if not shutil.which("rabbitmq-server"):
        if shutil.which("apt-get") and os.geteuid() == 0:
            say("installing rabbitmq-server with apt-get")
            subprocess.run(["apt-get", "update", "-qq"], check=False)
            subprocess.run(["apt-get", "install", "-y", "-qq", "rabbitmq-server"], check=True)
        else:
            sys.exit("[suite] RabbitMQ is not running and not installed; install rabbitmq-server or set AMQP_URI")
    say("starting rabbitmq-server")
    subprocess.run(["rabbitmq-server", "-detached"], check=False)
    if not wait_for_port(host, port, 90):
        sys.exit(f"[suite] rabbitmq-server did not open {host}:{port} within 90 s")
    # the port opens a little before the broker accepts logins
    time.sleep(3)


def environment(**overrides):
    env = dict(os.environ)
    env.update({k: str(v) for k, v in overrides.items()})
    env["PYTHONPATH"] = str(REPO)
    env.setdefault("PYTHONWARNINGS", "ignore")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def database_command(env):
    data = Path(env.get("CADRE_DATA_DIR") or config.DEFAULTS["CADRE_DATA_DIR"]) / "mongo"
    data.mkdir(parents=True, exist_ok=True)
    port = env.get("MONGODB_PORT") or config.DEFAULTS["MONGODB_PORT"]
    return [
        str(DB_VENV / "bin" / "nx-27017"),
        "--host",
        "127.0.0.1",
        "-p",
        str(port),
        "--data-dir",
        str(data),
        "--pid-file",
        str(data / "nx.pid"),
        "--log-file",
        str(data / "nx.log"),
    ]


def replicas(env):
    """``CADRE_REPLICAS`` (e.g. ``nomination=2,gateway=2``): how many processes of each service to run, one when
    unnamed. Replica k > 1 is named ``<service>-<k>`` and takes its ports from ``<PORT SETTING>_<k>`` when set,
    else the first replica's port plus k - 1."""
    counts = dict(item.split("=", 1) for item in (env.get("CADRE_REPLICAS") or "").replace(" ", "").split(",") if item)
    return {name: max(1, int(counts.get(name, 1))) for name in SERVICES}


def replica_environment(env, name):
    """The environment of one process: a second replica listens on its own gateway or metrics port."""
    service, _, k = name.partition("-")
    if not k:
        return env
    setting = "GATEWAY_PORT" if service == "gateway" else f"{service.upper()}_METRICS_PORT"
    first = env.get(setting) or config.DEFAULTS[setting]
    return dict(env, **{setting: env.get(f"{setting}_{k}") or str(int(first) + int(k) - 1)})


def service_command(name):
    name = name.split("-", 1)[0]
    if name == "witness":
        return [str(VENV / "bin" / "python"), "-m", "services.records.witness"]
    return [str(VENV / "bin" / "nameko"), "run", "--config", str(REPO / "config.yaml"), SERVICES[name]]


def witness_environment(env):
    """The one witness `make run` starts (the discipline inspection commission's), with its own key and
    data directory; records is told to submit to it unless RECORDS_WITNESSES says otherwise."""
    from services.records.log.note import log_vkey, witness_vkey
    from services.records.store import load_signing_key
    from services.records.witness import load_key

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        log_key = load_signing_key()
        data_dir = env.get("WITNESS_DATA_DIR") or str(
            Path(env.get("CADRE_DATA_DIR") or config.DEFAULTS["CADRE_DATA_DIR"]) / "witness-discipline"
        )
        witness_key = load_key(data_dir, env.get("WITNESS_SIGNING_KEY"))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    origin = env.get("RECORDS_LOG_ORIGIN") or config.DEFAULTS["RECORDS_LOG_ORIGIN"]
    name = env.get("WITNESS_NAME") or config.DEFAULTS["WITNESS_NAME"]
    host = env.get("WITNESS_HOST") or config.DEFAULTS["WITNESS_HOST"]
    port = env.get("WITNESS_PORT") or config.DEFAULTS["WITNESS_PORT"]
    env.setdefault("WITNESS_LOGS", log_vkey(origin, log_key))
    env["WITNESS_DATA_DIR"] = data_dir
    env.setdefault("RECORDS_WITNESSES", f"{witness_vkey(name, witness_key)}@http://{host}:{port}")
    return env


class Suite:
    """The running processes, each with its output copied line by line behind its name."""

    def __init__(self, env=None):
        self.env = env or environment()
        self.procs = {}

    def _pipe(self, name, stream):
        for line in iter(stream.readline, b""):
            sys.stdout.write(f"[{name}] {line.decode('utf-8', 'replace')}")
            sys.stdout.flush()

    def spawn(self, name, command, quiet=False):
        base = name.split("-", 1)[0]
        env = dict(replica_environment(self.env, name), CADRE_SERVICE=base)
        # a broker user of its own, as in deployment (deploy/rabbitmq/permissions/)
        env["AMQP_URI"] = self.env.get(f"{base.upper()}_AMQP_URI") or env.get("AMQP_URI", "")
        if not env["AMQP_URI"]:
            del env["AMQP_URI"]
        output = subprocess.DEVNULL if quiet else subprocess.PIPE
        proc = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        if not quiet:
            threading.Thread(target=self._pipe, args=(name, proc.stdout), daemon=True).start()
        self.procs[name] = proc
        run_dir = Path(self.env.get("CADRE_DATA_DIR") or config.DEFAULTS["CADRE_DATA_DIR"]) / "run"
        run_dir.mkdir(parents=True, exist_ok=True)
        # written whole or not at all: whoever reads it while a restart rewrites it sees the old pid or the new one
        partial = run_dir / f".{name}.pid.{proc.pid}"
        partial.write_text(str(proc.pid))
        os.replace(partial, run_dir / f"{name}.pid")
        return proc

    def start(self):
        if not self.env.get("MONGODB_URI"):
            port = int(self.env.get("MONGODB_PORT") or config.DEFAULTS["MONGODB_PORT"])
            if port_open("127.0.0.1", port):
                say(f"a database already answers on 127.0.0.1:{port}; using it")
            else:
                # nx-27017 logs every command; its own log file keeps that out of the suite's output
                self.spawn("database", database_command(self.env), quiet=True)
                if not wait_for_port("127.0.0.1", port, 30):
                    raise SystemExit("[suite] the embedded database did not start")
        witness_environment(self.env)
        self.spawn("witness", service_command("witness"))
        for name, count in replicas(self.env).items():
            for k in range(1, count + 1):
                replica = name if k == 1 else f"{name}-{k}"
                self.spawn(replica, service_command(replica))

    def wait_healthy(self, seconds=90):
        url = f"http://{self.env.get('GATEWAY_HOST') or '127.0.0.1'}:{self.env.get('GATEWAY_PORT') or 8000}/health"
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=3) as response:
                    if response.status == 200:
                        return url
            except Exception:
                pass
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise SystemExit(f"[suite] {name} exited with {proc.returncode}")
            time.sleep(0.5)
        raise SystemExit(f"[suite] the gateway did not become healthy within {seconds} s")

    def supervise(self, stopping):
        """Restart a process that died (as an orchestrator would), backing off while it keeps dying."""
        backoff = {name: 1.0 for name in self.procs}
        while not stopping.is_set():
            for name, proc in list(self.procs.items()):
                if proc.poll() is None or name == "database":
                    continue
                say(f"{name} exited with {proc.returncode}; restarting in {backoff[name]:g} s")
                if stopping.wait(backoff[name]):
                    return
                started = time.monotonic()
                self.spawn(name, service_command(name))
                backoff[name] = 1.0 if time.monotonic() - started > 60 else min(backoff[name] * 2, 30)
            stopping.wait(0.5)

    def stop(self):
        # services first, the database last, so nothing writes to a database that is going away
        services = [name for name in self.procs if name != "database"]
        for group in (services, [name for name in self.procs if name == "database"]):
            for name in group:
                if self.procs[name].poll() is None:
                    self.procs[name].send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for name in group:
                try:
                    self.procs[name].wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    self.procs[name].kill()
                    self.procs[name].wait()


def main():
    ensure_broker()
    suite = Suite()
    stopping = threading.Event()

    def on_signal(signum, frame):
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    suite.start()
    try:
        url = suite.wait_healthy()
        say(f"gateway listening on {url.rsplit('/', 1)[0]}  (Ctrl-C stops everything)")
        suite.supervise(stopping)
    finally:
        say("stopping")
        suite.stop()
        say("stopped")


if __name__ == "__main__":
    main()
