"""The suite as deployed (issue 19): a three-node RabbitMQ cluster with quorum queues (vhost and policy by
deploy/rabbitmq/setup.sh), two replicas of nomination, supervision, records and the gateway, one of
examination. Under the mixed workload through both gateways: the broker node leading the most queues killed -9
and restarted, one replica of each service killed -9 in turn, a whole node stopped and restarted. Each fault is
counted as the fault suite counts (tests/faults): nothing acknowledged lost or duplicated, the log verifies and
each checkpoint is consistent with the one before. Run with -s to see the counts."""

import collections
import json
import os
import signal
import subprocess
import threading
import time

import pytest
import requests

from tests.cluster.rabbit import Cluster
from tests.faults.test_faults import GATEWAY_AWAY, check
from tests.faults.workload import ROLES, Workload
from tests.harness import PYTHON, REPO, ReplicatedSuite, drop_vhost, eventually

pytestmark = pytest.mark.slow

REPLICATED = ("nomination", "supervision", "records", "gateway")
RPC_TIMEOUT = 5
# a request caught by a dying broker node waits for its connection to fail over, then for its RPC deadline
LATENCY_BOUND = 2 * RPC_TIMEOUT + 5


class ClusterSuite(ReplicatedSuite):
    """The replicated suite on the cluster's vhost, two replicas of every replicated service."""

    def __init__(self, cluster, **extra_env):
        super().__init__(REPLICATED, AMQP_URI=cluster.amqp_uri(), **extra_env)
        drop_vhost(self.vhost)  # the harness made one on the default broker; this suite never uses it
        self.vhost = ""  # so the harness's stop drops nothing


@pytest.fixture(scope="module")
def cluster():
    running = Cluster()
    try:
        yield running.start()
    finally:
        running.teardown()


@pytest.fixture(scope="module")
def suite(cluster):
    running = ClusterSuite(
        cluster,
        RPC_TIMEOUT_SECONDS=RPC_TIMEOUT,
        OUTBOX_SWEEP_SECONDS=0.5,
        SUPERVISION_TICK_SECONDS=0.5,
        REVIEW_DEADLINE_SECONDS=3600,
        PUBLIC_RATE_PER_SECOND=10000,
        PUBLIC_RATE_BURST=10000,
        LOG_LEVEL="WARNING",
    )
    try:
        running.start(timeout=240)
        for role in ROLES:
            running.api.principal(role, role)
        yield running
    finally:
        running.stop()


class Both:
    """Two workloads, one per gateway, counted as one."""

    def __init__(self, suite, threads=2):
        self.parts = [Workload(base, suite.api.tokens, threads=threads) for base in suite.bases]

    def start(self):
        for part in self.parts:
            part.start()
        return self

    def stop(self):
        threads = [threading.Thread(target=part.stop) for part in self.parts]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    @property
    def ops(self):
        return [op for part in self.parts for op in part.ops]

    @property
    def tallies(self):
        return [t for part in self.parts for t in part.tallies]

    @property
    def errors(self):
        total = collections.Counter()
        for part in self.parts:
            total.update(part.errors)
        return total

    @property
    def flows(self):
        total = {}
        for part in self.parts:
            for k, v in part.flows.items():
                total[k] = total.get(k, 0) + v
        return total


def under_load(suite, fault, before=5, after=12):
    workload = Both(suite).start()
    try:
        time.sleep(before)
        fault()
        time.sleep(after)
    finally:
        workload.stop()
    suite.wait_healthy(180)
    return workload


def test_the_cluster_is_set_up_as_deployed(cluster, suite):
    vhost = cluster.nodes[0].api(f"/vhosts/{cluster.vhost}")
    assert set(vhost["cluster_state"].values()) == {"running"} and len(vhost["cluster_state"]) == 3, vhost
    names = ("rpc-nomination", "rpc-supervision", "rpc-records", "rpc-examination", "records.firehose")

    def described():  # the management API fills a new queue's policy and members in with its next stats round
        listed = {q["name"]: q for q in cluster.queues()}
        return listed if all(n in listed and "policy" in listed[n] and "members" in listed[n] for n in names) else None

    queues = eventually(described, timeout=60, interval=1)
    policy = json.loads((REPO / "deploy" / "rabbitmq" / "policy.json").read_text())
    for name in names:
        assert queues[name]["type"] == "quorum", queues[name]
        assert queues[name]["policy"] == "cadre-quorum", queues[name]
        assert len(queues[name]["members"]) == 3, queues[name]
        for key, value in policy["definition"].items():
            assert queues[name]["effective_policy_definition"].get(key) == value, (name, key)
    assert queues["records.firehose"]["arguments"].get("x-single-active-consumer") is True
    # two replicas consume every replicated service's RPC queue; the firehose has one active consumer
    assert queues["rpc-nomination"]["consumers"] == 2, queues["rpc-nomination"]
    assert queues["rpc-records"]["consumers"] == 2, queues["rpc-records"]


def test_leader_node_killed(cluster, suite):
    leaders = cluster.leaders()
    victim = cluster.node(max(leaders, key=leaders.get))
    assert leaders[victim.name] > 0, leaders

    def fault():
        victim.kill9()
        time.sleep(10)
        victim.start()
        victim.wait()

    workload = under_load(suite, fault)
    cluster.wait_quorum()
    summary = check(
        suite,
        workload,
        f"kill -9 of the node leading {leaders[victim.name]} of the queues",
        latency_bound=LATENCY_BOUND,
    )
    assert summary["acknowledged"] > 50


def test_one_replica_of_each_service_killed(suite):
    before = {s: suite.pid(f"{s}-2") for s in REPLICATED}

    def fault():
        for s in REPLICATED:
            os.kill(suite.pid(f"{s}-2"), signal.SIGKILL)
            time.sleep(6)

    workload = under_load(suite, fault)
    assert all(suite.pid(f"{s}-2") != before[s] for s in REPLICATED)
    # the second gateway is among the replicas killed: its clients' connections are refused or cut
    check(
        suite,
        workload,
        "kill -9 of one replica of each service in turn",
        latency_bound=LATENCY_BOUND,
        expected=GATEWAY_AWAY,
    )


def test_node_stopped_and_restarted(cluster, suite):
    victim = cluster.nodes[1]

    def fault():
        assert victim.stop() == 0
        time.sleep(8)
        victim.start()
        victim.wait()

    workload = under_load(suite, fault)
    cluster.wait_quorum()
    check(suite, workload, f"node {victim.name} stopped and restarted", latency_bound=LATENCY_BOUND)


def test_a_revoked_token_is_refused_by_both_gateways(suite):
    token = suite.api.principal("leaver", "org")
    for base in suite.bases:  # both replicas have it cached
        assert (
            requests.get(base + "/api/v1/reviews", headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code
            == 200
        )
    out = subprocess.run(
        [PYTHON, "-m", "gateway.admin", "revoke-principal", "--name", "leaver"],
        cwd=REPO,
        env=suite.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    revoked = time.monotonic()
    for base in suite.bases:
        eventually(
            lambda: (
                requests.get(
                    base + "/api/v1/reviews", headers={"Authorization": f"Bearer {token}"}, timeout=10
                ).status_code
                == 401
            ),
            timeout=5,
            interval=0.1,
        )
    # the principal cache holds an answer at most 2 s (gateway/auth.py)
    assert time.monotonic() - revoked < 3.5
