# The two commands a user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
DBVENV := .venv-db
UV ?= uv

.PHONY: run test test-cluster lint unit integration e2e bench mutation deps lock clean

# Every package comes from a hash-locked file (requirements/*.txt, made by `make lock` from pyproject.toml);
# the project itself is installed editable so that the console scripts (cadre-admin, …) exist.
$(VENV)/.installed: requirements/dev.txt requirements/build.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --require-hashes -r requirements/dev.txt -r requirements/build.txt
	$(VENV)/bin/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(DBVENV)/.installed: requirements/db.txt
	$(PYTHON) -m venv $(DBVENV)
	$(DBVENV)/bin/pip install --quiet --require-hashes -r requirements/db.txt
	touch $@

deps: $(VENV)/.installed $(DBVENV)/.installed

run: deps
	$(VENV)/bin/python scripts/suite.py

# Rewrite the locks from pyproject.toml (runtime; runtime + every group) and requirements/db.in, with the hash of
# every file of every package. Needs uv (`pip install uv==0.13.9`, or uvx).
LOCK_FLAGS := --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 --quiet
lock:
	$(UV) pip compile pyproject.toml $(LOCK_FLAGS) -o requirements/runtime.txt
	$(UV) pip compile pyproject.toml --group test --group deploy-test --group lint --group bench --group mutation $(LOCK_FLAGS) -o requirements/dev.txt
	$(UV) pip compile requirements/db.in $(LOCK_FLAGS) -o requirements/db.txt
	$(UV) pip compile requirements/build.in $(LOCK_FLAGS) -o requirements/build.txt

# The code's own checks: lint (pyflakes and syntax) and format, the architecture's import rules (pyproject's
# [tool.importlinter]), the size rules (scripts/sizes.py), every import declared and every declared package
# used, and the runtime lock against the registry's advisories.
lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/python scripts/sizes.py
	$(VENV)/bin/deptry .
	$(VENV)/bin/python scripts/audit.py requirements/runtime.txt

# Every suite but the faults runs on TEST_WORKERS processes, one test file per worker (each file's
# suite of services stays in one process). The fault tests stop the shared broker and kill processes:
# they run alone, after.
TEST_WORKERS ?= 2

test: deps lint
	$(VENV)/bin/python scripts/ensure_broker.py
	$(VENV)/bin/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile tests --ignore=tests/faults
	$(VENV)/bin/python -m pytest -q tests/faults

unit: deps
	$(VENV)/bin/python -m pytest -q tests/unit

integration: deps
	$(VENV)/bin/python -m pytest -q tests/integration

e2e: deps
	$(VENV)/bin/python -m pytest -q tests/e2e

bench: deps
	$(VENV)/bin/python bench/gateway_bench.py

# Mutation testing of the rules against the unit tests (long: not part of `make test`); the score per package
# goes to docs/TESTING.md. PACKAGES='services/records/log gateway/authz.py' limits it; MUTATION_CHILDREN=2
# only while holding /tmp/cadre-suite.lock (the machine is shared).
MUTATION_CHILDREN ?= 1
MUTATION_TIME_LIMIT ?= 1800
mutation: deps
	$(VENV)/bin/python scripts/mutation.py --max-children $(MUTATION_CHILDREN) --time-limit $(MUTATION_TIME_LIMIT) $(MUTATION_FLAGS) \
		$(foreach p,$(PACKAGES),--package $(p))

clean:
	rm -rf $(VENV) $(DBVENV) var mutants

# The suite as deployed: three RabbitMQ nodes started here (own ports, data and cookie), quorum queues set up by
# deploy/rabbitmq/setup.sh, two replicas of every service but examination, faults under load (tests/cluster).
test-cluster: deps
	$(VENV)/bin/python -m pytest -q -s tests/cluster
