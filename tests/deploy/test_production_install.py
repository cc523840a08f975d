"""The production install, tested: a fresh venv from the runtime lock only, made by the command the Dockerfile runs
(deploy/install.sh) in a copy of what git tracks, runs the gateway and the four services against the test broker
and database, and serves /health, the home page in both languages and the console's sign-in page.

Nothing of the development venv is on the path: the processes run from the new venv, in a directory that holds
only config.yaml, so an import that only the test-only packages satisfy fails here first.
"""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from scripts.suite import SERVICES
from tests.harness import REPO, Suite


def _tracked_tree(into):
    """What a Docker build context holds: the files git tracks, as committed in the working tree."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = REPO / name
        if source.is_file():
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    build = tmp_path_factory.mktemp("context")
    _tracked_tree(build)
    venv = tmp_path_factory.mktemp("prod") / "venv"
    done = subprocess.run(
        ["sh", "deploy/install.sh", str(venv)], cwd=build, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    run_dir = tmp_path_factory.mktemp("app")
    shutil.copy2(build / "config.yaml", run_dir / "config.yaml")
    shutil.rmtree(build)  # the source tree is gone: only the installed venv can serve

    suite = Suite()
    env = {k: v for k, v in suite.env.items() if k != "PYTHONPATH"}
    env["PATH"] = f"{venv / 'bin'}:{os.environ.get('PATH', '')}"
    procs = []
    data = suite.data_dir / "mongo"
    data.mkdir(parents=True)
    log = open(suite.data_dir / "production.log", "ab")
    procs.append(
        subprocess.Popen(
            [
                str(REPO / ".venv-db" / "bin" / "nx-27017"),
                "--host",
                "127.0.0.1",
                "-p",
                env["MONGODB_PORT"],
                "--data-dir",
                str(data),
                "--pid-file",
                str(data / "nx.pid"),
                "--log-file",
                str(data / "nx.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    )
    for name, target in SERVICES.items():
        procs.append(
            subprocess.Popen(
                [str(venv / "bin" / "nameko"), "run", "--config", "config.yaml", target],
                cwd=run_dir,
                env=dict(env, CADRE_SERVICE=name),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    try:
        yield suite, venv, procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        suite.proc = None
        suite.stop()


def test_the_runtime_venv_holds_no_test_only_package(production):
    _, venv, _ = production
    listed = subprocess.run(
        [str(venv / "bin" / "pip"), "list", "--format=freeze"], capture_output=True, text=True, check=True
    ).stdout.lower()
    names = {line.split("==")[0] for line in listed.splitlines()}
    assert not names & {"pytest", "selenium", "schemathesis", "hypothesis", "kubernetes-validate", "ruff"}
    assert {"nameko", "jinja2", "babel", "cadre-selection"} <= names
    for script in ("cadre-admin", "cadre-verify", "cadre-vendor", "cadre-witness"):
        assert (venv / "bin" / script).exists(), script


def test_the_installed_suite_is_healthy_and_serves_its_pages_in_both_languages(production):
    suite, venv, procs = production
    deadline = time.monotonic() + 120
    health = None
    while time.monotonic() < deadline:
        for proc in procs:
            assert proc.poll() is None, (suite.data_dir / "production.log").read_text()[-3000:]
        try:
            health = requests.get(suite.base + "/health", timeout=5)
            if health.status_code == 200:
                break
        except requests.RequestException:
            pass
        time.sleep(0.5)
    assert health is not None and health.status_code == 200, health and health.text
    assert health.json()["status"] == "ok"

    # the translations were compiled at install: the .mo files are in the installed package
    installed = list(venv.glob("lib/python3*/site-packages/gateway/web/translations/*/LC_MESSAGES/messages.mo"))
    assert len(installed) == 2
    chinese = requests.get(suite.base + "/web/login?lang=zh_CN", timeout=10)
    english = requests.get(suite.base + "/web/login?lang=en", timeout=10)
    assert chinese.status_code == english.status_code == 200
    assert "访问令牌" in chinese.text and 'lang="zh-CN"' in chinese.text
    assert "Access token" in english.text and 'lang="en"' in english.text
    home = requests.get(suite.base + "/?lang=en", timeout=10)
    assert home.status_code == 200 and 'lang="en"' in home.text

    # the operator's console script works from the installed venv, against the same database
    made = subprocess.run(
        [str(venv / "bin" / "cadre-admin"), "create-principal", "--name", "prod-org", "--role", "org"],
        env={k: v for k, v in suite.env.items() if k != "PYTHONPATH"},
        cwd=Path(venv).parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
