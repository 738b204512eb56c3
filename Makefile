# Two commands matter: `make run` and `make test`. Everything they need is installed here.
# `make check` is the quick loop while developing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
CHROMIUM ?= /usr/bin/chromium
CHROMIUM_SHELL ?= /usr/bin/chromium-headless-shell
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test check lint types unit integration-postgres e2e bench chromium postgres nginx test-deploy wrk clean

$(STAMP): pyproject.toml
	@$(PYTHON) -m venv --help >/dev/null 2>&1 && $(PYTHON) -c 'import ensurepip' 2>/dev/null \
	  || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

## make run: create .venv, migrate, load the demo catalog when empty, serve on $HOST:$PORT
run: $(STAMP)
	$(BIN)/configurator serve

## Debian's Chromium for headed runs (--headed) and its headless shell, which the flows run in
## otherwise (about half the CPU per page: see chromium() in e2e/target.py).
chromium:
	@{ [ -x $(CHROMIUM) ] && [ -x $(CHROMIUM_SHELL) ]; } \
	  || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium chromium-headless-shell)

# Debian's PostgreSQL server binaries for the tests, which start a throwaway server of their own
# (tests/postgres.py) and use no system one.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	  || ($(SUDO) apt-get update -qq \
	      && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql)

# Debian's nginx for the deploy test, which runs it on high ports with a config of its own
# (rendered from deploy/nginx/layerworks.conf); the system's nginx service is not used.
nginx:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] \
	  || ($(SUDO) apt-get update -qq \
	      && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx openssl)

lint: $(STAMP)
	$(BIN)/ruff format --check configurator tests e2e benchmarks
	$(BIN)/ruff check configurator tests e2e benchmarks

types: $(STAMP)
	$(BIN)/mypy configurator benchmarks tests e2e

## make check: format, lint, types and the unit tests (no database, no browser) in a few seconds.
## The pytest plugins the unit tests do not use stay unloaded (pytest would rewrite every module of
## their packages), and Python may cache bytecode even where PYTHONDONTWRITEBYTECODE is set.
check: lint types
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -p no:cacheprovider -p no:faker -p no:playwright -q tests/unit

## make unit: unit and integration tests on SQLite
unit: $(STAMP)
	$(BIN)/pytest -q tests

## make integration-postgres: the integration tests again, on a throwaway PostgreSQL server
integration-postgres: $(STAMP) postgres
	TEST_DATABASE=postgresql $(BIN)/pytest -q tests/integration tests/concurrency

## make e2e: the browser flows alone, two at a time (one server per pytest worker, each on its
## own SQLite file and port; E2E_BASE_URL=https://staging.example runs them against that
## server instead). A failing flow keeps its trace, a full-page screenshot and the server's log
## under test-results/; test-results/junit.xml is the JUnit report. E2E_PATHS picks files,
## E2E_ARGS adds pytest options: make e2e E2E_PATHS=e2e/test_stock.py E2E_ARGS='-k question'
E2E_WORKERS ?= 2
E2E_PATHS ?= e2e
E2E_ARGS ?=
e2e: $(STAMP) chromium
	$(BIN)/pytest -q $(E2E_PATHS) -n $(E2E_WORKERS) --output test-results \
	  --junitxml test-results/junit.xml $(E2E_ARGS)

## make test-deploy: nginx in front of two app servers on one throwaway PostgreSQL (tests/deploy)
# Its own --output: pytest-playwright empties its output folder when a run starts, and
# test-results/ holds the browser flows' JUnit report and traces from `make e2e` before it.
test-deploy: $(STAMP) postgres nginx chromium
	LAYERWORKS_DEPLOY_TEST=1 $(BIN)/pytest -q tests/deploy --output test-results/deploy

## make test: lint, types, unit + integration tests (on SQLite, then the integration tests on
## PostgreSQL), browser tests in Debian's Chromium, and the deploy test (nginx in front of two app servers)
test: lint types unit integration-postgres e2e test-deploy

# The load tool of the benchmark (Debian's wrk); the benchmark is not part of `make test`.
wrk:
	@command -v wrk >/dev/null 2>&1 \
	  || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk)

## make bench: throughput and latency against the bare stack; writes docs/benchmark.md
## (BENCH_POSTGRES=0: without the PostgreSQL section, and without installing PostgreSQL)
bench: $(STAMP) wrk $(if $(filter 0,$(BENCH_POSTGRES)),,postgres)
	$(BIN)/python -m benchmarks.bench
	$(BIN)/python -m benchmarks.stock_import

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
