# The short verbs the README names. Everything installs itself: uv (into .agritrace/tools when it is
# missing), the locked environment (.venv, from uv.lock), and the embedded Postgres on first use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never

PYTHON ?= $(shell command -v python3.11 || command -v python3)
TOOLS := .agritrace/tools
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)
BIN := .venv/bin

.PHONY: help env demo test test-fast airflow airflow-stop bench lint db clean

help:  ## list the verbs
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(TOOLS)/bin/uv:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv

$(BIN)/agritrace: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-extras --python $(PYTHON)
	@touch $@

env: $(BIN)/agritrace  ## create or update the locked environment

demo: env  ## run every DAG on the demo data and print what it produced
	$(BIN)/agritrace demo

test: env  ## the whole test suite (unit, integration, DAGs, end-to-end)
	$(BIN)/pytest

test-fast: env  ## the suite without the slow and end-to-end tests
	$(BIN)/pytest -m "not slow and not e2e"

db: env  ## start the embedded Postgres, migrate, load reference data; print the URL
	$(BIN)/agritrace db up

WORKERS ?= 0

airflow: env  ## Airflow UI on http://localhost:8080 with the demo data for the scheduled DAGs (WORKERS=2: Celery)
	$(BIN)/agritrace airflow up --workers $(WORKERS)

airflow-stop: env  ## stop what `make airflow` started, Celery workers included
	$(BIN)/agritrace airflow stop

bench: env  ## benchmark ingestion, validation, marts and lookups; writes docs/benchmarks.md
	$(BIN)/agritrace bench

lint: env  ## ruff
	$(BIN)/ruff check include dags plugins tests

clean:  ## remove the environment and all local state (embedded Postgres included)
	-$(BIN)/agritrace airflow stop
	-$(BIN)/agritrace db stop
	rm -rf .venv .agritrace
