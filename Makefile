# Two commands do all setup on a fresh machine (Python 3.11+):
#   make serve   install what the service needs and start it on http://127.0.0.1:8000 (SQLite)
#   make test    install what the tests need and run the whole suite
# Another interpreter gets its own venv: `make test PYTHON=python3.13` uses .venv-3.13.
PYTHON ?= python3
PYENV_ROOT ?= $(HOME)/.pyenv
# `python3.13` may be a pyenv shim for a version that is installed but not the
# active one: then take the interpreter from pyenv's versions directly.
PYTHON_EXE := $(shell $(PYTHON) -c 'import sys; print(sys.executable)' 2>/dev/null \
	|| ls -d $(PYENV_ROOT)/versions/$(patsubst python%,%,$(notdir $(PYTHON)))*/bin/$(notdir $(PYTHON)) 2>/dev/null | tail -n 1)
PYTHON_VERSION := $(shell $(PYTHON_EXE) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
VENV ?= $(if $(filter python3,$(PYTHON)),.venv,.venv-$(PYTHON_VERSION))
BIN := $(VENV)/bin
# Extra pytest arguments, e.g. PYTEST_ARGS='-m "not slow"'.
PYTEST_ARGS ?=

.PHONY: serve test lint wheel-check openapi bench clean

serve: $(VENV)/.runtime
	$(BIN)/hipflex serve

test: $(VENV)/.dev
	$(BIN)/pytest $(PYTEST_ARGS)

# ruff and mypy (strict on app/), configured in pyproject.toml; CI fails on any finding.
# (mypy runs even when ruff found something, so one run reports both)
lint: $(VENV)/.dev
	$(BIN)/ruff check app tests bench migrations; ruff=$$?; $(BIN)/mypy && exit $$ruff

# Build the wheel, install it with the lockfile outside the checkout, migrate and serve from an empty folder.
wheel-check:
	.ci/wheel-check "$(PYTHON_EXE)"

# Rewrite openapi.json from the app (a test fails when they drift).
openapi: $(VENV)/.dev
	$(BIN)/hipflex openapi --output openapi.json

bench: $(VENV)/.dev
	$(BIN)/python -m bench

$(VENV)/bin/python:
	@test -n "$(PYTHON_EXE)" || { echo "no Python found for PYTHON=$(PYTHON)"; exit 1; }
	@$(PYTHON_EXE) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "hipflex needs Python 3.11 or newer: make PYTHON=python3.11 ...")'
	$(PYTHON_EXE) -m venv $(VENV)

# Exact, hash-checked versions from the lockfiles, then the project itself.
$(VENV)/.runtime: requirements.lock pyproject.toml setup.py | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(VENV)/.dev: requirements-dev.lock pyproject.toml setup.py | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@ $(VENV)/.runtime

clean:
	rm -rf .venv .venv-3.* .pytest_cache .hypothesis
