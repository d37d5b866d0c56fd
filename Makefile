# The README's two commands. Everything installs into ./.venv, once: again only when
# pyproject.toml or setup.py change (the stamp files below).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test install install-test check-test-deps lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# The test extras include everything `install` does: both stamps are fresh after it.
$(VENV)/.installed-test: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## make run: install (once), then serve on the embedded defaults (SQLite + in-process bus)
run: install
	$(BIN)/transcendence serve $(ARGS)

## make test: install (once), check the system packages the suite needs, run it
## (set TEST_DATABASE_URL / TEST_REDIS_URL for real services)
test: install-test check-test-deps
	$(BIN)/pytest $(ARGS)

check-test-deps:
	@.ci/check-test-deps

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache .import_linter_cache .grimp_cache
