"""DOMAIN.md part F, the worked examples that need no invoice (1 and 2 up to the
invoice, 3 without invoicing, 4), plus the invoice-status rules (17) they touch."""

import datetime
from decimal import Decimal

import pytest

from core.numbers import format_hours, format_minutes
from sales.models import InvoiceStatus, Product, SaleOrder, SaleOrderLine
from sales.services import order_confirm, order_create
from tests.builders import DAY, build_order_line, build_product, build_ticket, hours, refreshed
from tests.factories import CustomerFactory
from timesheets.services import timesheet_log

pytestmark = pytest.mark.django_db


def _log(employee, ticket, *durations_in_hours, start=DAY):
    """One entry per duration, each on its own day (keeps every day under 24 h)."""
    for offset, value in enumerate(durations_in_hours):
        timesheet_log(
            employee=employee,
            date=start + datetime.timedelta(days=offset),
            minutes=hours(value),
            ticket=ticket,
        )


def test_example_1_days_order_creates_a_16_hour_task_named_after_the_order(employee):
    product = build_product(unit="Days", price="800.00")
    line = build_order_line(
        product=product, quantity=2, description="Remote support\nfor the spring migration"
    )
    order = line.order

    task = line.tasks.get()
    assert task.allocated_hours == Decimal("16.00")
    assert task.name == f"{order.name} - Remote support"
    assert task.project == product.project
    assert task.customer == order.customer


def test_example_1_entries_of_3_5_4_hours_deliver_1_50_days_then_2_more_1_75(employee):
    line = build_order_line(product=build_product(unit="Days", price="800.00"), quantity=2)
    ticket = build_ticket(line=line)

    _log(employee, ticket, 3, 5, 4)
    line = refreshed(line)
    assert line.delivered_minutes == 12 * 60
    assert line.qty_delivered == Decimal("1.50")
    assert line.qty_to_invoice == Decimal("1.50")
    assert line.invoice_status == InvoiceStatus.TO_INVOICE

    _log(employee, ticket, 2, start=DAY + datetime.timedelta(days=10))
    line = refreshed(line)
    assert line.qty_delivered == Decimal("1.75")
    assert line.qty_to_invoice == Decimal("1.75")


def test_example_2_twenty_hours_on_a_two_day_order_deliver_2_50(employee):
    line = build_order_line(product=build_product(unit="Days", price="800.00"), quantity=2)
    ticket = build_ticket(line=line)

    _log(employee, ticket, 8, 8, 4)

    line = refreshed(line)
    assert line.qty_delivered == Decimal("2.50")
    assert line.qty_to_invoice == Decimal("2.50")
    # Delivered policy: over-delivery is simply more to invoice, never Upselling.
    assert line.invoice_status == InvoiceStatus.TO_INVOICE


def test_example_3_prepaid_hours_are_to_invoice_on_confirmation():
    product = build_product(price="90.00", invoice_policy=Product.POLICY_ORDER)
    line = build_order_line(product=product, quantity=10)
    order = line.order

    line = refreshed(line)
    assert line.qty_to_invoice == Decimal("10.00")
    assert line.invoice_status == InvoiceStatus.TO_INVOICE
    assert line.amount_untaxed == Decimal("900.00")
    assert line.remaining_hours == Decimal("10.00")
    assert SaleOrder.objects.get(pk=order.pk).invoice_status == InvoiceStatus.TO_INVOICE


