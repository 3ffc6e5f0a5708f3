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

.PHONY: install run test bench lint chromium clean axe messages

# Installs the Python packages (when pyproject.toml changed) and compiles the catalogues.
install: $(STAMP)
	@$(PY) scripts/compilemessages.py

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

# The public side's message catalogues (locale/*/LC_MESSAGES/django.po) compiled to .mo,
# which are not committed. scripts/compilemessages.py uses GNU msgfmt where the machine
# has it (Django's compilemessages) and otherwise compiles with Python alone.
messages: install

# Re-vendor axe-core for the browser tests from the npm registry (tests/e2e/vendor/README.md).
AXE_VERSION ?= 4.14.1
axe:
	@command -v npm >/dev/null || { echo "make axe needs npm (apt-get install npm)" >&2; exit 2; }
	tmp=$$(mktemp -d) && (cd $$tmp && npm pack --silent axe-core@$(AXE_VERSION) && tar xzf axe-core-$(AXE_VERSION).tgz) \
	  && mkdir -p tests/e2e/vendor/axe-core-$(AXE_VERSION) \
	  && cp $$tmp/package/axe.min.js $$tmp/package/LICENSE tests/e2e/vendor/axe-core-$(AXE_VERSION)/ \
	  && sha256sum tests/e2e/vendor/axe-core-$(AXE_VERSION)/axe.min.js && rm -rf $$tmp

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
