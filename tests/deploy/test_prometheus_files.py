"""promtool on the Prometheus configuration and alert rules, and the rules' unit tests."""

import re
import subprocess

import yaml

from tests.deploy.helpers import DEPLOY, K8S, RULES, load_all, need

# the alerts the runbook promises (issue "Deploy and operate beyond one machine")
PROMISED = {
    "a service down": "CadreServiceDown",
    "error ratio high": "CadreHttpErrorRatioHigh",
    "p99 latency high": "CadreHttpLatencyP99High",
    "outbox backlog growing": "CadreOutboxBacklogGrowing",
    "dead letters present": "CadreDeadLetters",
    "reviews overdue": "CadreReviewsOverdue",
    "filings overdue": "CadreFilingsOverdue",
    "log checkpoint stale": "CadreCheckpointStale",
    "verifier failure": "CadreVerifierFailure",
}


def alerts():
    return [
        rule["alert"]
        for group in yaml.safe_load(RULES.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]


def promtool(*args, cwd=None):
    out = subprocess.run([need("promtool"), *args], capture_output=True, text=True, timeout=120, cwd=cwd)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_config_and_the_rules_it_loads_pass_promtool(tmp_path):
    # the config names the rules where the container mounts them; point it at the repository's copy
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    config["rule_files"] = [str(RULES)]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    out = promtool("check", "config", str(tmp_path / "prometheus.yml"))
    assert f"SUCCESS: {len(alerts())} rules found" in out


def test_rules_pass_promtool_check():
    assert "SUCCESS" in promtool("check", "rules", str(RULES))


def test_every_alert_fires_waits_its_for_window_and_stays_silent_in_promtool_unit_tests():
    out = promtool("test", "rules", "tests/cadre-alerts.test.yml", cwd=DEPLOY / "prometheus")
    assert "SUCCESS" in out
    tested = (DEPLOY / "prometheus" / "tests" / "cadre-alerts.test.yml").read_text()
    for name in alerts():
        # each alert appears in a firing case (exp_alerts with labels) and in the healthy group
        assert len(re.findall(rf"alertname: {name}\b", tested)) >= 2, name
        assert re.search(rf"alertname: {name}\n\s+exp_alerts:\n\s+- exp_labels", tested), f"{name} never fires"


def test_every_promised_alert_exists_and_the_runbook_explains_each():
    names = alerts()
    readme = (DEPLOY / "README.md").read_text()
    for what, name in PROMISED.items():
        assert name in names, what
    for name in names:
        assert f"`{name}`" in readme, f"deploy/README.md does not explain {name}"


def test_the_prometheus_rule_resource_carries_the_rules_file_verbatim():
    (rule,) = [doc for doc in load_all(K8S / "base" / "monitoring.yaml") if doc["kind"] == "PrometheusRule"]
    assert rule["spec"] == yaml.safe_load(RULES.read_text())
