"""deploy/compose.yaml against the Compose specification's JSON schema and `docker-compose config`."""

import json
import os
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.deploy.helpers import DEPLOY, need

COMPOSE = DEPLOY / "compose.yaml"
# the Compose specification's schema (compose-spec/compose-spec schema/compose-spec.json) as Debian's
# docker-compose package ships it
SPEC = Path("/usr/lib/python3/dist-packages/compose/config/compose_spec.json")
SECRETS = {
    "RABBITMQ_PASSWORD": "p",
    "RECORDS_SIGNING_KEY": "k",
    "BALLOT_TOKEN_KEY": "b",
    "EXAMINATION_ID_KEY": "e",
    "GRAFANA_ADMIN_PASSWORD": "g",
    **{
        f"{s}_{kind}": "x"
        for s in ("NOMINATION", "EXAMINATION", "SUPERVISION", "RECORDS", "GATEWAY")
        for kind in ("SIGNING_KEY", "PUBLIC_KEY", "AMQP_PASSWORD")
        if f"{s}_{kind}" != "RECORDS_SIGNING_KEY"
    },
}


def compose():
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_file_is_valid_against_the_compose_specification_schema():
    need("docker-compose")
    if not SPEC.exists():
        pytest.skip(f"{SPEC} missing: the docker-compose package ships it")
    schema = json.loads(SPEC.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(compose()), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    # and the validator does bite: a misspelt service key is refused
    broken = compose()
    broken["services"]["gateway"]["comand"] = ["x"]
    assert list(validator.iter_errors(broken))


def docker_compose_config(env):
    return subprocess.run(
        [need("docker-compose"), "-f", str(COMPOSE), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd="/",
    )


def test_docker_compose_config_accepts_it_and_refuses_to_start_without_the_keys():
    base = {k: v for k, v in os.environ.items() if k not in SECRETS}
    out = docker_compose_config({**base, **SECRETS})
    assert out.returncode == 0, out.stderr
    missing = docker_compose_config({**base, **{k: v for k, v in SECRETS.items() if k != "RECORDS_SIGNING_KEY"}})
    assert missing.returncode != 0 and "RECORDS_SIGNING_KEY" in missing.stderr


def test_every_process_runs_stateless_ones_twice_from_one_image():
    services = compose()["services"]
    replicas = {
        name: services[name]["deploy"]["replicas"]
        for name in ("gateway", "nomination", "examination", "supervision", "records")
    }
    assert replicas == {"gateway": 2, "nomination": 2, "supervision": 2, "records": 2, "examination": 1}
    images = {services[name]["image"] for name in replicas}
    assert len(images) == 1
    targets = {name: services[name]["command"][0] for name in replicas}
    assert targets["records"] == "services.records.service:RecordsService"
    assert targets["gateway"] == "gateway.service:GatewayService"
    for name in replicas:
        env = services[name]["environment"]
        # a database in the URI path would make mongoengine put every service in that one database
        assert "/?replicaSet=cadre" in env["MONGODB_URI"]
        assert env["GATEWAY_HOST"] == "0.0.0.0"
        assert services[name]["user"] == "10001:10001" and services[name]["read_only"] is True


def test_the_witness_runs_apart_with_its_own_volume():
    services = compose()["services"]
    witness = services["witness"]
    assert witness["entrypoint"] == ["python", "-m", "services.records.witness"]
    assert witness["volumes"] == ["witness-data:/var/lib/witness"]
    assert witness["environment"]["WITNESS_DATA_DIR"] == "/var/lib/witness"
    assert "MONGODB_URI" not in witness["environment"] and "RECORDS_SIGNING_KEY" not in witness["environment"]
    assert "RECORDS_WITNESSES" in services["records"]["environment"]


def test_broker_database_and_monitoring_are_there():
    services = compose()["services"]
    assert "management" in services["rabbitmq"]["image"]
    assert services["rabbitmq-setup"]["entrypoint"] == ["sh", "/setup/setup.sh"]
    assert all(f"mongo{i}" in services for i in (1, 2, 3))
    assert "--replSet" in services["mongo1"]["command"]
    mounts = " ".join(services["prometheus"]["volumes"] + services["grafana"]["volumes"])
    assert "./prometheus/rules" in mounts and "./grafana/dashboards" in mounts and "./grafana/provisioning" in mounts


def test_dockerfile_is_multi_stage_non_root_and_picks_the_process_by_its_command():
    text = (DEPLOY / "Dockerfile").read_text()
    assert text.count("\nFROM ") + text.startswith("FROM ") >= 2
    assert "COPY --from=build" in text
    assert "\nUSER 10001" in text
    assert 'ENTRYPOINT ["nameko", "run", "--config", "/app/config.yaml"]' in text
