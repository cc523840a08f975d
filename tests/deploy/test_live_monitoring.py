"""Against the running suite (as `make run` starts it, on a broker vhost set up as deploy/rabbitmq sets
up production's): the dashboard and the alerts name only metrics the processes really export, the
suite's queues are quorum queues, and a real Prometheus server scrapes every target up and fires
CadreServiceDown within its `for` window after a service stops answering.

The production rules say `for: 1m` (promtool unit tests check that timing); here Prometheus loads a
copy of the same rules with every `for` at 5s and scrapes every second, so the test takes seconds."""

import json
import re
import signal
import subprocess
import sys
import time
import uuid

import pytest
import requests
import yaml

from tests.deploy.helpers import DASHBOARD, DEPLOY, RULES, need
from tests.harness import PYTHON, REPO, Suite, eventually, free_port, rabbitmqctl

PROCESS_PORTS = {
    "gateway": "GATEWAY_PORT",
    "nomination": "NOMINATION_METRICS_PORT",
    "examination": "EXAMINATION_METRICS_PORT",
    "supervision": "SUPERVISION_METRICS_PORT",
    "records": "RECORDS_METRICS_PORT",
}
PROMQL_WORDS = {
    "sum",
    "by",
    "rate",
    "increase",
    "max",
    "min",
    "histogram_quantile",
    "le",
    "time",
    "and",
    "unless",
    "on",
    "or",
    "changes",
    "delta",
    "absent",
    "without",
    "ignoring",
    "bool",
}


@pytest.fixture(scope="module")
def quorum_vhost():
    """A vhost as deploy/rabbitmq/setup.sh makes it: quorum by default, policy cadre-quorum."""
    vhost = f"cadre-deploy-{uuid.uuid4().hex[:8]}"
    policy = json.loads((DEPLOY / "rabbitmq" / "policy.json").read_text())
    assert rabbitmqctl("add_vhost", vhost, "--default-queue-type", "quorum").returncode == 0
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    out = rabbitmqctl(
        "set_policy",
        "-p",
        vhost,
        "--apply-to",
        policy["apply-to"],
        "--priority",
        str(policy["priority"]),
        "cadre-quorum",
        policy["pattern"],
        json.dumps(policy["definition"]),
    )
    assert out.returncode == 0, out.stderr
    yield vhost
    rabbitmqctl("delete_vhost", vhost)


@pytest.fixture(scope="module")
def live(quorum_vhost, tmp_path_factory):
    suite = Suite(AMQP_URI=f"amqp://guest:guest@127.0.0.1:5672/{quorum_vhost}")
    verifier = None
    try:
        suite.start()
        ports = {name: suite.ports[key] for name, key in PROCESS_PORTS.items()}
        ports["verifier"] = free_port()
        state = tmp_path_factory.mktemp("verifier") / "state.json"
        verifier = subprocess.Popen(
            [
                PYTHON,
                str(DEPLOY / "verifier" / "verifier_exporter.py"),
                "--url",
                suite.base,
                "--interval",
                "5",
                "--port",
                str(ports["verifier"]),
                "--host",
                "127.0.0.1",
                "--state",
                str(state),
            ],
            cwd=REPO,
            env=suite.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # a little traffic, so the RED series have samples too
        for _ in range(3):
            requests.get(suite.base + "/health", timeout=30)
            requests.get(suite.base + "/api/v1/posts", timeout=30)
        yield suite, ports
    finally:
        if verifier is not None:
            verifier.terminate()
            verifier.wait(timeout=10)
        suite.stop()


def scrape(port):
    def once():
        try:
            response = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
        except requests.RequestException as exc:
            raise AssertionError(f"port {port}: {exc}")
        assert response.status_code == 200
        return response.text

    return eventually(once, timeout=30, interval=0.5)


def exported(text):
    """Every metric name a scrape offers: families from # HELP/# TYPE (present before their first
    sample) and every sample name, histogram families with their _bucket/_sum/_count series."""
    names = set()
    for line in text.splitlines():
        match = re.match(r"# (?:HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*)", line)
        if match:
            names.add(match.group(1))
            if line.startswith("# TYPE") and line.endswith(" histogram"):
                names.update(match.group(1) + suffix for suffix in ("_bucket", "_sum", "_count"))
        elif line and not line.startswith("#"):
            names.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
    return names


def metric_names(expr):
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r'"[^"]*"', "", expr)  # strings
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges
    expr = re.sub(r"by \([^)]*\)", "", expr)  # grouping labels
    expr = re.sub(r"on\s*\([^)]*\)", "", expr)
    return {
        word
        for word in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr)
        if word not in PROMQL_WORDS and not word.startswith("$")
    }


