#!/bin/sh
# The production install, exactly: deploy/Dockerfile runs it, and tests/deploy/test_production_install.py runs
# it in a fresh copy of what git tracks. Only the runtime lock goes in (every package hash-checked), the
# translations are compiled, then the project itself without dependencies.
#   sh deploy/install.sh /opt/venv       (from the repository root)
set -eu
venv=${1:?usage: sh deploy/install.sh VENV_DIR}
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --no-cache-dir --require-hashes -r requirements/runtime.txt -r requirements/build.txt
"$venv/bin/python" -m gateway.web.i18n
# --no-build-isolation: the locked setuptools builds it, so nothing unlocked is fetched for the build
"$venv/bin/pip" install --quiet --no-cache-dir --no-deps --no-build-isolation .
