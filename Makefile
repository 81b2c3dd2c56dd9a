# Build and test entry points. `make run` and `make test` are the project's outside contract
# (see README): both work on a fresh Debian machine with Python 3.11 and make.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
# pip prints harmless "Location ... is ignored" notes for the local package mirrors.
PIP_INSTALL = $(BIN)/pip install -q --disable-pip-version-check
PIP_FILTER = 2> >(grep -v 'is ignored' >&2 || true)

.PHONY: run test lint format clean help

## run: create .venv, migrate the database, load the demo data, serve on 127.0.0.1:$PORT (5000)
run: $(VENV)/.run-installed
	$(FLASK) db upgrade
	$(FLASK) demo load --if-empty
	$(FLASK) demo accounts
	@echo "服务地址：http://127.0.0.1:$${PORT:-5000}"
	exec $(BIN)/waitress-serve --listen=127.0.0.1:$${PORT:-5000} --threads=8 wsgi:app

## test: install the dev tools and run the whole suite (ruff, SQLite, PostgreSQL, browser)
##       extra pytest arguments: make test PYTEST_ARGS="-k ledger -x"
test: $(VENV)/.dev-installed
	bash scripts/test.sh

## lint: ruff check + ruff format --check
lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## format: ruff format + ruff check --fix
format: $(VENV)/.dev-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## clean: remove .venv and caches (never instance/ data)
clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

## help: this list
help:
	@sed -n 's/^## \{0,1\}//p' $(MAKEFILE_LIST)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-installed: requirements.txt | $(BIN)/python
	$(PIP_INSTALL) -r requirements.txt $(PIP_FILTER)
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.run-installed | $(BIN)/python
	$(PIP_INSTALL) -r requirements-dev.txt $(PIP_FILTER)
	touch $@
