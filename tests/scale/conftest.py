"""Builders shared with the invoicing tests: confirmed orders and entries made by services."""

from tests.invoicing.conftest import employee, log, make_line  # noqa: F401
