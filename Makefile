# The two commands: `make run` opens the console on the demo workspace; `make test` runs every test.
# Both create .venv and install the pinned dependencies the first time.
# The newest Python 3.11 or later on PATH that can make a virtual environment; a name that is there
# but cannot run (a pyenv shim for a version not selected) or lacks venv/ensurepip counts as absent.
PYTHON ?= $(shell for p in python3.19 python3.18 python3.17 python3.16 python3.15 python3.14 python3.13 \
	python3.12 python3.11 python3; do $$p -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { command -v $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

# `make test` runs the suite twice: as it is, and with every process's wall clock moved this many
# days ahead, so no test passes only on the day it was written (`make test-moved-clock` alone).
CLOCK_SHIFT_DAYS := 400

.PHONY: run test test-moved-clock bench screenshots clean compile

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "oncall needs Python 3.11 or newer with venv, and found none on PATH: install \
	one (Debian/Ubuntu: apt install python3 python3-venv; macOS: brew install python@3.13; or python.org), then run make again"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# Byte-compile our own sources (an editable install does not, and PYTHONDONTWRITEBYTECODE
# may forbid Python from caching them), so the console starts without compiling itself.
compile: $(STAMP)
	$(PY) -m compileall -q src

run: $(STAMP) compile
	$(VENV)/bin/oncall

test: $(STAMP)
	$(PY) -m pytest -n 2 -q
	@echo "The same tests with the clock moved $(CLOCK_SHIFT_DAYS) days ahead:"
	@$(MAKE) --no-print-directory test-moved-clock

test-moved-clock: $(STAMP)
	ONCALL_TEST_CLOCK_SHIFT_DAYS=$(CLOCK_SHIFT_DAYS) PYTHONPATH=$(CURDIR)/tests/clock_shift $(PY) -m pytest -n 2 -q \
		-W "ignore:Module already imported so cannot be rewritten; time_machine:pytest.PytestAssertRewriteWarning"

bench: $(STAMP) compile
	$(PY) benchmarks/bench_console.py

screenshots: $(STAMP)
	$(PY) screenshots/make_screenshots.py

clean:
	rm -rf $(VENV) build src/*.egg-info
