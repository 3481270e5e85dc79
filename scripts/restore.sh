#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into a fresh database, then check it.
#
#   scripts/restore.sh BACKUP_FILE [MEDIA_ARCHIVE]     (make restore BACKUP=... [MEDIA=...])
#
# The target is DATABASE_URL (environment or .env, else the SQLite default) and must be
# fresh: a PostgreSQL database that is missing (it is created) or has no table, or a
# SQLite file that is missing or empty. A database holding anything is refused, never
# overwritten. PostgreSQL restores in one transaction: all or nothing. MEDIA_ARCHIVE
# (the -media.tar.gz beside the backup) is unpacked into MEDIA_ROOT.
# Afterwards the restored figures are checked: `manage.py recompute_delivered --check`
# and, where the command exists, `manage.py verify_invoices`; the script fails if they
# find a difference (skip: SKIP_VERIFY=1). The <backup>-invoices.txt that backup.sh wrote
# beside it (or KEPT_INVOICES=path) is passed to `verify_invoices --kept`: the restored
# chains must still give the hashes it recorded. A backup older than the code's migrations is
# restored as it is, with a reminder to migrate and then run the checks.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -lt 1 || ! -f "$1" ]]; then
    echo "usage: scripts/restore.sh BACKUP_FILE [MEDIA_ARCHIVE]  (no file at '${1:-}')" >&2
    exit 2
fi
backup="$1"
media="${2:-}"

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

refuse() {
    echo "restore: $*; restore into a fresh database (drop it or point DATABASE_URL elsewhere)" >&2
    exit 1
}

case "$DB_ENGINE" in
*postgresql*)
    [[ -n "$DB_HOST" ]] && export PGHOST="$DB_HOST"
    [[ -n "$DB_PORT" ]] && export PGPORT="$DB_PORT"
    [[ -n "$DB_USER" ]] && export PGUSER="$DB_USER"
    [[ -n "$DB_PASSWORD" ]] && export PGPASSWORD="$DB_PASSWORD"
    exists="$(psql --dbname=postgres -tA -v name="$DB_NAME" \
        <<<"SELECT 1 FROM pg_database WHERE datname = :'name'")"
    if [[ "$exists" != "1" ]]; then
        createdb "$DB_NAME"
    else
        tables="$(psql --dbname="$DB_NAME" -tAc \
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")"
        [[ "$tables" == "0" ]] || refuse "database '$DB_NAME' already holds $tables tables"
    fi
    pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
        --dbname="$DB_NAME" "$backup"
    ;;
*sqlite3*)
    [[ "$DB_NAME" != ":memory:" && "$DB_NAME" != file:* ]] || refuse "'$DB_NAME' is not a file"
    "$PY" - "$backup" "$DB_NAME" <<'PYTHON'
import sqlite3
import sys
from pathlib import Path

backup, target_path = sys.argv[1], Path(sys.argv[2])
source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
(result,) = source.execute("PRAGMA integrity_check").fetchone()
if result != "ok":
    sys.exit(f"restore: the backup fails its integrity check: {result}")
target_path.parent.mkdir(parents=True, exist_ok=True)
target = sqlite3.connect(target_path)
(tables,) = target.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
if tables:
    sys.exit(
        f"restore: '{target_path}' already holds {tables} tables; restore into a fresh "
        "database (drop it or point DATABASE_URL elsewhere)"
    )
source.backup(target)
target.close()
source.close()
PYTHON
    ;;
*)
    echo "restore: unsupported database engine '$DB_ENGINE'" >&2
    exit 1
    ;;
esac
echo "restore: database restored from $backup" >&2

if [[ -n "$media" ]]; then
    mkdir -p "$MEDIA_ROOT"
    tar -xzf "$media" -C "$MEDIA_ROOT"
    echo "restore: media restored into $MEDIA_ROOT" >&2
fi

if [[ "${SKIP_VERIFY:-0}" == "1" ]]; then
    exit 0
fi
if ! "$PY" manage.py migrate --check --noinput >/dev/null 2>&1; then
    # An older backup: its figures can only be checked once the schema is current.
    echo "restore: the backup predates this code's migrations: run manage.py migrate," \
        "then manage.py recompute_delivered --check (and verify_invoices)" >&2
    exit 0
fi
"$PY" manage.py recompute_delivered --check
if "$PY" manage.py help --commands | grep -qx verify_invoices; then
    kept="${KEPT_INVOICES:-${backup%.*}-invoices.txt}"
    if [[ -f "$kept" ]] && "$PY" manage.py verify_invoices --help | grep -q -- --kept; then
        "$PY" manage.py verify_invoices --kept "$kept"
    else
        "$PY" manage.py verify_invoices
    fi
else
    echo "restore: no verify_invoices command in this version; invoice chain not checked" >&2
fi
