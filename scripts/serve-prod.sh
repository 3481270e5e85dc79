#!/usr/bin/env bash
# Run Billable in production on this machine: migrations, static files (WhiteNoise),
# gunicorn (2 x cores + 1 workers) and a Celery worker, on PostgreSQL and Redis.
#
#   scripts/serve-prod.sh              (make serve-prod)
#   ROLE=web scripts/serve-prod.sh     only gunicorn (another app server)
#   ROLE=worker scripts/serve-prod.sh  only a Celery worker (another worker machine)
#
# Environment (README "Deploying"):
#   DATABASE_URL        default postgres://postgres@127.0.0.1:5432/billable_prod
#   CELERY_BROKER_URL   default redis://127.0.0.1:6379/0
#   SECRET_KEY          required on every app server (the same everywhere); when unset,
#                       one is generated once into $BILLABLE_STATE_DIR/secret_key
#   ALLOWED_HOSTS       default 127.0.0.1,localhost
#   PORT / HOST         gunicorn binds HOST:PORT (default 127.0.0.1:8000)
#   WEB_CONCURRENCY     gunicorn workers (default 2 x cores + 1)
#   CELERY_CONCURRENCY  Celery worker processes (default: the number of cores)
#   MIGRATE=0           skip migrate + collectstatic (app servers after the first)
#   CELERY_BEAT=0       no periodic scheduler in this worker (keep it on one worker
#                       machine: it sends the pending invoice mail every minute; a
#                       second one only makes duplicate, harmless runs)
#   SEED_DEMO=1         load the demo data after migrating (load tests only: the demo
#                       accounts have known passwords; never on a real database)
# Anything else Django reads (MEDIA_ROOT, EMAIL_URL, DATABASE_REPLICA_URL, ...) passes
# through. Stop with Ctrl-C or SIGTERM: gunicorn finishes its requests and the worker
# its current tasks (unfinished ones are delivered again), then the script exits.
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-.venv/bin/python}"
[[ -x "$PY" ]] || PY=python3
ROLE="${ROLE:-all}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.production}"
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/billable_prod}"
export CELERY_BROKER_URL="${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}"
export ALLOWED_HOSTS="${ALLOWED_HOSTS:-127.0.0.1,localhost}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
CORES="$(nproc)"
WEB_CONCURRENCY="${WEB_CONCURRENCY:-$((2 * CORES + 1))}"
CELERY_CONCURRENCY="${CELERY_CONCURRENCY:-$CORES}"

log() { printf '[serve-prod] %s\n' "$*" >&2; }

if [[ -z "${SECRET_KEY:-}" ]]; then
    state_dir="${BILLABLE_STATE_DIR:-$HOME/.billable}"
    if [[ ! -s "$state_dir/secret_key" ]]; then
        mkdir -p "$state_dir"
        (umask 077 && "$PY" -c 'import secrets; print(secrets.token_urlsafe(50))' \
            >"$state_dir/secret_key")
        log "generated SECRET_KEY in $state_dir/secret_key (set SECRET_KEY on every server)"
    fi
    SECRET_KEY="$(cat "$state_dir/secret_key")"
    export SECRET_KEY
fi

if [[ "$DATABASE_URL" == postgres* ]]; then
    # Create the database on first run (needs a role allowed to; harmless otherwise).
    "$PY" - <<'PYTHON'
import os
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

url = urlsplit(os.environ["DATABASE_URL"])
name = url.path.lstrip("/")
admin = url._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
try:
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"[serve-prod] created database {name}")
except psycopg.Error as error:
    print(f"[serve-prod] not creating {name}: {error}".strip())
PYTHON
fi

if [[ "${MIGRATE:-1}" != 0 && "$ROLE" != worker ]]; then
    log "migrate"
    "$PY" manage.py migrate --noinput
    log "collectstatic"
    "$PY" manage.py collectstatic --noinput --verbosity 0
    if [[ "${SEED_DEMO:-0}" == 1 ]]; then
        log "seed_demo"
        "$PY" manage.py seed_demo
    fi
fi
"$PY" manage.py check --deploy --fail-level ERROR >/dev/null

pids=()
stop() {
    trap - TERM INT
    log "stopping ${pids[*]}"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
    log "stopped"
}
trap 'stop; exit 0' TERM INT

if [[ "$ROLE" != worker ]]; then
    log "gunicorn config.wsgi on $HOST:$PORT with $WEB_CONCURRENCY workers"
    "$PY" -m gunicorn config.wsgi:application \
        --bind "$HOST:$PORT" \
        --workers "$WEB_CONCURRENCY" \
        --timeout 30 --graceful-timeout 30 \
        --worker-tmp-dir "$([[ -d /dev/shm ]] && echo /dev/shm || echo "${TMPDIR:-/tmp}")" \
        --max-requests 2000 --max-requests-jitter 200 \
        --access-logfile "${GUNICORN_ACCESS_LOG:--}" &
    pids+=($!)
fi
if [[ "$ROLE" != web ]]; then
    log "celery worker with $CELERY_CONCURRENCY processes on $CELERY_BROKER_URL"
    beat=()
    if [[ "${CELERY_BEAT:-1}" != 0 ]]; then
        beat_dir="${BILLABLE_STATE_DIR:-$HOME/.billable}"
        mkdir -p "$beat_dir"
        beat=(--beat --schedule "$beat_dir/celerybeat-schedule")
    fi
    "$PY" -m celery -A config worker \
        --loglevel "${CELERY_LOG_LEVEL:-INFO}" \
        --concurrency "$CELERY_CONCURRENCY" \
        --hostname "billable@%h" ${beat[@]+"${beat[@]}"} &
    pids+=($!)
fi

# Whichever process ends first (a crash) stops the others: the supervisor restarts us.
rc=0
wait -n "${pids[@]}" || rc=$?
log "a process exited (status $rc)"
stop
exit "$rc"
