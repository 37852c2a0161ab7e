# filament.mlflow: the two commands a newcomer needs are `make lab` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      ?= .venv
PY        := $(VENV)/bin/python
BIN       := $(VENV)/bin
HARNESS   := harness/harness.sh
STAMP     := $(VENV)/.requirements.sha256
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help venv harness test lint docs sanity unit integration alerts molecule lab lab-down bench bench-short bench-runs build clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

# The virtualenv is made on first use and refreshed when requirements.txt changes.
venv: $(STAMP)
$(STAMP): requirements.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check uv
	@$(BIN)/uv pip install -q --python $(PY) -r requirements.txt
	@sha256sum requirements.txt > $(STAMP)

harness: venv ## Docker engine, systemd host images (Debian 12 and 13), MinIO, weed and fake-gcs-server binaries, SSH client, Chromium and its driver
	@$(HARNESS) all

test: venv harness ## the whole suite (what CI runs); the static checks, unit and integration tests run beside the molecule scenarios, their output shown when they end
	@log=$$(mktemp); $(MAKE) --no-print-directory lint sanity unit alerts build integration >"$$log" 2>&1 & beside=$$!; \
	  $(MAKE) --no-print-directory molecule; ours=$$?; wait $$beside; theirs=$$?; \
	  echo "=== make lint sanity unit alerts build integration, run beside make molecule:"; cat "$$log"; rm -f "$$log"; \
	  [ $$ours -eq 0 ] && [ $$theirs -eq 0 ]

lint: venv ## ansible-lint (production profile); README variable tables in step with argument_specs
	@$(BIN)/ansible-lint --profile production
	@$(PY) docs/gen_role_variables.py --check

docs: venv ## regenerate README.md's role variable tables from meta/argument_specs.yml
	@$(PY) docs/gen_role_variables.py

sanity: venv ## ansible-test sanity on the collection's plugins
	@tests/sanity/run.sh

unit: venv ## unit tests for module logic
	@$(BIN)/pytest -q tests/unit

integration: venv harness ## the modules against a real MinIO and fake-gcs-server
	@eval "$$($(HARNESS) env | sed 's/^/export /')" && $(BIN)/pytest -q tests/integration

alerts: venv harness ## docs/monitoring: promtool checks the scrape configuration and alert rules, and shows each alert firing
	@eval "$$($(HARNESS) env | sed 's/^/export /')" && cd docs/monitoring && \
	  $$FILAMENT_PROMTOOL_BINARY check config prometheus.yml >/dev/null && \
	  $$FILAMENT_PROMTOOL_BINARY test rules alerts.test.yml

molecule: venv harness ## molecule scenarios on systemd hosts in Docker (tests/molecule/run.sh: the order and what runs side by side)
	@eval "$$($(HARNESS) env | sed 's/^/export /')" && MOLECULE=$(BIN)/molecule tests/molecule/run.sh

build: venv ## build the collection tarball, install it into a scratch path, render the module docs from there
	@rm -rf .build/install && mkdir -p .build/install
	@$(BIN)/ansible-galaxy collection build --force --output-path .build . >/dev/null
	@cd .build && export ANSIBLE_CONFIG= ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.build/install; \
	  $(CURDIR)/$(BIN)/ansible-galaxy collection install --offline --force --no-deps -p install filament-mlflow-*.tar.gz >/dev/null && \
	  for m in bucket gcs_credentials drift files minio_user mlflow_auth s3_copy s3_probe wheelhouse; do \
	    $(CURDIR)/$(BIN)/ansible-doc filament.mlflow.$$m | grep -q "filament.mlflow.$$m" || { echo "ansible-doc filament.mlflow.$$m failed"; exit 1; }; \
	  done; \
	  test -f install/ansible_collections/filament/mlflow/roles/server/meta/argument_specs.yml
	@echo "built, installed and documented: $$(ls .build/filament-mlflow-*.tar.gz)"

lab: venv harness ## the whole stack on one local systemd host; prints how to connect
	@eval "$$($(HARNESS) env | sed 's/^/export /')" && harness/lab.sh up

lab-down: ## remove the lab host
	@harness/lab.sh down

bench: venv harness ## benchmark: ours against the naive deployment (see docs/performance.md)
	@eval "$$($(HARNESS) env | sed 's/^/export /')" && $(PY) benchmarks/bench.py

bench-short: venv harness ## the benchmark with small counts, no targets asserted (CI)
	@eval "$$($(HARNESS) env | sed 's/^/export /')" && $(PY) benchmarks/bench.py --short

bench-runs: venv ## the last five full benchmark runs side by side: each target's figure in each run, and in how many it held
	@$(PY) benchmarks/runs.py

clean: ## remove the lab and its backup host, the virtualenv, build outputs and the image of the converged test host
	@harness/lab.sh purge
	@rm -rf $(VENV) .build
	@docker image rm "$${FILAMENT_CONVERGED_IMAGE:-filament-mlflow-converged:default}" >/dev/null 2>&1 || true
