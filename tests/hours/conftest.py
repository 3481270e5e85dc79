"""Fixtures for the hours tests; `employee` comes from tests/conftest.py and worlds from
tests/builders.py."""

import pytest

from timesheets.services import recompute_all_delivered


@pytest.fixture(autouse=True)
def _delivered_stays_consistent(db):
    """After each test's own data, `recompute_delivered --check` finds no difference."""
    yield
    assert recompute_all_delivered(fix=False) == []