@pytest.fixture(scope="module")
def suite_metrics(live):
    suite, ports = live
    return set().union(*(exported(scrape(port)) for port in ports.values())) | {"up"}


def test_every_dashboard_panel_queries_metrics_the_suite_exports(suite_metrics):
    dashboard = json.loads(DASHBOARD.read_text())
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len(panels) >= 20
    for panel in panels:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            names = metric_names(target["expr"])
            assert names, (panel["title"], target["expr"])
            assert names <= suite_metrics, f"{panel['title']}: {names - suite_metrics} not exported"


def test_every_alert_queries_metrics_the_suite_exports(suite_metrics):
    for group in yaml.safe_load(RULES.read_text())["groups"]:
        for rule in group["rules"]:
            names = metric_names(rule["expr"])
            assert names and names <= suite_metrics, f"{rule['alert']}: {names - suite_metrics} not exported"


def test_the_probe_path_answers_on_every_process(live):
    suite, ports = live
    for name, port in ports.items():
        if name != "verifier":
            assert requests.get(f"http://127.0.0.1:{port}/health", timeout=10).status_code == 200, name


def test_the_suite_runs_on_quorum_queues_under_the_policy(live, quorum_vhost):
    out = rabbitmqctl("list_queues", "-p", quorum_vhost, "name", "type", "policy", "--no-table-headers")
    # an empty policy is a trailing tab: strip() on the whole output would eat it from the last line
    rows = [line.split("\t") for line in out.stdout.splitlines() if line.strip()]
    queues = {row[0]: (row[1:] + ["", ""])[:2] for row in rows}
    for name in ("records.firehose", "rpc-nomination", "rpc-records", "cadre.dead-letters"):
        assert queues[name][0] == "quorum", (name, queues.get(name))
    assert queues["records.firehose"][1] == "cadre-quorum"
    events = [name for name in queues if name.startswith("evt-")]
    assert events and all(queues[name] == ["quorum", "cadre-quorum"] for name in events), queues
    # nameko 3 declares its reply queues durable with x-expires (not auto-delete), so the vhost default
    # makes them quorum queues too; the policy leaves them alone
    replies = [name for name in queues if name.startswith("rpc.reply-")]
    assert replies and all(queues[name][1] == "" for name in replies), {n: queues[n] for n in replies}


def prometheus_query(base, query):
    try:
        response = requests.get(f"{base}/api/v1/query", params={"query": query}, timeout=10)
    except requests.RequestException as exc:  # still starting: eventually() tries again
        raise AssertionError(f"prometheus not answering: {exc}")
    assert response.status_code == 200, response.text
    return response.json()["data"]["result"]


def test_a_real_prometheus_scrapes_every_target_up_and_fires_service_down(live, tmp_path):
    suite, ports = live
    prometheus = need("prometheus")
    rules = yaml.safe_load(RULES.read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "for" in rule:
                rule["for"] = "5s"
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules))
    config = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(tmp_path / "rules.yml")],
        "scrape_configs": [
            {"job_name": f"cadre-{name}", "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
            for name, port in ports.items()
        ],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            prometheus,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "prometheus.log", "wb"),
    )
    stopped = False
    try:

        def all_up():
            result = prometheus_query(base, 'up{job=~"cadre-.+"}')
            values = {r["metric"]["job"]: r["value"][1] for r in result}
            assert values == {f"cadre-{name}": "1" for name in ports}, values
            return values

        eventually(all_up, timeout=60, interval=1)

        suite.kill("supervision", signal.SIGSTOP)  # the suite restarts a killed process: STOP keeps it down
        stopped = True
        started = time.monotonic()

        def firing():
            result = prometheus_query(base, 'ALERTS{alertname="CadreServiceDown", alertstate="firing"}')
            assert [r["metric"]["job"] for r in result] == ["cadre-supervision"], result
            return result

        eventually(firing, timeout=45, interval=1)
        elapsed = time.monotonic() - started
        # down after one failed scrape (1 s timeout), then `for` 5 s, evaluated every second
        assert 5 <= elapsed <= 30, elapsed
        assert prometheus_query(base, 'up{job="cadre-gateway"}')[0]["value"][1] == "1"
    finally:
        if stopped:
            suite.kill("supervision", signal.SIGCONT)
        server.terminate()
        server.wait(timeout=30)
    print(f"CadreServiceDown fired {elapsed:.1f}s after supervision stopped", file=sys.stderr)
