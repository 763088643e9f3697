# Two commands on a fresh machine (Python 3.11+, git and make):
#   make demo       create .venv if missing, install caseflow and its bundled plugins, run `caseflow demo`
#   make test       the same install with the development tools, then the test suite without the slow
#                   (scale and soak) tests: what CI runs and what to run on every change
# and, with the same install:
#   make test-all   every test, the slow ones included
#   make coverage   the fast suite with branch coverage of caseflow/ (fails under 90 %)
#   make bench      the benchmarks (issue 22's table at 1k, 10k, 50k clients and its plot among them),
#                   then the slow tests
#   make test-browser  the web app in a real browser (Playwright and Debian's chromium-headless-shell,
#                   with an accessibility scan of every page); installs the `browser` extra first
#   make docs       the documentation site into site/ (MkDocs, --strict: any warning fails);
#                   installs the `docs` extra first. `make docs-serve` previews it while you edit.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PLUGINS := $(wildcard plugins/*/pyproject.toml)
EDITABLE := -e . $(foreach p,$(PLUGINS),-e $(dir $(p)))
PYTEST_ARGS ?=
# The tests run with bytecode written (pytest keeps each test module as rewritten for its asserts):
# where the environment turns that off (PYTHONDONTWRITEBYTECODE), each of the two workers would
# rewrite and compile every test module again on every run, about 6 s of the suite's time.
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest
# Editable installs leave caseflow's own modules uncompiled: without cached bytecode the first run of
# every command pays ~0.5 s to compile them, so each install compiles them once (as a wheel's does).
COMPILE := $(BIN)/python -m compileall -q -j 0 caseflow $(dir $(PLUGINS))

.PHONY: demo test test-all test-browser docs docs-serve coverage lint typecheck bench clean

demo: $(VENV)/.installed
	$(BIN)/caseflow demo --force caseflow-demo

test: $(VENV)/.installed-dev
	$(PYTEST) -q -n auto -m "not slow" $(PYTEST_ARGS)

test-all: $(VENV)/.installed-dev
	$(PYTEST) -q -n auto $(PYTEST_ARGS)

# Screenshots of every page the tests saw: test-artifacts/browser/<test>/ (or $$CASEFLOW_ARTIFACTS).
# Chromium: $$CHROMIUM_PATH, else chromium-headless-shell or chromium on the PATH; without one the
# tests are skipped, saying why (with CI set they fail).
test-browser: $(VENV)/.installed-browser
	$(PYTEST) -q -n auto -m browser tests/browser $(PYTEST_ARGS)

# The reference pages are made from the code at build time (docs/hooks.py): commands, public names, hooks.
docs: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

docs-serve: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

coverage: $(VENV)/.installed-dev
	$(PYTEST) -q -n auto -m "not slow" --cov=caseflow --cov-branch \
		--cov-report=term-missing:skip-covered --cov-fail-under=90 $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check caseflow plugins tests bench
	$(BIN)/ruff format --check caseflow plugins tests bench

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# bench/sweep.py: issue 22's table at each size of BENCH_SIZES beside git, into bench/results.md and
# bench/scale.png. Generated repositories are kept in $CASEFLOW_BENCH_CACHE (else ~/.cache/caseflow-bench):
# the first run generates them (50k: about 5 minutes), later runs reuse them.
BENCH_SIZES ?= 1000,10000,50000
SWEEP_ARGS ?=
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/run.py
	$(BIN)/python bench/directory_bench.py
	$(BIN)/python bench/due_bench.py
	$(BIN)/python bench/sweep.py --sizes $(BENCH_SIZES) $(SWEEP_ARGS)
	$(BIN)/python bench/verify_bench.py
	$(PYTEST) -q -n auto -m slow $(PYTEST_ARGS)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "caseflow needs Python 3.11 or newer (found $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml $(PLUGINS)
	$(BIN)/python -m pip install -q $(EDITABLE)
	$(COMPILE)
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml $(PLUGINS)
	$(BIN)/python -m pip install -q -e '.[dev]' $(foreach p,$(PLUGINS),-e $(dir $(p)))
	$(COMPILE)
	touch $@ $(VENV)/.installed

$(VENV)/.installed-browser: $(BIN)/python pyproject.toml $(PLUGINS)
	$(BIN)/python -m pip install -q -e '.[dev,browser]' $(foreach p,$(PLUGINS),-e $(dir $(p)))
	$(COMPILE)
	touch $@ $(VENV)/.installed-dev $(VENV)/.installed

$(VENV)/.installed-docs: $(BIN)/python pyproject.toml $(PLUGINS)
	$(BIN)/python -m pip install -q -e '.[dev,docs]' $(foreach p,$(PLUGINS),-e $(dir $(p)))
	$(COMPILE)
	touch $@ $(VENV)/.installed-dev $(VENV)/.installed

clean:
	rm -rf $(VENV) caseflow-demo build dist test-artifacts site
