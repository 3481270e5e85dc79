# Billable: two commands for a fresh clone.
#   make run    virtualenv, install, migrate SQLite, load the demo data, serve on 127.0.0.1:8000
#               (make run PORT=8001 serves on another port)
#   make test   install the dev dependencies and run the whole suite
#
# pyproject.toml states what we depend on (ranges); requirements.txt (runtime) and
# requirements-dev.txt (runtime + dev) pin every package with its hashes, and are what
# gets installed. `make lock` writes them again (README, "Upgrading dependencies").

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# Locally the test database is kept between runs (new migrations are applied to it);
# CI (CI=true) builds it afresh.
PYTEST_DB ?= $(if $(CI),--create-db,--reuse-db)
LOCK_ARGS ?=

.PHONY: run test lint install install-dev migrate demo lock

$(PY):
	$(PYTHON) -m venv $(VENV)

# Stamps re-run the install only when a lock file changes.
$(VENV)/.installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.txt
	touch $@ $(VENV)/.installed

# make lock [LOCK_ARGS=--upgrade | "--upgrade-package django"]: the lock files from
# pyproject.toml (the dev lock is held to the runtime one's versions).
LOCK_FLAGS = --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links
lock: install-dev
	$(VENV)/bin/pip-compile $(LOCK_FLAGS) $(LOCK_ARGS) -o requirements.txt pyproject.toml
	$(VENV)/bin/pip-compile $(LOCK_FLAGS) $(LOCK_ARGS) --extra dev -c requirements.txt -o requirements-dev.txt pyproject.toml

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
	@rc=0; $(PY) -m pytest -p no:cacheprovider $(PYTEST_DB) $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no test"; rc=0; fi; \
	exit $$rc

lint: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports

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
