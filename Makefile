# The README's two commands. Everything installs into ./.venv, once: again only when
# pyproject.toml or setup.py change (the stamp files below).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test test-fast check install install-test check-test-deps lint lint-js clean

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
## (set TEST_DATABASE_URL / TEST_REDIS_URL for real services). node_modules too: the
## browser tests inject axe-core from it.
test: install-test check-test-deps node_modules/.installed
	$(BIN)/pytest $(ARGS)

## make test-fast: the suite without a browser and without services, on the embedded
## defaults whatever TEST_DATABASE_URL / TEST_REDIS_URL say (the tests that need them skip)
test-fast: install-test
	env -u TEST_DATABASE_URL -u TEST_REDIS_URL $(BIN)/pytest -m "not browser and not system" $(ARGS)

## make check: before a commit: lint, then the fast tests
check: lint test-fast

check-test-deps:
	@.ci/check-test-deps

# The JavaScript tools come from npm (the browser code has no build step): `npm ci` installs
# the exact Biome (the linter) and axe-core (the browser tests' accessibility checker) of
# package-lock.json into ./node_modules, once, again only when package.json or
# package-lock.json change.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

## make lint-js: Biome over web/ and every module's static/ (biome.jsonc says which files)
lint-js: node_modules/.installed
	node_modules/.bin/biome lint

## make lint: ruff (check and format), mypy, and Biome for the browser code
lint: install-test lint-js
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) var node_modules .pytest_cache .ruff_cache .mypy_cache .import_linter_cache .grimp_cache
