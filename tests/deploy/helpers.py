"""Shared by the deploy tests: paths, YAML loading, rendering the kustomizations offline."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
RULES = DEPLOY / "prometheus" / "rules" / "cadre-alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "cadre.json"


def need(tool):
    path = shutil.which(tool)
    if not path:
        pytest.skip(f"{tool} is not installed (.ci/run installs it with apt-get)")
    return path


def load_all(path):
    return [doc for doc in yaml.safe_load_all(Path(path).read_text()) if doc]


def kustomize(tmp_path, which):
    """The objects `kubectl kustomize` renders for base or overlays/production (secrets from the examples)."""
    kubectl = need("kubectl")
    tree = tmp_path / "k8s"
    shutil.copytree(K8S, tree)
    for example in (tree / "overlays" / "production" / "secrets").glob("*.env.example"):
        lines = [
            line if line.startswith("#") or not line.endswith("=") else line + "placeholder"
            for line in example.read_text().splitlines()
        ]
        example.with_name(example.name[: -len(".example")]).write_text("\n".join(lines) + "\n")
    out = subprocess.run([kubectl, "kustomize", str(tree / which)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]
