# Vafa: `make run` serves the demo club; `make test` runs every check.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/vafa
export VAFA_DEV ?= 1

NPM_STAMP := node_modules/.vafa-installed
# The front-end files the pages use, copied into the package as a built wheel has them.
VENDOR_STAMP := vafa/web/static/vendor/.copied
CHROMIUM := /usr/bin/chromium

.PHONY: install run test lint test-sqlite test-postgres bench soak messages clean browser

$(BIN)/vafa: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(BIN)/vafa

# Front-end packages (htmx, Chart.js, Vazirmatn, axe-core) come from the npm registry.
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR_STAMP): $(NPM_STAMP) tools/build_assets.py
	$(PY) tools/build_assets.py vendor node_modules vafa/web/static/vendor
	touch $@

# The browser tests drive Debian's Chromium (Playwright cannot download its own here).
browser:
	@test -x $(CHROMIUM) || (apt-get update -qq && apt-get install -y -qq chromium)

install: $(BIN)/vafa messages $(NPM_STAMP) $(VENDOR_STAMP)

messages: $(BIN)/vafa
	@command -v msgfmt >/dev/null || (apt-get update -qq && apt-get install -y -qq gettext)
	$(BIN)/vafa compilemessages -v0 --ignore .venv --ignore node_modules

run: install
	$(BIN)/vafa migrate -v0
	$(BIN)/vafa demo
	$(BIN)/vafa serve --host 127.0.0.1 --port 8000

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/vafa makemigrations --check --dry-run -v0

test-sqlite: install
	DATABASE_URL= $(BIN)/pytest -q -n 2 --dist loadgroup -m "not package"

test-postgres: install
	VAFA_REQUIRE_POSTGRES=1 DATABASE_URL=$(PG_URL) $(BIN)/pytest -q -n 2 --dist loadgroup

test: lint browser
	@echo "== tests on SQLite and PostgreSQL, side by side =="
	@mkdir -p var; set -e; \
	  (rc=0; $(MAKE) -s test-sqlite > var/test-sqlite.log 2>&1 || rc=$$?; echo $$rc > var/test-sqlite.rc) & \
	  (rc=0; $(MAKE) -s test-postgres > var/test-postgres.log 2>&1 || rc=$$?; echo $$rc > var/test-postgres.rc) & \
	  wait; \
	  echo "-- SQLite --"; cat var/test-sqlite.log; \
	  echo "-- PostgreSQL --"; cat var/test-postgres.log; \
	  test "$$(cat var/test-sqlite.rc)" = 0 && test "$$(cat var/test-postgres.rc)" = 0
	@echo "== crash test, short (bench/crash.py; make soak runs 20 cycles) =="
	$(BIN)/python bench/crash.py --db sqlite --cycles 3
	$(BIN)/python bench/crash.py --db postgres --cycles 4 --pg-url $(PG_URL)_crash

# The long runs: 20 crash cycles on each database (SIGKILL of the server; PostgreSQL also
# stopped with an immediate shutdown every other cycle), and the dry run over 70,000 buyers.
soak: install
	$(BIN)/python bench/crash.py --db sqlite --cycles 20
	$(BIN)/python bench/crash.py --db postgres --cycles 20 --pg-url $(PG_URL)_crash
	$(BIN)/python bench/dry_run_scale.py --buyers 70000 --pg-url $(PG_URL)_dryrun

bench: install
	$(BIN)/python bench/run.py
	VAFA_VAR_DIR=$$(mktemp -d) DATABASE_URL= $(BIN)/python bench/pages.py
	$(BIN)/python bench/engage.py --pg-url $(PG_URL)_bench_engage
	$(BIN)/python bench/imports.py --pg-url $(PG_URL)_bench_imports
	$(BIN)/python bench/clv.py --pg-url $(PG_URL)_bench_clv
	$(BIN)/python bench/insight.py --pg-url $(PG_URL)_bench_insight

clean:
	rm -rf $(VENV) var vafa/web/static/vendor