def test_example_3_prepaid_remaining_hours_go_from_6_00_to_minus_1_00(employee):
    product = build_product(price="90.00", invoice_policy=Product.POLICY_ORDER)
    line = build_order_line(product=product, quantity=10)
    ticket = build_ticket(line=line)

    _log(employee, ticket, 4)
    line = refreshed(line)
    assert line.qty_delivered == Decimal("4.00")
    assert line.remaining_hours == Decimal("6.00")
    assert format_hours(line.remaining_hours) == "6:00"
    assert format_minutes(line.remaining_minutes) == "6:00"

    _log(employee, ticket, 7, start=DAY + datetime.timedelta(days=5))
    line = refreshed(line)
    assert line.qty_delivered == Decimal("11.00")
    assert line.remaining_hours == Decimal("-1.00")
    assert format_hours(line.remaining_hours) == "-1:00"
    assert format_minutes(line.remaining_minutes) == "-1:00"
    # Nothing invoiced yet, so the ordered 10 are still to invoice (To invoice beats Upselling).
    assert line.qty_to_invoice == Decimal("10.00")
    assert line.invoice_status == InvoiceStatus.TO_INVOICE


def test_example_4_a_20_minute_entry_delivers_0_33_hours(employee):
    line = build_order_line(product=build_product(), quantity=5)

    timesheet_log(employee=employee, date=DAY, minutes=20, task=line.tasks.get())

    line = refreshed(line)
    assert line.delivered_minutes == 20
    assert line.qty_delivered == Decimal("0.33")


# --- Rule 17 on figures alone (the invoiced figure comes from invoicing; set in memory) -----


def _line(*, state, policy, quantity, delivered, invoiced) -> SaleOrderLine:
    return SaleOrderLine(
        order=SaleOrder(state=state),
        invoice_policy=policy,
        quantity=Decimal(quantity),
        qty_delivered=Decimal(delivered),
        qty_invoiced=Decimal(invoiced),
    )


@pytest.mark.parametrize(
    ("state", "policy", "quantity", "delivered", "invoiced", "expected"),
    [
        # A quotation or a cancelled order has nothing to invoice, whatever was logged.
        (SaleOrder.DRAFT, Product.POLICY_DELIVERY, "2", "1.5", "0", InvoiceStatus.NO),
        (SaleOrder.CANCEL, Product.POLICY_ORDER, "10", "4", "0", InvoiceStatus.NO),
        # Delivered policy, nothing logged yet.
        (SaleOrder.SALE, Product.POLICY_DELIVERY, "2", "0", "0", InvoiceStatus.NO),
        # Example 2 after its invoice: Fully invoiced, never Upselling.
        (SaleOrder.SALE, Product.POLICY_DELIVERY, "2", "2.5", "2.5", InvoiceStatus.INVOICED),
        # Example 3 after its invoice: 4 h logged -> Fully invoiced; 11 h -> Upselling.
        (SaleOrder.SALE, Product.POLICY_ORDER, "10", "4", "10", InvoiceStatus.INVOICED),
        (SaleOrder.SALE, Product.POLICY_ORDER, "10", "11", "10", InvoiceStatus.UPSELLING),
        # Example 1 after the first invoice, 2 h more logged.
        (SaleOrder.SALE, Product.POLICY_DELIVERY, "2", "1.75", "1.5", InvoiceStatus.TO_INVOICE),
    ],
)
def test_line_invoice_status_follows_rule_17(
    state, policy, quantity, delivered, invoiced, expected
):
    assert (
        _line(
            state=state, policy=policy, quantity=quantity, delivered=delivered, invoiced=invoiced
        ).invoice_status
        == expected
    )


def test_order_status_is_to_invoice_when_any_line_is():
    quotation = order_create(
        customer=CustomerFactory(),
        lines=[
            {"product": build_product(), "quantity": Decimal("3")},
            {"product": build_product(invoice_policy=Product.POLICY_ORDER), "quantity": 1},
        ],
    )
    assert quotation.invoice_status == InvoiceStatus.NO

    order_confirm(order=quotation)

    order = SaleOrder.objects.prefetch_related("lines__uom").get(pk=quotation.pk)
    # The prepaid line is to invoice; the delivered one has nothing logged yet.
    assert [line.invoice_status for line in order.lines.all()] == [
        InvoiceStatus.NO,
        InvoiceStatus.TO_INVOICE,
    ]
    assert order.invoice_status == InvoiceStatus.TO_INVOICE
