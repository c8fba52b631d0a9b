# Two commands do all the set-up on a fresh machine:
#   make demo   installs into .venv, builds the demo warehouse if missing, opens the chat page
#   make test   installs what the tests need (Debian's chromium included) and runs them all
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install install-test chromium demo test lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test chromium

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }

demo: install
	$(VENV)/bin/finops demo

test: install-test lint
	$(PY) -m pytest --durations=25

lint: $(VENV)/.installed-test
	$(PY) -m ruff check .
	$(PY) -m mypy

bench: install-test
	$(PY) evals/bench_ingest.py

clean:
	rm -rf $(VENV) build *.egg-info test-artifacts
