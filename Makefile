# The two commands: `make run` opens the console on the demo workspace; `make test` runs every test.
# Both create .venv and install the pinned dependencies the first time.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test bench screenshots clean compile

$(STAMP): pyproject.toml
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

bench: $(STAMP) compile
	$(PY) benchmarks/bench_console.py

screenshots: $(STAMP)
	$(PY) screenshots/make_screenshots.py

clean:
	rm -rf $(VENV) build src/*.egg-info
