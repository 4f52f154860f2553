# capactif-hub: `make demo` and `make test` each do all their own set-up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo test lint bench install clean browser screenshots

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/capactif demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# The console's browser tests drive Debian's Chromium through chromedriver; installed
# here when missing (a no-op once both are on the machine).
browser:
	@test -x /usr/bin/chromium -a -x /usr/bin/chromedriver || { \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    --no-install-recommends chromium chromium-driver; }

test: lint browser
	$(BIN)/pytest

# Screenshots of the console's main pages for the README (made by the browser tests).
screenshots: $(STAMP) browser
	CAPACTIF_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/e2e/test_console_browser.py -k sqlite

bench: $(STAMP)
	$(BIN)/python bench/ingest.py

clean:
	rm -rf var .pytest_cache .ruff_cache
