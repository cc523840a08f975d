"""Test harness: a throw-away suite (own vhost, own database on a free port, own data dir),
started as `make run` starts it, and an HTTP client for it."""

import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

REPO = Path(__file__).resolve().parents[1]
PYTHON = str(REPO / ".venv" / "bin" / "python")
sys.path.insert(0, str(REPO))

SERVICES = ("nomination", "examination", "supervision", "records", "gateway", "witness")


_HANDED_OUT = set()


def free_port():
    """A port free now, below Linux's ephemeral range (so no client's source port takes it before the
    suite binds it) and never handed out twice by this process. Under pytest-xdist each worker takes
    only ports of its own residue modulo the worker count, so two workers never pick the same one."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    mine = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0) % workers
    while True:
        port = random.randrange(20000, 32000)
        if port % workers != mine or port in _HANDED_OUT:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port


def rabbitmqctl(*args):
    return subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=60)


def new_vhost():
    """A fresh RabbitMQ vhost, so no queue of another run (or of `make run`) is shared."""
    vhost = f"cadre-test-{uuid.uuid4().hex[:10]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    return vhost


def drop_vhost(vhost):
    rabbitmqctl("delete_vhost", vhost)


class SourceAddress(HTTPAdapter):
    """Connect from a chosen loopback address, so the gateway sees a different client."""

    def __init__(self, address, **kwargs):
        self.address = address
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def client(address):
    """A requests session whose connections come from ``address`` (127.0.0.x): another client to the gateway."""
    session = requests.Session()
    session.mount("http://", SourceAddress(address))
    return session


class Api:
    """requests against the gateway, with a token per principal."""

    def __init__(self, base, env):
        self.base = base
        self.env = env
        self.tokens = {}
        self.session = requests.Session()

    def principal(self, name, role):
        """Create (once) a principal with the admin CLI, exactly as an operator would."""
        if name not in self.tokens:
            out = subprocess.run(
                [PYTHON, "-m", "gateway.admin", "create-principal", "--name", name, "--role", role],
                cwd=REPO,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert out.returncode == 0, out.stderr
            self.tokens[name] = json.loads(out.stdout)["token"]
        return self.tokens[name]

    def request(self, method, path, as_=None, token=None, json_body=None, **kwargs):
        headers = dict(kwargs.pop("headers", {}) or {})
        token = token or (self.tokens[as_] if as_ else None)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, self.base + path, json=json_body, headers=headers, **kwargs)

    def get(self, path, as_=None, **kwargs):
        return self.request("GET", path, as_=as_, **kwargs)

    def post(self, path, body=None, as_=None, **kwargs):
        return self.request("POST", path, as_=as_, json_body=body, **kwargs)


class Suite:
    """The whole suite as `make run` starts it (scripts/suite.py), in a sandbox of its own."""

    def __init__(self, **extra_env):
        self.data_dir = Path(tempfile.mkdtemp(prefix="cadre-test-"))
        self.vhost = new_vhost()
        self.ports = {
            "GATEWAY_PORT": free_port(),
            "MONGODB_PORT": free_port(),
            "NOMINATION_METRICS_PORT": free_port(),
            "EXAMINATION_METRICS_PORT": free_port(),
            "SUPERVISION_METRICS_PORT": free_port(),
            "RECORDS_METRICS_PORT": free_port(),
            "WITNESS_PORT": free_port(),
        }
        env = dict(os.environ)
        env.pop("MONGODB_URI", None)
        env.update({k: str(v) for k, v in self.ports.items()})
        env.update(
            {
                "AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{self.vhost}",
                "CADRE_DATA_DIR": str(self.data_dir),
                "PYTHONPATH": str(REPO),
                "PYTHONWARNINGS": "ignore",
                "RPC_TIMEOUT_SECONDS": "5",
            }
        )
        env.update({k: str(v) for k, v in extra_env.items()})
        self.env = env
        self.base = f"http://127.0.0.1:{self.ports['GATEWAY_PORT']}"
        self.bases = [self.base]
        self.api = Api(self.base, env)
        self.proc = None
        self.log_path = self.data_dir / "suite.log"

    def start(self, timeout=120):
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [PYTHON, str(REPO / "scripts" / "suite.py")],
            cwd=REPO,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout=120):
        """Until every gateway of ``bases`` answers /health (one, or two for a ReplicatedSuite)."""
        deadline = time.monotonic() + timeout
        waiting = list(self.bases)
        while waiting and time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"suite exited early:\n{self.tail()}")
            try:
                if requests.get(waiting[0] + "/health", timeout=5).status_code == 200:
                    waiting.pop(0)
                    continue
            except requests.RequestException:
                pass
            time.sleep(0.5)
        if waiting:
            raise RuntimeError(f"{waiting[0]} not healthy within {timeout}s:\n{self.tail()}")

    def pid(self, name):
        return int((self.data_dir / "run" / f"{name}.pid").read_text())

    def kill(self, name, sig=signal.SIGKILL):
        """Kill one process; the suite's supervisor restarts it, as an orchestrator would."""
        os.kill(self.pid(name), sig)

    def tail(self, lines=80):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        # anything the supervisor restarted after the test killed it
        for name in (*SERVICES, "database"):
            try:
                os.kill(self.pid(name), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        drop_vhost(self.vhost)


class ReplicatedSuite(Suite):
    """The suite with two processes of each service named (``CADRE_REPLICAS``), as deployed behind a
    load balancer: ``bases`` are the two gateways' addresses when the gateway is one of them."""

    def __init__(self, replicated, **extra_env):
        self.replicated = tuple(replicated)
        second = {f"{s.upper()}_METRICS_PORT_2": free_port() for s in self.replicated if s != "gateway"}
        if "gateway" in self.replicated:
            second["GATEWAY_PORT_2"] = free_port()
        super().__init__(CADRE_REPLICAS=",".join(f"{s}=2" for s in self.replicated), **{**second, **extra_env})
        self.bases = [self.base] + (
            [f"http://127.0.0.1:{second['GATEWAY_PORT_2']}"] if "GATEWAY_PORT_2" in second else []
        )

    def stop(self):
        super().stop()
        for name in (f"{s}-2" for s in self.replicated):
            try:
                os.kill(self.pid(name), signal.SIGKILL)
            except (OSError, ValueError):
                pass


@contextlib.contextmanager
def scratch_database(suite, prefix):
    """mongoengine in the test's own process, on a new database of the suite's server: for tests that run a
    service's store code by hand (an interleaving no request can force) against the real nx-27017."""
    import mongoengine

    mongoengine.connect(
        db=f"{prefix}_{uuid.uuid4().hex[:8]}",
        host=f"mongodb://127.0.0.1:{suite.ports['MONGODB_PORT']}/",
        alias="default",
        tz_aware=True,
    )
    try:
        yield
    finally:
        mongoengine.disconnect(alias="default")
        # disconnect forgets the collections only of the documents its registry finds by name, and two
        # services have a document named Selection: forget every one, or the next database gets the old one
        documents = [mongoengine.Document]
        while documents:
            document = documents.pop()
            document._collection = None
            documents.extend(document.__subclasses__())


def entrypoint_runs(suite, service, entrypoint, replica=1):
    """How many workers of ``service``'s ``entrypoint`` (an event handler, a timer, an RPC) have ended, whatever
    their outcome, as the process's /metrics counts them (``replica=2``: the second process of a
    ReplicatedSuite). A worker is counted after its effect is written, so waiting for this to grow by n is
    waiting for n more events handled (or ticks run) by that process."""
    setting = service.upper() + "_METRICS_PORT" + ("" if replica == 1 else f"_{replica}")
    port = suite.ports[setting] if replica == 1 else suite.env[setting]
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    labels = (f'service="{service}"', f'entrypoint="{entrypoint}"')
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("cadre_entrypoint_requests_total{") and all(label in line for label in labels)
    )


def ran_again(suite, service, entrypoint, before, times=1, timeout=30):
    """Wait until ``entrypoint`` of ``service`` has ended ``times`` more workers than ``before`` counted."""
    return eventually(lambda: entrypoint_runs(suite, service, entrypoint) >= before + times, timeout=timeout)


def eventually(check, timeout=15, interval=0.2):
    """Poll ``check`` until it returns a truthy value; that value, or AssertionError at the deadline."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except AssertionError as exc:
            last = exc
        time.sleep(interval)
    raise AssertionError(f"not true within {timeout}s: {last!r}")
