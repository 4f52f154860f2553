# capactif-hub: `make demo` and `make test` each do all their own set-up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements-dev.lock
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) | cksum | cut -d' ' -f1)
UV_VERSION := 0.13.8

.PHONY: demo test lint bench bench-deps bench-lock install clean browser screenshots axe lock

# Every package at the version and hash of the lock (the same set on every machine and
# in CI), then the project itself, editable, without resolving anything again.
$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

# Splink, for bench/dedup_accuracy.py only: the dev lock's packages at the same pins plus
# Splink's own, hashed (requirements-bench.lock); never installed by `make install`/`test`.
BENCH_LOCK := requirements-bench.lock
BENCH_STAMP := $(VENV)/.bench-installed-$(shell cat $(BENCH_LOCK) | cksum | cut -d' ' -f1)

$(BENCH_STAMP): $(STAMP) $(BENCH_LOCK)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r $(BENCH_LOCK)
	@rm -f $(VENV)/.bench-installed-*
	@touch $(BENCH_STAMP)

bench-deps: $(BENCH_STAMP)

# After a change of pyproject.toml's dependencies: pins and hashes for every platform.
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --universal \
	  --python-version 3.11 --no-emit-package capactif-hub -o $(LOCK)

# After a change of the dev lock or of requirements-bench.in: the bench lock, held to the
# dev lock's pins (-c) so that installing it changes none of the dev packages.
bench-lock: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml requirements-bench.in --extra dev -c $(LOCK) \
	  --generate-hashes --universal --python-version 3.11 --no-emit-package capactif-hub \
	  -o $(BENCH_LOCK)

demo: $(STAMP)
	$(BIN)/capactif demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# The console's browser tests drive Debian's Chromium through chromedriver; installed
# here when missing (a no-op once both are on the machine).
browser:
	@test -x /usr/bin/chromium -a -x /usr/bin/chromedriver || { \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    --no-install-recommends chromium chromium-driver; }

# axe-core (the accessibility engine the browser tests run on every console page),
# from the npm registry at a pinned version, checked against its published integrity.
AXE_VERSION := 4.14.1
AXE_INTEGRITY := sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==
AXE := $(VENV)/axe/node_modules/axe-core/axe.min.js

$(AXE):
	@command -v npm >/dev/null || { echo "npm is needed to install axe-core (apt-get install npm)"; exit 1; }
	test "$$(npm view axe-core@$(AXE_VERSION) dist.integrity)" = "$(AXE_INTEGRITY)"
	npm install --silent --no-audit --no-fund --prefix $(VENV)/axe axe-core@$(AXE_VERSION)

axe: $(AXE)

# pytest-xdist workers (0: no xdist). The suite mostly waits on processes, PostgreSQL and
# the browser rather than on the CPU. The browser tests and the process tests each run
# in order on one worker (pytest_xdist_make_scheduler in tests/conftest.py).
TEST_WORKERS ?= 3

test: lint browser axe
	$(BIN)/pytest -n $(TEST_WORKERS)

# Screenshots of the console's main pages for the README (made by the browser tests).
screenshots: $(STAMP) browser axe
	CAPACTIF_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/e2e/test_console_browser.py -k sqlite

bench: $(STAMP)
	$(BIN)/python bench/ingest.py

clean:
	rm -rf var .pytest_cache .ruff_cache
