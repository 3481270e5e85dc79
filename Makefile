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

.PHONY: bench serve-prod worker loadtest backup restore

# The benchmark of issue 7 against DATABASE_URL (README, Performance):
#   make bench [SCALE=small|full] [BENCH_ARGS="--reset" | "--skip-load" ...]
SCALE ?= small
BENCH_ARGS ?=
bench: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py bench --scale $(SCALE) $(BENCH_ARGS)

# Production on this machine (README, Deploying): migrate, collectstatic, gunicorn
# (2 x cores + 1 workers) and a Celery worker, on DATABASE_URL and CELERY_BROKER_URL.
serve-prod: install
	scripts/serve-prod.sh

# One more Celery worker (same environment as serve-prod).
worker: install
	ROLE=worker scripts/serve-prod.sh

# B7: 50 users for 60 s against a running serve-prod (installs locust on demand); the
# users log in first, then the mix is measured for 60 s (scripts/loadtest.py). On fresh
# demo data (the mix logs time, which grows the tickets' Timesheets tabs):
#   dropdb -h 127.0.0.1 -U postgres --if-exists billable_b7
#   SEED_DEMO=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/billable_b7 make serve-prod
#   make loadtest                        # in another shell; figures in b7_stats.csv
loadtest: install
	$(PY) -m pip install --quiet "locust>=2.30"
	$(PY) -m locust -f scripts/loadtest.py --headless -u 50 -r 10 --host http://$(HOST):$(PORT) \
		--csv b7 --only-summary

# make backup [BACKUP=path]: DATABASE_URL's database (pg_dump -Fc / SQLite backup) + stored PDFs
backup: install
	PYTHON=$(PY) scripts/backup.sh $(BACKUP)

# make restore BACKUP=backups/<file> [MEDIA=backups/<file>-media.tar.gz]: into a fresh database, then checked
restore: install
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=backups/<file> [MEDIA=<media archive>]"; exit 2; }
	PYTHON=$(PY) scripts/restore.sh $(BACKUP) $(MEDIA)
