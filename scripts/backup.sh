#!/usr/bin/env bash
# Back up the application database (and the stored invoice PDFs) to a file.
#
#   scripts/backup.sh [OUTPUT]          (make backup)
#
# The database is the one the application uses: DATABASE_URL from the environment or
# .env, else the SQLite default. PostgreSQL: `pg_dump --format=custom` (restore it with
# scripts/restore.sh or pg_restore). SQLite: an online copy through SQLite's backup API,
# consistent even while the application writes. OUTPUT defaults to
# $BACKUP_DIR/billable-<UTC time>.{pgdump,sqlite3} (BACKUP_DIR: backups/). MEDIA_ROOT,
# when it holds files, goes to <OUTPUT without extension>-media.tar.gz beside it.
# `manage.py verify_invoices` runs on the copy's database and its output, with the
# first and last hash of each invoice series, goes to <OUTPUT without extension>-invoices.txt:
# keep that small file somewhere the database's owner cannot write (mail it, a write-once
# store); `verify_invoices --kept FILE` later shows whether a chain was rewritten since.
# The file appears only once complete and checked; the script prints its path.
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-.venv/bin/python}"
[[ -x "$PY" ]] || PY=python3
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.local}"

# DB_ENGINE, DB_NAME, DB_USER, DB_PASSWORD, DB_HOST, DB_PORT, MEDIA_ROOT as Django sees them.
eval "$("$PY" - <<'PYTHON'
import shlex

import django
from django.conf import settings

django.setup()
db = settings.DATABASES["default"]
for key in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT"):
    print(f"DB_{key}={shlex.quote(str(db.get(key) or ''))}")
print(f"MEDIA_ROOT={shlex.quote(str(settings.MEDIA_ROOT))}")
PYTHON
)"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
dir="${BACKUP_DIR:-backups}"

case "$DB_ENGINE" in
*postgresql*)
    out="${1:-$dir/billable-$stamp.pgdump}"
    mkdir -p "$(dirname "$out")"
    [[ -n "$DB_HOST" ]] && export PGHOST="$DB_HOST"
    [[ -n "$DB_PORT" ]] && export PGPORT="$DB_PORT"
    [[ -n "$DB_USER" ]] && export PGUSER="$DB_USER"
    [[ -n "$DB_PASSWORD" ]] && export PGPASSWORD="$DB_PASSWORD"
    pg_dump --format=custom --no-owner --no-privileges --file="$out.partial" "$DB_NAME"
    pg_restore --list "$out.partial" >/dev/null  # a readable archive, or fail here
    ;;
*sqlite3*)
    out="${1:-$dir/billable-$stamp.sqlite3}"
    mkdir -p "$(dirname "$out")"
    if [[ "$DB_NAME" == ":memory:" || "$DB_NAME" == file:* || ! -f "$DB_NAME" ]]; then
        echo "backup: no SQLite database file at '$DB_NAME'" >&2
        exit 1
    fi
    rm -f "$out.partial"
    "$PY" - "$DB_NAME" "$out.partial" <<'PYTHON'
import sqlite3
import sys

source = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
target = sqlite3.connect(sys.argv[2])
source.backup(target)
(result,) = target.execute("PRAGMA integrity_check").fetchone()
if result != "ok":
    sys.exit(f"backup: the copy fails its integrity check: {result}")
target.close()
source.close()
PYTHON
    ;;
*)
    echo "backup: unsupported database engine '$DB_ENGINE'" >&2
    exit 1
    ;;
esac
mv "$out.partial" "$out"

# The series hashes as of this backup (a failing check is reported, the backup kept).
invoices="${out%.*}-invoices.txt"
if "$PY" manage.py verify_invoices >"$invoices.partial" 2>&1; then
    mv "$invoices.partial" "$invoices"
    echo "invoices: $invoices" >&2
elif grep -q '^series ' "$invoices.partial"; then
    mv "$invoices.partial" "$invoices"
    echo "backup: verify_invoices found problems, see $invoices" >&2
else
    rm -f "$invoices.partial"
    echo "backup: verify_invoices could not run; no invoice hashes kept" >&2
fi

if [[ -d "$MEDIA_ROOT" && -n "$(ls -A "$MEDIA_ROOT")" ]]; then
    media="${out%.*}-media.tar.gz"
    tar -czf "$media.partial" -C "$MEDIA_ROOT" .
    mv "$media.partial" "$media"
    echo "media: $media" >&2
fi
echo "$out"
