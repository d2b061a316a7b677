# Two commands do all setup on a fresh machine (Python 3.11+):
#   make serve   install what the service needs and start it on http://127.0.0.1:8000 (SQLite)
#   make test    install what the tests need and run the whole suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: serve test openapi bench clean

serve: $(VENV)/.runtime
	$(BIN)/hipflex serve

test: $(VENV)/.dev
	$(BIN)/pytest

# Rewrite openapi.json from the app (a test fails when they drift).
openapi: $(VENV)/.dev
	$(BIN)/hipflex openapi --output openapi.json

bench: $(VENV)/.dev
	$(BIN)/python -m bench

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "hipflex needs Python 3.11 or newer: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)

# Exact, hash-checked versions from the lockfiles, then the project itself.
$(VENV)/.runtime: requirements.lock pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(VENV)/.dev: requirements-dev.lock pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@ $(VENV)/.runtime

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
