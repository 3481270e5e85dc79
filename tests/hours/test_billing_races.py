"""Billing rules under concurrency (PostgreSQL row locks): an entry moving between rate
lines, or being adjusted, while its order is invoiced. Whatever the interleaving, no
entry is billed twice, every billed entry sits on its invoice line's order line, and
each line's Invoiced is what its billed entries make (rules 20, 28, 30)."""

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db.models import Sum

from core.errors import ConflictError
from invoicing import services as invoicing
from invoicing.models import Invoice
from sales import services as sales
from sales.models import SaleOrderLine, WorkType
from tests.builders import build_product, build_ticket_world, build_work_type, log_time
from tests.factories import ManagerFactory, StaffUserFactory
from tests.threads import run_together
from timesheets import services as timesheets
from timesheets.models import TimesheetEntry

pytestmark = pytest.mark.django_db(transaction=True)


def assert_billed_once_and_consistent(order) -> None:
    for entry in TimesheetEntry.objects.filter(invoice_line__isnull=False).select_related(
        "invoice_line"
    ):
        assert entry.invoice_line.sale_line_id == entry.sale_line_id, entry
    for line in SaleOrderLine.objects.filter(order=order).select_related("uom"):
        billed = (
            TimesheetEntry.objects.filter(
                sale_line=line, invoice_line__invoice__state__in=["draft", "posted"]
            ).aggregate(total=Sum("billed_minutes"))["total"]
            or 0
        )
        assert line.qty_invoiced == line.uom.minutes_to_qty(billed), line
        delivered = (
            TimesheetEntry.objects.filter(sale_line=line).aggregate(total=Sum("billed_minutes"))[
                "total"
            ]
            or 0
        )
        assert line.delivered_minutes == delivered, line


def test_entries_moving_between_rate_lines_while_the_order_is_invoiced(postgres_only):
    employee = StaffUserFactory()
    world = build_ticket_world()
    world.team.members.add(employee)
    after_hours = build_work_type(name="After hours")
    rate = sales.order_line_add(
        order=world.order, product=build_product(project=world.project), quantity="0"
    )
    sales.order_line_update(line=rate, rate_work_type=after_hours, rounding_increment=15)
    entries = [log_time(employee=employee, minutes=20 + n, ticket=world.ticket) for n in range(6)]
    support = WorkType.default()

    def move(entry: TimesheetEntry) -> Callable[[], object]:
        def run():
            done = 0
            for n in range(4):
                target = after_hours if n % 2 == 0 else support
                try:
                    timesheets.timesheet_update(entry=entry, work_type=target, actor=employee)
                    done += 1
                except ConflictError:  # invoiced meanwhile: it stays where it was billed
                    break
            return done

        return run

    def invoice() -> object:
        return invoicing.invoice_create_from_order(order=world.order)

    results = run_together([*(move(entry) for entry in entries), invoice, invoice])

    assert not [r for r in results if isinstance(r, Exception) and not _nothing(r)], results
    assert_billed_once_and_consistent(world.order)
    # Bill what is left: then every entry is billed exactly once and Invoiced = Delivered.
    try:
        invoicing.invoice_create_from_order(order=world.order)
    except Exception as error:  # noqa: BLE001 - "nothing to invoice" is a fine outcome
        assert _nothing(error), error
    assert TimesheetEntry.objects.filter(invoice_line__isnull=True).count() == 0
    for line in SaleOrderLine.objects.filter(order=world.order):
        assert line.qty_invoiced == line.qty_delivered, line
    assert_billed_once_and_consistent(world.order)


def _nothing(error: Exception) -> bool:
    return "Nothing to invoice" in str(error)


def test_an_adjustment_racing_an_invoice_is_billed_or_refused_never_lost(postgres_only):
    employee, manager = StaffUserFactory(), ManagerFactory()
    world = build_ticket_world(employee=employee, hours=2)

    def adjust() -> object:
        return timesheets.timesheet_adjust_billed(
            entry=world.entry, minutes=30, reason="Agreed", actor=manager
        )

    def invoice() -> object:
        return invoicing.invoice_create_from_order(order=world.order)

    adjusted, invoiced = run_together([adjust, invoice])

    world.entry.refresh_from_db()
    line = SaleOrderLine.objects.get(pk=world.line.pk)
    if isinstance(adjusted, ConflictError):  # the invoice came first and billed 2:00
        assert isinstance(invoiced, Invoice)
        assert world.entry.billed_minutes == 120
        assert line.qty_invoiced == Decimal("2.00")
    elif isinstance(invoiced, Invoice) and world.entry.invoice_line_id:  # adjusted first
        assert world.entry.billed_minutes == 30
        assert line.qty_invoiced == Decimal("0.50")
    else:  # the invoice skipped the entry being adjusted: nothing billed, nothing lost
        assert world.entry.billed_minutes == 30
        assert line.qty_invoiced == Decimal("0.00")
        assert line.qty_delivered == Decimal("0.50")
    assert_billed_once_and_consistent(world.order)
