# Billable: two commands for a fresh clone.
#   make run    virtualenv, install, migrate SQLite, load the demo data, serve on 127.0.0.1:8000
#   make test   install the dev dependencies and run the whole suite
#
# The dependencies are read from pyproject.toml (the single list we keep), so
# there is no requirements file to drift out of sync.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

# Prints the dependency list of pyproject.toml: the runtime ones, plus the extras named.
DEPS_OF = $(PY) -c 'import sys, tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print("\n".join(p["dependencies"] + [d for g in sys.argv[1:] for d in p["optional-dependencies"][g]]))'

.PHONY: run test lint install install-dev migrate demo

$(PY):
	$(PYTHON) -m venv $(VENV)

# Stamps re-run the install only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(DEPS_OF) > $(VENV)/requirements.txt
	$(PY) -m pip install --quiet -r $(VENV)/requirements.txt
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(DEPS_OF) dev > $(VENV)/requirements-dev.txt
	$(PY) -m pip install --quiet -r $(VENV)/requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo

run: demo
	@echo "Serving on http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	$(PY) manage.py runserver $(HOST):$(PORT)

# pytest exits 5 when it collected no test: say so loudly, it is not a crash.
test: install-dev
	@rc=0; $(PY) -m pytest -p no:cacheprovider $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no test"; rc=0; fi; \
	exit $$rc

lint: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
