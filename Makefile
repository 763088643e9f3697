# Two commands on a fresh machine (Python 3.11+, git and make):
#   make demo   create .venv if missing, install caseflow and its bundled plugins, run `caseflow demo`
#   make test   the same install with the development tools, then the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PLUGINS := $(wildcard plugins/*/pyproject.toml)
EDITABLE := -e . $(foreach p,$(PLUGINS),-e $(dir $(p)))
PYTEST_ARGS ?=

.PHONY: demo test lint typecheck bench clean

demo: $(VENV)/.installed
	$(BIN)/caseflow demo --force caseflow-demo

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q -n auto $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check caseflow plugins tests bench
	$(BIN)/ruff format --check caseflow plugins tests bench

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

bench: $(VENV)/.installed
	$(BIN)/python bench/run.py
	$(BIN)/python bench/directory_bench.py
	$(BIN)/python bench/due_bench.py
	$(BIN)/python bench/scale_bench.py --clients 10000 --repeat 3 --no-big

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "caseflow needs Python 3.11 or newer (found $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml $(PLUGINS)
	$(BIN)/python -m pip install -q $(EDITABLE)
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml $(PLUGINS)
	$(BIN)/python -m pip install -q -e '.[dev]' $(foreach p,$(PLUGINS),-e $(dir $(p)))
	touch $@ $(VENV)/.installed

clean:
	rm -rf $(VENV) caseflow-demo build dist
