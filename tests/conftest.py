import importlib

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.db.backends.signals import connection_created

from tests import builders
from tests.factories import ManagerFactory, StaffUserFactory, UserFactory


def _allow_test_flush(sender, connection, **kwargs):
    """Django empties the database between transactional tests with TRUNCATE, which the
    guard of invoicing migration 0008 refuses: test connections allow it for their
    session (tests/reliability/test_tamper.py switches it off to test the guard)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET billable.allow_truncate = 'on'")


connection_created.connect(_allow_test_flush)


def pytest_report_header(config):
    from django.conf import settings

    return f"database: {settings.DATABASES['default']['ENGINE']}"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def ensure_reference_rows() -> None:
    """Re-create the rows our data migrations made (units, roles, settings).

    A transactional test ends with a flush that empties every table; Django re-creates
    content types and permissions, but not our data. The migrations' functions use
    get_or_create, so calling them again is idempotent.
    """
    units = importlib.import_module("sales.migrations.0002_working_time_units")
    roles = importlib.import_module("core.migrations.0002_roles_and_settings")
    administrator = importlib.import_module("core.migrations.0003_administrator_role")
    units.create_units(django_apps, None)
    roles.create_roles(django_apps, None)
    administrator.create_administrator_role(django_apps, None)


def _is_transactional(request) -> bool:
    if "live_server" in request.fixturenames or "transactional_db" in request.fixturenames:
        return True
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return False
    return bool(marker.kwargs.get("transaction") or (marker.args and marker.args[0]))


@pytest.fixture(autouse=True)
def _reference_rows_after_flush(request):
    if _is_transactional(request):
        request.getfixturevalue("_django_db_helper")
        ensure_reference_rows()


@pytest.fixture
def postgres_only():
    """Row locks need PostgreSQL; SQLite serialises whole-database writes instead."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (SQLite ignores SELECT ... FOR UPDATE)")


@pytest.fixture
def postgres_trigger():
    """The guards of posted invoices are PostgreSQL triggers (migration 0008 adds none on
    SQLite)."""
    if connection.vendor != "postgresql":
        pytest.skip("the posted-invoice guards are PostgreSQL triggers (a no-op migration here)")


# --- users by role ----------------------------------------------------------------------


@pytest.fixture
def helpdesk_user(db):
    return StaffUserFactory(username="hugo", first_name="Hugo", last_name="Helper")


@pytest.fixture
def manager(db):
    return ManagerFactory(username="mia", first_name="Mia", last_name="Manager")


@pytest.fixture
def no_role_user(db):
    return UserFactory(username="nobody")


# --- the world builders of tests/builders.py, as fixtures -------------------------------


@pytest.fixture
def employee(db):
    """The Helpdesk User who logs the time."""
    return StaffUserFactory(first_name="Ann", last_name="Smith")


@pytest.fixture
def make_line(db):
    """`make_line(**order)`: the one line of a confirmed (by default) order, see
    `builders.build_order` (unit, policy, price, quantity, tax, confirm, customer...)."""
    return builders.build_order_line


@pytest.fixture
def log(employee):
    """`log(line, hours=... | minutes=..., date=day(1), ticket=None, who=employee)`: time
    logged on the line's task, or through a ticket."""

    def _log(line, *, hours=None, minutes=None, date=None, ticket=None, who=None):
        return builders.log_time(
            employee=who or employee,
            date=date or builders.day(1),
            hours=hours,
            minutes=minutes,
            ticket=ticket,
            line=line,
        )

    return _log


@pytest.fixture
def make_ticket(db):
    """`make_ticket(line, subject=...)`: a ticket on the line's task (`builders.build_ticket`)."""

    def _make(line, *, subject="Printer on fire"):
        return builders.build_ticket(line=line, subject=subject)

    return _make
