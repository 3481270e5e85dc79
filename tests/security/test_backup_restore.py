"""Backup and restore: scripts/backup.sh then scripts/restore.sh into a fresh database
give back every row, and the restored figures pass `recompute_delivered --check` (and
`verify_invoices` where it exists).

The scripts run as a newcomer would run them, in subprocesses against databases of
their own (a temporary SQLite file, or PostgreSQL databases named after this suite),
never against the test database.
"""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
PG_SERVER = os.environ.get("BACKUP_TEST_PG", "postgres://postgres@127.0.0.1:5432")
# Databases of their own: after DATABASE_URL's name when it is PostgreSQL, and the
# xdist worker, so parallel runs never share one.
_DB = settings.DATABASES["default"]
_PREFIX = _DB["NAME"] if "postgresql" in _DB["ENGINE"] else "billable_security"
_PREFIX += os.environ.get("PYTEST_XDIST_WORKER", "")
PG_SOURCE = f"test_{_PREFIX}_backup_src"
PG_TARGET = f"test_{_PREFIX}_backup_dst"
POPULATE = "from tests.builders import build_company_world; build_company_world()"


def _env(database_url: str, media_root: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="config.settings.test",
        MEDIA_ROOT=str(media_root),
        PYTHON=sys.executable,
        **extra,
    )
    return env


def _run(args: list[str], env: dict[str, str], *, check: bool = True):
    result = subprocess.run(
        args, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300
    )
    if check:
        assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _manage(env: dict[str, str], *args: str, check: bool = True):
    return _run([sys.executable, "manage.py", *args], env, check=check)


def _dump(env: dict[str, str]) -> str:
    """Every row of the application, as JSON (sessions and axes' logs left out)."""
    return _manage(
        env, "dumpdata", "--exclude", "sessions", "--exclude", "axes", "--indent", "1"
    ).stdout


def _files(root: str) -> dict[str, bytes]:
    """The stored files (invoice PDFs) under a media root, by relative path."""
    base = Path(root)
    return {str(p.relative_to(base)): p.read_bytes() for p in base.rglob("*") if p.is_file()}


def _backup_restore_and_check(source: dict[str, str], target: dict[str, str], out: Path):
    _manage(source, "migrate", "--noinput")
    _manage(source, "shell", "-c", POPULATE)
    backup = _run(["scripts/backup.sh", str(out)], source)
    assert backup.stdout.strip() == str(out)
    assert out.stat().st_size > 0

    # The invoice series' hashes as of the backup, kept beside it (and checked on restore).
    kept = out.with_name(out.stem + "-invoices.txt")
    assert "series INV/2026 count=" in kept.read_text()
    media = out.with_name(out.stem + "-media.tar.gz")
    restore = _run(
        ["scripts/restore.sh", str(out), *([str(media)] if media.exists() else [])], target
    )

    # restore.sh checked the restored figures itself (it fails when a check fails).
    assert "Delivered quantities: no difference." in restore.stdout
    assert "the hash chain is intact" in restore.stdout
    restored = _dump(target)
    assert restored == _dump(source)
    assert '"model": "invoicing.invoice"' in restored
    assert '"model": "timesheets.timesheetentry"' in restored
    assert _files(target["MEDIA_ROOT"]) == _files(source["MEDIA_ROOT"])

    again = _run(["scripts/restore.sh", str(out)], target, check=False)

    assert again.returncode != 0, "a second restore must refuse the database it filled"
    assert "fresh database" in again.stderr
    assert _dump(target) == restored


# --- SQLite --------------------------------------------------------------------------


@pytest.fixture
def sqlite_pair(tmp_path):
    source = _env(f"sqlite:///{tmp_path / 'source.sqlite3'}", tmp_path / "media-src")
    target = _env(f"sqlite:///{tmp_path / 'restored.sqlite3'}", tmp_path / "media-dst")
    return source, target


def test_sqlite_backup_restores_every_row_into_a_fresh_database_only(sqlite_pair, tmp_path):
    source, target = sqlite_pair

    _backup_restore_and_check(source, target, tmp_path / "backups" / "billable.sqlite3")


def test_restore_refuses_a_missing_backup_file(sqlite_pair, tmp_path):
    _source, target = sqlite_pair

    result = _run(["scripts/restore.sh", str(tmp_path / "nothing.sqlite3")], target, check=False)

    assert result.returncode == 2
    assert "usage" in result.stderr


def test_backup_writes_the_default_name_in_backup_dir(sqlite_pair, tmp_path):
    source, _target = sqlite_pair
    with sqlite3.connect(tmp_path / "source.sqlite3") as db:
        db.execute("CREATE TABLE note (text TEXT)")
    source["BACKUP_DIR"] = str(tmp_path / "nightly")

    result = _run(["scripts/backup.sh"], source)

    written = Path(result.stdout.strip())
    assert written.parent == tmp_path / "nightly"
    assert written.name.startswith("billable-") and written.suffix == ".sqlite3"
    assert written.exists()


# --- PostgreSQL ----------------------------------------------------------------------


def _pg_admin():
    try:
        return psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"needs a PostgreSQL server at {PG_SERVER} ({error.__class__.__name__})")


def _drop(admin, name: str) -> None:
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_pair(tmp_path):
    admin = _pg_admin()
    for name in (PG_SOURCE, PG_TARGET):
        _drop(admin, name)
    admin.execute(f'CREATE DATABASE "{PG_SOURCE}"')
    source = _env(f"{PG_SERVER}/{PG_SOURCE}", tmp_path / "media-src")
    target = _env(f"{PG_SERVER}/{PG_TARGET}", tmp_path / "media-dst")
    yield source, target
    for name in (PG_SOURCE, PG_TARGET):
        _drop(admin, name)
    admin.close()


def test_postgresql_backup_restores_every_row_into_a_fresh_database_only(pg_pair, tmp_path):
    source, target = pg_pair

    _backup_restore_and_check(source, target, tmp_path / "billable.pgdump")
