import pytest
from django.db import connection


def pytest_report_header(config):
    from django.conf import settings

    return f"database: {settings.DATABASES['default']['ENGINE']}"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def postgres_only():
    """Row locks need PostgreSQL; SQLite serialises whole-database writes instead."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (SQLite ignores SELECT ... FOR UPDATE)")
