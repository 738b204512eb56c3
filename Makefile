# Two commands matter: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint types unit e2e bench chromium clean

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

chromium:
	@command -v chromium >/dev/null 2>&1 || [ -x $(CHROMIUM) ] \
	  || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium)

lint: $(STAMP)
	$(BIN)/ruff format --check configurator tests e2e
	$(BIN)/ruff check configurator tests e2e

types: $(STAMP)
	$(BIN)/mypy configurator

unit: $(STAMP)
	$(BIN)/pytest -q tests

e2e: $(STAMP) chromium
	$(BIN)/pytest -q e2e

## make test: lint, types, unit + integration tests, browser tests in Debian's Chromium
test: lint types unit e2e

bench: $(STAMP)
	$(BIN)/python -m configurator.bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
