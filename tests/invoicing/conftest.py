"""Fixtures for the invoicing tests; `employee`, `make_line`, `log` and `make_ticket` come
from tests/conftest.py, everything is built by tests/builders.py."""

import pytest

from tests.builders import build_invoice, build_order, build_untracked_product


@pytest.fixture
def example_8_invoice(db):
    """DOMAIN.md example 8: three lines of 1 unit at 0.10 with 25% tax, validated."""
    product = build_untracked_product(unit="Units", price="0.10", tax="25")
    order = build_order(lines=[{"product": product, "quantity": 1}] * 3)
    return build_invoice(order=order, validate=True)
