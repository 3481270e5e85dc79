"""Builders for invoicing tests: confirmed orders and timesheet entries made by the services."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection

from projects.models import Task
from sales.models import Product, SaleOrderLine
from sales.services import order_confirm, order_create
from tests.factories import (
    CustomerFactory,
    ProductFactory,
    StaffUserFactory,
    TeamFactory,
    TicketFactory,
    uom,
)
from timesheets.services import timesheet_log

DAY1 = datetime.date(2026, 3, 1)


def day(n: int) -> datetime.date:
    """The n-th of March 2026."""
    return DAY1 + datetime.timedelta(days=n - 1)


@pytest.fixture
def employee(db):
    return StaffUserFactory(first_name="Ann", last_name="Smith")


@pytest.fixture
def make_line(db):
    """A confirmed (by default) order with one line, and its generated task."""

    def _make(
        *,
        unit: str = "Hours",
        policy: str = Product.POLICY_DELIVERY,
        price: str = "100",
        quantity: str = "10",
        tax: str = "21",
        confirm: bool = True,
        customer=None,
    ) -> SaleOrderLine:
        product = ProductFactory(
            uom=uom(unit),
            list_price=Decimal(price),
            tax_rate=Decimal(tax),
            invoice_policy=policy,
        )
        order = order_create(
            customer=customer or CustomerFactory(),
            lines=[{"product": product, "quantity": Decimal(quantity)}],
        )
        if confirm:
            order_confirm(order=order)
        return SaleOrderLine.objects.select_related("order", "uom").get(order=order)

    return _make


@pytest.fixture
def log(employee):
    """Log `hours` (or `minutes`) on the task of a line, optionally through a ticket."""

    def _log(line, *, hours=None, minutes=None, date=DAY1, ticket=None, who=None):
        minutes = minutes if minutes is not None else int(Decimal(str(hours)) * 60)
        if ticket is not None:
            return timesheet_log(
                employee=who or employee, date=date, minutes=minutes, ticket=ticket
            )
        task = Task.objects.get(sale_line=line)
        return timesheet_log(employee=who or employee, date=date, minutes=minutes, task=task)

    return _log


@pytest.fixture
def make_ticket(db):
    def _make(line, *, subject="Printer on fire"):
        task = Task.objects.get(sale_line=line)
        team = TeamFactory(project=task.project, use_timesheets=True)
        return TicketFactory(team=team, customer=line.order.customer, subject=subject, task=task)

    return _make


def untracked_product(*, unit: str, price: str, tax: str, name: str | None = None) -> Product:
    """A prepaid product that creates no task (sold in Units, or a fixed block of hours)."""
    extra = {"name": name} if name else {}
    return ProductFactory(
        uom=uom(unit),
        list_price=Decimal(price),
        tax_rate=Decimal(tax),
        invoice_policy=Product.POLICY_ORDER,
        service_tracking=Product.TRACKING_NO,
        project=None,
        **extra,
    )


@pytest.fixture
def example_8_invoice(db):
    """DOMAIN.md example 8: three lines of 1 unit at 0.10 with 25% tax, validated."""
    from invoicing.services import invoice_create_from_order, invoice_validate

    product = untracked_product(unit="Units", price="0.10", tax="25")
    lines = [{"product": product, "quantity": 1}] * 3
    order = order_create(customer=CustomerFactory(), lines=lines)
    order_confirm(order=order)
    return invoice_validate(invoice=invoice_create_from_order(order=order))


def refreshed(line: SaleOrderLine) -> SaleOrderLine:
    return SaleOrderLine.objects.select_related("order", "uom").get(pk=line.pk)


@pytest.fixture
def postgres_trigger():
    if connection.vendor != "postgresql":
        pytest.skip("the posted-invoice trigger is PostgreSQL-only (its migration is a no-op here)")
