# Shuxin: `make demo` runs the product on a local PostGIS it sets up itself; `make test` runs
# the whole test suite. Both install what is missing first and reuse what is there.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
SHUXIN := $(VENV)/bin/shuxin
PYTHON ?= python3
export SHUXIN_HOME ?= $(CURDIR)/.shuxin

.PHONY: demo test setup system-deps venv assets lint bench fuzz stop clean

demo: setup
	$(SHUXIN) demo

test: setup lint
	$(PY) -m pytest

setup: system-deps venv assets

system-deps:
	@bash scripts/install-system-deps.sh

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

assets: map_ui/static/vendor/manifest.json

map_ui/static/vendor/manifest.json: map_ui/assets/package.json map_ui/assets/package-lock.json map_ui/assets/build.py
	$(PY) map_ui/assets/build.py

LINTED := api gis map_ui tests benchmarks data/boundaries

lint: venv
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)

bench: setup
	$(PY) benchmarks/routing.py

fuzz: setup
	$(PY) benchmarks/fuzz.py

stop:
	-$(SHUXIN) db stop

clean: stop
	rm -rf $(VENV) .shuxin map_ui/static/vendor map_ui/assets/node_modules
