# The two commands a user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
DBVENV := .venv-db

.PHONY: run test unit integration e2e bench deps clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

$(DBVENV)/.installed: requirements-db.txt
	$(PYTHON) -m venv $(DBVENV)
	$(DBVENV)/bin/pip install --quiet -r requirements-db.txt
	touch $@

deps: $(VENV)/.installed $(DBVENV)/.installed

run: deps
	$(VENV)/bin/python scripts/suite.py

# Every suite but the faults runs on TEST_WORKERS processes, one test file per worker (each file's
# suite of services stays in one process). The fault tests stop the shared broker and kill processes:
# they run alone, after.
TEST_WORKERS ?= 2

test: deps
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

clean:
	rm -rf $(VENV) $(DBVENV) var
