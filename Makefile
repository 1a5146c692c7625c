# govstats developer tasks. Bare `make` runs lint and tests.
# `make setup` builds .venv from nothing with the standard library's venv and pip.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
YEAR ?= 2017
# Benchmarks run in a venv of their own that holds what a user's install holds (no dev
# tools) plus the bench group: pandera imports hypothesis whenever it is installed,
# which a clerk's install never has and would add about 0.1 s to every validation.
BENCH_VENV ?= .venv-bench

# Debian packages the report tests use; without them those tests are skipped.
SYSTEM_DEPS := chromium chromium-driver libreoffice-writer-nogui libreoffice-calc-nogui fonts-wqy-zenhei poppler-utils

.PHONY: all setup system-deps demo inputs test lint format docs docs-check bench clean

all: lint test

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=25.1"
	$(PY) -m pip install --quiet -e . --group dev
	touch $@

setup: $(BIN)/.installed

# As root on Debian: the browser, LibreOffice Writer and Calc and a CJK font for the report
# tests (report.html in headless chromium, report.docx to PDF).
system-deps:
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(SYSTEM_DEPS)

demo: setup
	$(BIN)/govstats compile $(YEAR)

inputs: setup
	$(PY) scripts/make_inputs_2017.py
	$(PY) scripts/make_inputs_2024.py
	$(PY) scripts/make_inputs_2025.py

test: setup
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/ruff format --check src tests scripts benchmarks
	$(BIN)/mypy
	$(PY) scripts/check_layers.py
	$(BIN)/codespell src tests scripts benchmarks docs README.md

format: setup
	$(BIN)/ruff check --fix src tests scripts
	$(BIN)/ruff format src tests scripts

docs: setup
	$(PY) -m govstats.cli.docs write

docs-check: setup
	$(PY) -m govstats.cli.docs check

$(BENCH_VENV)/bin/.installed: pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BENCH_VENV)/bin/python -m pip install --quiet -e '.[serve]' --group bench
	touch $@

bench: $(BENCH_VENV)/bin/.installed
	$(BENCH_VENV)/bin/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(BENCH_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
