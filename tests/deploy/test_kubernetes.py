"""The Kubernetes manifests and both kustomizations, validated offline: core kinds against the
Kubernetes schemas (kubernetes-validate, strict: unknown fields refused), the operators' custom
resources against their CRDs' openAPIV3Schema kept in tests/deploy/schemas."""

import copy
import re

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.deploy.helpers import DASHBOARD, DEPLOY, K8S, SCHEMAS, kustomize, load_all

KUBERNETES = "1.30.0"  # the oldest Kubernetes the manifests are meant for
PROCESSES = ("gateway", "nomination", "examination", "supervision", "records")


def crd_schemas():
    schemas = {}
    for path in SCHEMAS.glob("*.yaml"):
        doc = yaml.safe_load(path.read_text())
        schemas[(f"{doc['group']}/{doc['version']}", doc["kind"])] = strict(doc["openAPIV3Schema"])
    return schemas


def strict(schema):
    """As the API server with strict field validation: an object refuses fields its schema does not
    declare, unless it preserves unknown fields (structural-schema rules)."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if (
                node.get("type") == "object"
                and "properties" in node
                and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")
            ):
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


CRDS = crd_schemas()


def validate(obj):
    key = (obj["apiVersion"], obj["kind"])
    if key in CRDS:
        errors = list(jsonschema.Draft7Validator(CRDS[key]).iter_errors(obj))
        assert not errors, f"{obj['kind']}/{obj['metadata']['name']}: " + "; ".join(
            f"{list(e.absolute_path)}: {e.message}" for e in errors
        )
        return "crd"
    try:
        kubernetes_validate.validate(obj, KUBERNETES, strict=True)
    except kubernetes_validate.ValidationError as error:
        pytest.fail(f"{obj['kind']}/{obj['metadata']['name']}: {list(error.path)}: {error.message}")
    return "core"


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    return kustomize(tmp_path_factory.mktemp("prod"), "overlays/production")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return kustomize(tmp_path_factory.mktemp("base"), "base")


def test_every_manifest_file_validates():
    kinds = set()
    patches = {
        (k.parent / p["path"]).resolve()
        for k in K8S.rglob("kustomization.yaml")
        for p in yaml.safe_load(k.read_text()).get("patches", [])
        if "path" in p
    }
    for path in sorted(K8S.rglob("*.yaml")):
        if path.name == "kustomization.yaml" or path.resolve() in patches:  # patches are partial objects
            continue
        for obj in load_all(path):
            kinds.add((validate(obj), obj["kind"]))
    assert {
        ("crd", "RabbitmqCluster"),
        ("crd", "MongoDBCommunity"),
        ("crd", "ServiceMonitor"),
        ("crd", "PrometheusRule"),
    } <= kinds


@pytest.mark.parametrize("which", ["base", "production"])
def test_kustomize_output_validates(which, request):
    objects = request.getfixturevalue(which)
    for obj in objects:
        validate(obj)
    kinds = {obj["kind"] for obj in objects}
    assert {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "RabbitmqCluster",
        "MongoDBCommunity",
        "ServiceMonitor",
        "PrometheusRule",
        "ConfigMap",
    } <= kinds
    if which == "production":
        assert {"Secret", "Ingress"} <= kinds


def test_the_validators_refuse_a_wrong_manifest():
    (deployment,) = [o for o in load_all(K8S / "base" / "deployments.yaml") if o["metadata"]["name"] == "cadre-gateway"]
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["paht"] = "/health"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES, strict=True)
    (cluster,) = load_all(K8S / "base" / "rabbitmq.yaml")[:1]
    cluster["spec"]["replica"] = 3
    assert list(jsonschema.Draft7Validator(CRDS[("rabbitmq.com/v1beta1", "RabbitmqCluster")]).iter_errors(cluster))
    (mongo,) = load_all(K8S / "base" / "mongodb.yaml")[:1]
    mongo["spec"]["type"] = "Sharded"
    assert list(
        jsonschema.Draft7Validator(CRDS[("mongodbcommunity.mongodb.com/v1", "MongoDBCommunity")]).iter_errors(mongo)
    )


def by_kind(objects, kind):
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def test_deployments_probe_health_with_resources_and_run_as_non_root(production):
    deployments = by_kind(production, "Deployment")
    for name in PROCESSES:
        spec = deployments[f"cadre-{name}"]["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        (container,) = spec["containers"]
        assert container["image"].startswith("registry.example.org/cadre/cadre:")
        assert container["readinessProbe"]["httpGet"]["path"] == "/health"
        assert container["livenessProbe"]["httpGet"]["path"] == "/health"
        assert {"cpu", "memory"} <= set(container["resources"]["requests"]) and {"cpu", "memory"} <= set(
            container["resources"]["limits"]
        )
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        env = {e["name"]: e for e in container["env"]}
        # no database in the URI path: mongoengine would put every service into that one database
        assert re.fullmatch(
            rf"mongodb://{name}:\$\(MONGODB_PASSWORD\)@cadre-mongodb-svc:27017/\?replicaSet=cadre-mongodb&.*",
            env["MONGODB_URI"]["value"],
        )
        assert env["MONGODB_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "cadre-mongodb-passwords", "key": name}
    replicas = {name: deployments[f"cadre-{name}"]["spec"]["replicas"] for name in PROCESSES}
    assert replicas["examination"] == 1 and replicas["records"] == 2 and replicas["gateway"] >= 2
    assert deployments["cadre-examination"]["spec"]["strategy"]["type"] == "Recreate"


def test_secrets_hold_the_keys_and_every_database_user_password(production):
    secrets = by_kind(production, "Secret")
    assert set(secrets["cadre-secrets"]["data"]) == {"RECORDS_SIGNING_KEY", "BALLOT_TOKEN_KEY", "EXAMINATION_ID_KEY"}
    (mongo,) = by_kind(production, "MongoDBCommunity").values()
    users = {u["name"]: u for u in mongo["spec"]["users"]}
    assert set(secrets["cadre-mongodb-passwords"]["data"]) == set(users)
    for name in PROCESSES:
        assert users[name]["roles"] == [{"name": "readWrite", "db": name}]
    assert mongo["spec"]["members"] == 3


def test_autoscalers_and_budgets_point_at_real_deployments(production):
    deployments = by_kind(production, "Deployment")
    hpas = by_kind(production, "HorizontalPodAutoscaler")
    assert {h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()} == {
        "cadre-gateway",
        "cadre-nomination",
        "cadre-supervision",
    }
    for pdb in by_kind(production, "PodDisruptionBudget").values():
        selector = pdb["spec"]["selector"]["matchLabels"]
        matched = [
            d for d in deployments.values() if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert len(matched) == 1, pdb["metadata"]["name"]


def test_network_policies_let_in_only_the_gateway_and_let_services_reach_only_broker_and_database(production):
    policies = by_kind(production, "NetworkPolicy")
    open_ingress = [name for name, p in policies.items() for rule in p["spec"].get("ingress", []) if "from" not in rule]
    assert open_ingress == ["cadre-gateway-from-anywhere"]
    assert policies["cadre-gateway-from-anywhere"]["spec"]["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": "cadre-gateway"
    }
    deny = policies["cadre-default-deny"]["spec"]
    assert deny["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in deny and "egress" not in deny
    egress = policies["cadre-apps-to-broker-and-database"]["spec"]["egress"]
    assert [(rule["to"][0]["podSelector"]["matchLabels"], rule["ports"][0]["port"]) for rule in egress] == [
        ({"app.kubernetes.io/name": "cadre-rabbitmq"}, 5672),
        ({"app": "cadre-mongodb-svc"}, 27017),
    ]
    # no other policy gives the suite's processes (component gateway/service) any egress
    for name, policy in policies.items():
        if name in ("cadre-apps-to-broker-and-database", "cadre-allow-dns", "cadre-default-deny"):
            continue
        if name == "cadre-records-to-witness":
            # records submits each checkpoint to the witness (API.md "Records"): that port, nothing else
            assert policy["spec"]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "cadre-records"}}
            assert [
                (rule["to"][0]["podSelector"]["matchLabels"], rule["ports"][0]["port"])
                for rule in policy["spec"]["egress"]
            ] == [({"app.kubernetes.io/name": "cadre-witness"}, 8010)]
            continue
        selector = policy["spec"]["podSelector"]
        components = [e for e in selector.get("matchExpressions", []) if e["key"] == "app.kubernetes.io/component"]
        if "Egress" in policy["spec"]["policyTypes"]:
            assert selector.get("matchLabels", {}).get("app.kubernetes.io/name") == "cadre-verifier" or (
                components and not {"gateway", "service"} & set(components[0]["values"])
            ), name


def test_monitoring_scrapes_every_process_with_the_job_names_the_alerts_use(production):
    services = by_kind(production, "Service")
    (monitor,) = by_kind(production, "ServiceMonitor").values()
    ports = {e["port"] for e in monitor["spec"]["endpoints"]}
    for name in (*PROCESSES, "verifier"):
        service = services[f"cadre-{name}"]
        assert service["metadata"]["labels"][monitor["spec"]["jobLabel"]] == f"cadre-{name}"
        assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
        assert {p["name"] for p in service["spec"]["ports"]} & ports


def test_the_witness_has_its_own_key_volume_and_only_records_reaches_it(production):
    deployments = by_kind(production, "Deployment")
    spec = deployments["cadre-witness"]["spec"]
    assert spec["replicas"] == 1 and spec["strategy"]["type"] == "Recreate"
    (container,) = spec["template"]["spec"]["containers"]
    assert container["command"] == ["python", "-m", "services.records.witness"]
    env = {e["name"]: e for e in container["env"]}
    assert env["WITNESS_SIGNING_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "cadre-witness-key"
    assert set(by_kind(production, "Secret")["cadre-witness-key"]["data"]) == {"WITNESS_SIGNING_KEY"}
    claims = [
        v["persistentVolumeClaim"]["claimName"]
        for v in spec["template"]["spec"]["volumes"]
        if "persistentVolumeClaim" in v
    ]
    assert claims == ["cadre-witness-state"]
    assert "MONGODB_URI" not in env and "AMQP_URI" not in env
    ingress = by_kind(production, "NetworkPolicy")["cadre-witness-from-records"]["spec"]["ingress"]
    assert [rule["from"][0]["podSelector"]["matchLabels"] for rule in ingress] == [
        {"app.kubernetes.io/name": "cadre-records"}
    ]
    records = {e["name"]: e for e in deployments["cadre-records"]["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert records["RECORDS_WITNESSES"]["valueFrom"]["configMapKeyRef"]["name"] == "cadre-witness-config"


def test_kubernetes_copies_are_the_compose_files():
    pairs = [
        (K8S / "base" / "rabbitmq" / "setup.sh", DEPLOY / "rabbitmq" / "setup.sh"),
        (K8S / "base" / "rabbitmq" / "policy.json", DEPLOY / "rabbitmq" / "policy.json"),
        (K8S / "base" / "dashboards" / "cadre.json", DASHBOARD),
        *[
            (
                K8S / "base" / "rabbitmq" / "permissions" / f"{name}.json",
                DEPLOY / "rabbitmq" / "permissions" / f"{name}.json",
            )
            for name in PROCESSES
        ],
    ]
    for copy_, original in pairs:
        assert copy_.read_bytes() == original.read_bytes(), f"{copy_} differs from {original}"


def test_production_gateway_trusts_exactly_the_ingress(production, base):
    def gateway_env(objects):
        deployment = by_kind(objects, "Deployment")["cadre-gateway"]
        container = next(c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "gateway")
        return {e["name"]: e.get("value") for e in container.get("env", [])}

    assert gateway_env(production)["TRUSTED_PROXIES"] == "1"
    assert "TRUSTED_PROXIES" not in gateway_env(base)  # without an ingress nothing in front is trusted
    assert any(o["kind"] == "Ingress" for o in production)


def test_each_process_has_its_own_broker_user_and_signing_key_and_every_public_key(production):
    deployments = by_kind(production, "Deployment")
    for name in PROCESSES:
        (container,) = deployments[f"cadre-{name}"]["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e for e in container["env"]}
        assert env["AMQP_USERNAME"]["value"] == name
        assert env["AMQP_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
            "name": "cadre-service-secrets",
            "key": f"{name.upper()}_AMQP_PASSWORD",
        }
        signing = env[f"{name.upper()}_SIGNING_KEY"]["valueFrom"]["secretKeyRef"]
        assert signing["name"] == ("cadre-secrets" if name == "records" else "cadre-service-secrets")
        # no process holds another's signing key
        assert not [k for k in env if k.endswith("_SIGNING_KEY") and k != f"{name.upper()}_SIGNING_KEY"]
        assert {"configMapRef": {"name": "cadre-public-keys"}} in container["envFrom"]
    public = by_kind(production, "ConfigMap")["cadre-public-keys"]["data"]
    assert set(public) == {f"{name.upper()}_PUBLIC_KEY" for name in PROCESSES}
    (job,) = by_kind(production, "Job").values()
    (setup,) = job["spec"]["template"]["spec"]["containers"]
    passwords = {e["name"] for e in setup["env"] if e["name"].endswith("_AMQP_PASSWORD")}
    assert passwords == {f"{name.upper()}_AMQP_PASSWORD" for name in PROCESSES}
    assert {"name": "permissions", "mountPath": "/setup/permissions"} in setup["volumeMounts"]
