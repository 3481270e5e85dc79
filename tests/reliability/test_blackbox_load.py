"""The black-box load test (scripts/blackbox_load.py) in CI: gunicorn with the
production settings on a fresh PostgreSQL database, 20 clients for about 60 s of mixed
writes and malformed requests, then the ledger invariants checked by SQL.

It must end with no HTTP 500 and no invariant breach (the script's exit status 0).
"""

import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def admin_url() -> str:
    """The test database's server, as a URL for the script to create its own database."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "postgres", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"


def test_twenty_clients_for_a_minute_get_no_500_and_leave_a_consistent_ledger(
    postgres_only, tmp_path
):
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "blackbox_load.py"),
            "--clients",
            "20",
            "--seconds",
            "60",
            "--kill-worker",
            "--admin-url",
            admin_url(),
            "--database",
            f"{connection.settings_dict['NAME']}_blackbox"[:63],
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = result.stdout + result.stderr
    assert "HTTP 500: 0" in output, output[-6000:]
    assert "invariant breaches: 0" in output, output[-6000:]
    assert result.returncode == 0, output[-6000:]
