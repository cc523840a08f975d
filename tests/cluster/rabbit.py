"""Three RabbitMQ nodes on this machine, joined into one cluster, from the installed rabbitmq-server: own node
names, AMQP, distribution and management ports, data directories and one Erlang cookie (in a HOME of their own,
so the machine's default node on 5672 and its cookie are never touched)."""

import atexit
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from tests.harness import REPO, free_port

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"  # the real script: the wrapper in /usr/sbin would su to rabbitmq
CTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"
DEPLOY = REPO / "deploy" / "rabbitmq"


class Node:
    def __init__(self, cluster, n):
        self.cluster = cluster
        self.name = f"cadre-c{n}-{cluster.tag}@localhost"
        self.port, self.dist_port, self.mgmt_port = free_port(), free_port(), free_port()
        self.dir = cluster.dir / f"c{n}"
        self.dir.mkdir()
        # the deployment's own broker settings, plus this node's management port
        conf = (DEPLOY / "rabbitmq.conf").read_text()
        # The deployment runs RabbitMQ 4.1; the 3.10 installed here names the same setting (three members per
        # quorum queue) in the rabbit application's environment instead (see ``env``).
        conf = conf.replace("quorum_queue.initial_cluster_size = 3", "")
        (self.dir / "rabbitmq.conf").write_text(
            conf + f"\nmanagement.tcp.port = {self.mgmt_port}\nmanagement.tcp.ip = 127.0.0.1\n"
            f"listeners.tcp.default = {self.port}\n"
        )
        (self.dir / "enabled_plugins").write_text("[rabbitmq_management].\n")
        self.proc = None

    @property
    def env(self):
        env = dict(
            os.environ,
            HOME=str(self.cluster.dir),
            RABBITMQ_NODENAME=self.name,
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_CONFIG_FILE=str(self.dir / "rabbitmq.conf"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.dir / "enabled_plugins"),
            RABBITMQ_MNESIA_BASE=str(self.dir / "mnesia"),
            RABBITMQ_LOG_BASE=str(self.dir / "log"),
            RABBITMQ_PID_FILE=str(self.dir / "rabbit.pid"),
            RABBITMQ_LOGS=str(self.dir / "log" / "node.log"),
            # a node that fails to start dumps its state here, not into the checkout
            ERL_CRASH_DUMP=str(self.dir / "erl_crash.dump"),
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-rabbit quorum_cluster_size 3",
        )
        env.pop("RABBITMQ_CONF_ENV_FILE", None)
        return env

    def ctl(self, *args, timeout=120):
        return subprocess.run(
            [CTL, "-q", "-n", self.name, *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def start(self):
        (self.dir / "rabbit.pid").unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [SERVER],
            env=self.env,
            stdout=open(self.dir / "stdout.log", "ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait(self, timeout=120):
        deadline = time.monotonic() + timeout
        while not (self.dir / "rabbit.pid").exists():
            assert self.proc.poll() is None and time.monotonic() < deadline, (self.name, self.log_tail())
            time.sleep(0.5)
        out = self.ctl("wait", "--timeout", str(timeout), str(self.dir / "rabbit.pid"), timeout=timeout + 10)
        assert out.returncode == 0, (self.name, out.stdout, out.stderr, self.log_tail())
        out = self.ctl("await_startup", timeout=timeout)
        assert out.returncode == 0, (self.name, out.stdout, out.stderr, self.log_tail())

    def beam_pid(self):
        return int((self.dir / "rabbit.pid").read_text().strip())

    def kill9(self):
        """The Erlang VM and the script around it, as a crashed machine would."""
        for pid in (self.beam_pid(), self.proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except (OSError, ValueError):
                pass
        self.proc.wait(30)

    def stop(self):
        out = self.ctl("stop", timeout=60)
        if self.proc is not None:
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.kill9()
        return out.returncode

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines=30):
        try:
            text = (self.dir / "log" / "node.log").read_text(errors="replace")
        except OSError:
            text = (self.dir / "stdout.log").read_text(errors="replace") if (self.dir / "stdout.log").exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def api(self, path):
        r = requests.get(f"http://127.0.0.1:{self.mgmt_port}/api{path}", auth=("guest", "guest"), timeout=10)
        r.raise_for_status()
        return r.json()


class Cluster:
    """Three joined nodes; ``vhost`` configured by deploy/rabbitmq/setup.sh. Always ``teardown()`` (also at exit)."""

    def __init__(self, size=3):
        self.tag = secrets.token_hex(3)
        self.dir = Path(tempfile.mkdtemp(prefix="cadre-cluster-"))
        cookie = self.dir / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(16))
        cookie.chmod(0o400)
        self.nodes = [Node(self, n) for n in range(1, size + 1)]
        self.vhost = "cadre"
        atexit.register(self.teardown)
        self._previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGHUP)}

    def _on_signal(self, signum, frame):
        self.teardown()
        raise SystemExit(128 + signum)

    def start(self):
        for node in self.nodes:
            node.start()
        for node in self.nodes:
            node.wait()
        first = self.nodes[0]
        for node in self.nodes[1:]:
            for args in (("stop_app",), ("join_cluster", first.name), ("start_app",)):
                out = node.ctl(*args)
                assert out.returncode == 0, (node.name, args, out.stdout, out.stderr)
        status = first.ctl("cluster_status", "--formatter", "json")
        assert status.returncode == 0, status.stderr
        for node in self.nodes:
            assert node.name in status.stdout, status.stdout
        self.setup_vhost()
        return self

    def setup_vhost(self):
        """The vhost exactly as production makes it: deploy/rabbitmq/setup.sh against the management API."""
        env = dict(
            os.environ,
            RABBITMQ_API=f"http://127.0.0.1:{self.nodes[0].mgmt_port}/api",
            RABBITMQ_USER="guest",
            RABBITMQ_PASSWORD="guest",
            CADRE_VHOST=self.vhost,
        )
        out = subprocess.run(["sh", str(DEPLOY / "setup.sh")], env=env, capture_output=True, text=True, timeout=180)
        assert out.returncode == 0, out.stdout + out.stderr
        self.setup_output = out.stdout

    def amqp_uri(self, user="guest", password="guest"):
        """Every node, in order: kombu (so nameko) fails over to the next when one does not answer."""
        return ";".join(f"amqp://{user}:{password}@127.0.0.1:{n.port}/{self.vhost}" for n in self.nodes)

    def any_alive(self):
        return next(n for n in self.nodes if n.alive())

    def queues(self):
        return self.any_alive().api(f"/queues/{self.vhost}")

    def leaders(self):
        """Quorum queues led by each node."""
        counts = {n.name: 0 for n in self.nodes}
        for q in self.queues():
            if q.get("type") == "quorum" and q.get("leader") in counts:
                counts[q["leader"]] += 1
        return counts

    def node(self, name):
        return next(n for n in self.nodes if n.name == name)

    def wait_quorum(self, timeout=120):
        """Every quorum queue has all its members online again."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                qs = [q for q in self.queues() if q.get("type") == "quorum"]
                if qs and all(len(q.get("online", [])) == len(self.nodes) for q in qs):
                    return qs
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("quorum queues did not get all members back")
            time.sleep(1)

    def teardown(self):
        for node in self.nodes:
            if node.proc is not None and node.proc.poll() is None:
                try:
                    node.kill9()
                except Exception:
                    pass
        shutil.rmtree(self.dir, ignore_errors=True)
