"""Builders for the hours tests: confirmed orders through the services, a helpdesk
team on the generated task's project and tickets linked to that task."""

import datetime
from decimal import Decimal

from helpdesk.services import ticket_create
from invoicing.models import Invoice, InvoiceLine
from sales.models import SaleOrderLine
from sales.services import order_confirm, order_create
from tests.factories import (
    CustomerFactory,
    ProductFactory,
    TeamFactory,
    uom,
)
from timesheets.models import TimesheetEntry

DAY = datetime.date(2026, 3, 2)


def make_product(*, unit: str = "Hours", price: str = "100.00", **kwargs):
    return ProductFactory(uom=uom(unit), list_price=Decimal(price), **kwargs)


def confirmed_order(*, product, quantity, customer=None, description=None):
    """A confirmed order with one line; returns (order, line)."""
    customer = customer or CustomerFactory()
    line_data = {"product": product, "quantity": Decimal(str(quantity))}
    if description is not None:
        line_data["description"] = description
    order = order_create(customer=customer, lines=[line_data])
    order_confirm(order=order)
    line = order.lines.get()
    return order, line


def ticket_on(*, line, team=None, subject="Printer on fire"):
    """A ticket of the line's customer, in a team logging on the task's project."""
    task = line.tasks.get()
    team = team or TeamFactory(project=task.project, use_timesheets=True)
    return ticket_create(team=team, customer=line.order.customer, subject=subject, task=task)


def hours_ticket():
    """A confirmed 10-hour line (Delivered policy) and a ticket on its task."""
    _, line = confirmed_order(product=make_product(), quantity=10)
    return line, ticket_on(line=line)


def delivered(line) -> Decimal:
    """The line's Delivered as stored now."""
    return SaleOrderLine.objects.get(pk=line.pk).qty_delivered


def hours(value) -> int:
    """Hours as whole minutes, the unit the services take."""
    return int(Decimal(str(value)) * 60)


def invoice_entry(entry: TimesheetEntry) -> InvoiceLine:
    """Stand-in for invoicing: a draft invoice line billing `entry`, which locks it."""
    line = entry.sale_line
    invoice = Invoice.objects.create(customer=line.order.customer, sale_order=line.order)
    invoice_line = InvoiceLine.objects.create(
        invoice=invoice,
        sale_line=line,
        description=line.description,
        quantity=line.uom.minutes_to_qty(entry.minutes),
        uom=line.uom,
        price_unit=line.price_unit,
    )
    TimesheetEntry.objects.filter(pk=entry.pk).update(invoice_line=invoice_line)
    return invoice_line
