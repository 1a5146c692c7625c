# govstats developer tasks. Bare `make` runs lint and tests.
# `make setup` builds .venv from nothing with the standard library's venv and pip.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
YEAR ?= 2017

# Debian packages the report tests use; without them those tests are skipped.
SYSTEM_DEPS := chromium chromium-driver libreoffice-writer-nogui fonts-wqy-zenhei poppler-utils

.PHONY: all setup system-deps demo inputs test lint format docs docs-check bench clean

all: lint test

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=25.1"
	$(PY) -m pip install --quiet -e . --group dev
	touch $@

setup: $(BIN)/.installed

# As root on Debian: the browser, LibreOffice Writer and a CJK font for the report
# tests (report.html in headless chromium, report.docx to PDF).
system-deps:
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(SYSTEM_DEPS)

demo: setup
	$(BIN)/govstats compile $(YEAR)

inputs: setup
	$(PY) scripts/make_inputs_2017.py
	$(PY) scripts/make_inputs_2025.py

test: setup
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/mypy
	$(BIN)/codespell src tests scripts docs README.md

format: setup
	$(BIN)/ruff check --fix src tests scripts
	$(BIN)/ruff format src tests scripts

docs: setup
	$(PY) -m govstats.docs write

docs-check: setup
	$(PY) -m govstats.docs check

bench: setup
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
