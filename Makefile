# Attach: `make run` for the whole system on this machine, `make test` for the suite.
# Works on a fresh Linux machine with Python 3.11: PostgreSQL and Redis are found or
# started by scripts/services.py (see DESIGN.md, "Services on the machines").

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Touched after a successful pip install: pip runs again only when pyproject.toml is
# newer (or the venv is new).
STAMP := $(VENV)/.installed
SERVICES := $(PY) scripts/services.py exec --
PYTEST_ARGS ?=

.PHONY: install run test bench lint chromium clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

run: install
	$(PY) scripts/run.py

test: install chromium
	$(SERVICES) $(PY) -m pytest $(PYTEST_ARGS)

# Browser tests drive Debian's Chromium; `playwright install` would try to download a
# browser, which these machines cannot.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "attach: browser tests need /usr/bin/chromium: run 'sudo apt-get install -y chromium'" >&2; \
	  fi; \
	fi

# Each benchmark module is run as a script, with the repo on the import path. Each makes,
# migrates, seeds and drops a database of its own on DATABASE_URL's server
# (tests/bench/benchdb.py); all of them run, and the target fails after the last if any did.
bench: install
	$(SERVICES) sh -c 'found=0; failed=""; \
	  for module in tests/bench/bench_*.py; do \
	    [ -e "$$module" ] || continue; found=1; \
	    echo "== $$module"; PYTHONPATH=. $(PY) "$$module" || failed="$$failed $$module"; \
	  done; \
	  [ $$found = 1 ] || echo "no benchmarks in tests/bench/"; \
	  if [ -n "$$failed" ]; then echo "== failed:$$failed"; exit 1; fi'

lint: install
	$(VENV)/bin/ruff check .

# Leaves .data/ (the embedded servers' data and uploads) alone: `rm -rf .data` resets it.
clean:
	rm -rf staticfiles test-results .ruff_cache .pytest_cache .hypothesis *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
