# Stafett — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PYTHONDONTWRITEBYTECODE := 1

.DEFAULT_GOAL := help

help: ## Show this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# Every package at the version in requirements.lock (pip constraints): only the direct
# dependencies are pinned in pyproject.toml, and a new release of one they pull in must
# not change what a fresh machine builds.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

# Front-end assets from the npm registry, pinned in package-lock.json, served as static files.
VENDOR := src/stafett/web/static/vendor
ASSETS := $(VENDOR)/.installed
$(ASSETS): package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	mkdir -p $(VENDOR)
	cp node_modules/@digdir/designsystemet-css/dist/src/index.css $(VENDOR)/designsystemet.css
	cp node_modules/@digdir/designsystemet-theme/brand/digdir.css $(VENDOR)/theme.css
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css $(VENDOR)/
	mkdir -p $(VENDOR)/files
	cat node_modules/@fontsource/inter/{400,500,600}.css > $(VENDOR)/inter.css
	cp node_modules/@fontsource/inter/files/inter-*-{400,500,600}-normal.woff2 $(VENDOR)/files/
	touch $@

# The fonts of record.pdf (archive/pdf.py): Inter's regular and bold from the npm package
# inter-ui, whole (every script in one file, no unicode-range split), unpacked once from
# WOFF2 to TrueType with fontTools (a dependency: pdf.py reads which letters they have);
# Typst is given this folder and no other font.
FONTS := src/stafett/archive/fonts
FONTS_STAMP := $(FONTS)/.installed
$(FONTS_STAMP): $(ASSETS) $(STAMP)
	mkdir -p $(FONTS)
	for face in Regular Bold; do \
	  $(BIN)/fonttools ttLib.woff2 decompress -o $(FONTS)/Inter-$$face.ttf \
	    node_modules/inter-ui/web/Inter-$$face.woff2 || exit 1; \
	done
	cp node_modules/inter-ui/LICENSE.txt $(FONTS)/
	touch $@

# The browser the page tests drive: Debian's Chromium (Playwright cannot download one here).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null

# The disk-full test makes the database's writes fail as a read-only filesystem would, by
# attaching strace to the served process (tests/faults/test_disk_full.py).
STRACE := /usr/bin/strace
$(STRACE):
	command -v strace >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq strace >/dev/null)

# The load generator of the page benchmark.
WRK := /usr/bin/wrk
$(WRK):
	command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)

install: $(STAMP) $(ASSETS) $(FONTS_STAMP) ## Create .venv and install Stafett with its development tools and page assets

run: $(STAMP) $(ASSETS) $(FONTS_STAMP) ## Serve Stafett on http://127.0.0.1:8000 (SQLite under var/, demo plan on first start)
	$(BIN)/stafett demo
	$(BIN)/stafett serve --host 127.0.0.1 --port 8000

lint: $(STAMP) ## ruff (lint and format check), mypy --strict, import-linter contracts
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# The suite runs on one pytest-xdist worker per core (TEST_WORKERS=0: none). Each test
# goes to a free worker, except that a browser test module (one Chromium and live server)
# and a few other files run whole on one worker: tests/parallel.py.
TEST_WORKERS ?= auto
test: lint $(ASSETS) $(FONTS_STAMP) $(CHROMIUM) $(STRACE) ## Lint, then every test (PostgreSQL ones included) with warnings as errors, in parallel
	bash tools/postgres_room.sh
	$(BIN)/pytest -q -n $(TEST_WORKERS)

# The fault tests (tests/faults: kill -9 of the web process and restarts of PostgreSQL
# under load, racing writers, durable settings) run at a bounded size inside `make test`;
# here at the sizes security-reference.md §6 names, one after the other, their figures
# printed at the end.
test-faults: $(STAMP) $(ASSETS) $(FONTS_STAMP) $(STRACE) ## Fault tests at full size (REL-CRASH-APP, REL-CRASH-PG, REL-CONC, REL-REBUILD, REL-DURABLE-CFG, REL-PIT, disk full / read-only)
	STAFETT_FAULTS=full $(BIN)/pytest -q -n 0 -o timeout=0 tests/faults

# REL-FUZZ: schemathesis against the served schema as two people (tests/fuzz). `make test`
# runs it with 2 examples for at most 120 s; this runs it whole, bigger, and prints its end.
FUZZ_EXAMPLES ?= 100
fuzz: $(STAMP) $(ASSETS) $(FONTS_STAMP) ## API fuzzing (schemathesis, every check) with FUZZ_EXAMPLES cases per operation
	STAFETT_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) STAFETT_FUZZ_SECONDS=0 $(BIN)/pytest -q -p no:cacheprovider -o timeout=0 tests/fuzz
	@tail -n 25 var/fuzz/last-run.txt

# The load run's tool: locust, pinned, in a virtualenv of its own (gevent patches the
# interpreter it runs in, and its pytest plugin would join every test run): decision 0029.
LOAD_VENV := .venv-load
LOAD_STAMP := $(LOAD_VENV)/.installed
$(LOAD_STAMP): bench/load-requirements.txt
	$(PYTHON) -m venv $(LOAD_VENV)
	$(LOAD_VENV)/bin/pip install --quiet -r bench/load-requirements.txt
	touch $@

# 50 virtual users (80 % reads, 20 % writes, logins among them) against `stafett serve
# --workers 2` + `stafett worker` on PostgreSQL, LOAD_SECONDS long, beside a baseline.
LOAD_SECONDS ?= 180
load: $(STAMP) $(ASSETS) $(FONTS_STAMP) $(LOAD_STAMP) ## Load run (locust, 50 users, PostgreSQL) for LOAD_SECONDS; figures to var/bench/results.json
	$(BIN)/python -m bench.load --duration $(LOAD_SECONDS)

bench: $(STAMP) $(ASSETS) $(FONTS_STAMP) $(WRK) ## Benchmarks (SQLite and PostgreSQL); figures to stdout and var/bench/results.json, the report to var/bench/report.md
	$(BIN)/python -m bench
	$(BIN)/python -m bench.login
	$(BIN)/python -m bench.projection
	$(BIN)/python -m bench.notifications
	$(BIN)/python -m bench.plan_view
	$(BIN)/python -m bench.as_participant
	$(BIN)/python -m bench.archive
	$(BIN)/python -m bench.access_log
	$(BIN)/python -m bench.pages
	$(BIN)/python -m bench.http_writes
	$(BIN)/python -m bench.record_pdf
	$(BIN)/python -m bench.report

docs: $(STAMP) ## Regenerate docs/policy.md from the policy table
	$(BIN)/python -m stafett.aggregates.policy > docs/policy.md

clean: ## Remove the virtualenv and local data
	rm -rf $(VENV) $(LOAD_VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis node_modules $(VENDOR) $(FONTS)

.PHONY: help install run lint test fuzz load bench docs clean
