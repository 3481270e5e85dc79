#!/usr/bin/env bash
# Benchmark smoke run (issue 7): `manage.py bench --scale small` on a fresh database.
# Figures are printed and written to bench-results.json; nothing is asserted about
# timings. Exits 0 when the benchmark ran.
#
# DATABASE_URL=postgres://.../<name>: runs in a fresh database <name>_bench_smoke on
# that server (created, then dropped); otherwise in a fresh SQLite file.
set -euo pipefail

cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
OUTPUT="${BENCH_OUTPUT:-bench-results.json}"
workdir="$(mktemp -d)"
smoke_url=""

# pg_database <create|drop> <url>: (re)create or drop the database named in <url>.
pg_database() {
    "$PY" - "$1" "$2" <<'PYEOF'
import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg

action, url = sys.argv[1], urlsplit(sys.argv[2])
name = url.path.lstrip("/")
with psycopg.connect(urlunsplit(url._replace(path="/postgres")), autocommit=True) as conn:
    conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    if action == "create":
        conn.execute(f'CREATE DATABASE "{name}"')
PYEOF
}

cleanup() {
    if [[ -n "$smoke_url" ]]; then
        pg_database drop "$smoke_url" || true
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT

if [[ "${DATABASE_URL:-}" == postgres* ]]; then
    base="${DATABASE_URL%%\?*}"
    smoke_url="${base}_bench_smoke"
    pg_database create "$smoke_url"
    export DATABASE_URL="$smoke_url"
else
    export DATABASE_URL="sqlite:///$workdir/bench.sqlite3"
fi

echo "bench smoke on $DATABASE_URL"
"$PY" manage.py migrate --noinput -v0
# shellcheck disable=SC2086  # BENCH_ARGS: extra options, word-split on purpose
"$PY" manage.py bench --scale small --output "$OUTPUT" ${BENCH_ARGS:-}
