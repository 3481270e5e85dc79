"""Fixtures for the hours tests; builders live in tests/hours/builders.py."""

import pytest

from tests.factories import StaffUserFactory
from timesheets.services import recompute_all_delivered


@pytest.fixture(autouse=True)
def _delivered_stays_consistent(db):
    """After each test's own data, `recompute_delivered --check` finds no difference."""
    yield
    assert recompute_all_delivered(fix=False) == []


@pytest.fixture
def employee():
    return StaffUserFactory()
