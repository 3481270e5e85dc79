"""DOMAIN.md part F, worked examples 1, 2, 3, 6, 7, 8 and 9, end to end through the services.

(Example 5 lives in test_locked_entries.py.)
"""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from invoicing.models import Invoice
from invoicing.services import (
    invoice_create_from_order,
    invoice_credit,
    invoice_validate,
)
from projects.models import Task
from sales.models import InvoiceStatus, Product
from tests.builders import day, refreshed
from timesheets.models import TimesheetEntry

pytestmark = pytest.mark.django_db

D = Decimal


def test_example_1_days_delivered_invoices_exactly_the_logged_entries(make_line, log):
    line = make_line(unit="Days", price="800", quantity="2", tax="21")
    assert Task.objects.get(sale_line=line).allocated_hours == D("16.00")
    entries = [log(line, hours=h) for h in (3, 5, 4)]

    line = refreshed(line)
    assert line.qty_delivered == D("1.50")
    assert line.qty_to_invoice == D("1.50")

    invoice = invoice_create_from_order(order=line.order)
    assert invoice.amount_untaxed == D("1200.00")
    assert invoice.amount_tax == D("252.00")
    assert invoice.amount_total == D("1452.00")
    (invoice_line,) = invoice.lines.all()
    assert invoice_line.quantity == D("1.50")
    assert set(invoice_line.timesheets.values_list("pk", flat=True)) == {e.pk for e in entries}

    log(line, hours=2, date=day(2))
    line = refreshed(line)
    assert line.qty_delivered == D("1.75")
    assert line.qty_to_invoice == D("0.25")
    second = invoice_create_from_order(order=line.order)
    assert second.amount_untaxed == D("200.00")
    assert refreshed(line).qty_to_invoice == 0


def test_example_2_over_delivery_on_delivered_policy_is_fully_invoiced_never_upselling(
    make_line, log
):
    line = make_line(unit="Days", price="800", quantity="2")
    log(line, hours=20)
    line = refreshed(line)
    assert line.qty_delivered == D("2.50")

    invoice = invoice_create_from_order(order=line.order)

    assert invoice.amount_untaxed == D("2000.00")
    line = refreshed(line)
    assert line.invoice_status == InvoiceStatus.INVOICED
    assert line.order.invoice_status == InvoiceStatus.INVOICED


def test_example_3_prepaid_invoices_the_ordered_quantity_then_shows_upselling(make_line, log):
    line = make_line(unit="Hours", price="90", quantity="10", policy=Product.POLICY_ORDER)
    assert line.qty_to_invoice == D("10")

    invoice = invoice_create_from_order(order=line.order)
    assert invoice.amount_untaxed == D("900.00")
    assert not TimesheetEntry.objects.filter(invoice_line__invoice=invoice).exists()

    log(line, hours=4)
    line = refreshed(line)
    assert line.remaining_hours == D("6.00")
    assert line.remaining_minutes == 360
    assert line.invoice_status == InvoiceStatus.INVOICED

    log(line, hours=7, date=day(2))
    line = refreshed(line)
    assert line.qty_delivered == D("11.00")
    assert line.remaining_minutes == -60
    assert line.invoice_status == InvoiceStatus.UPSELLING
    # Entries logged on a prepaid line are never linked to an invoice.
    assert not TimesheetEntry.objects.filter(invoice_line__isnull=False).exists()


def test_example_6_full_credit_note_frees_the_entries_for_a_new_invoice(make_line, log):
    line = make_line(unit="Hours", price="100", quantity="10", tax="0")
    entries = [log(line, hours=5), log(line, hours=5, date=day(2))]
    invoice = invoice_validate(invoice=invoice_create_from_order(order=line.order))
    assert invoice.amount_total == D("1000.00")

    note = invoice_credit(invoice=invoice)

    assert note.move_type == Invoice.CREDIT_NOTE
    assert note.number.startswith("RINV/")
    assert note.reversed_invoice_id == invoice.pk
    assert note.amount_total == D("1000.00")
    invoice.refresh_from_db()
    assert invoice.payment_state == Invoice.REVERSED
    line = refreshed(line)
    assert line.qty_invoiced == 0
    assert line.qty_to_invoice == D("10.00")

    again = invoice_create_from_order(order=line.order)
    assert again.amount_total == D("1000.00")
    billed = TimesheetEntry.objects.filter(invoice_line__invoice=again)
    assert set(billed.values_list("pk", flat=True)) == {e.pk for e in entries}
    assert refreshed(line).qty_invoiced == D("10.00")


def test_example_7_invoicing_up_to_a_date_bills_only_the_entries_until_then(make_line, log):
    line = make_line(unit="Hours", price="100", quantity="40")
    log(line, hours=10, date=day(1))
    log(line, hours=10, date=day(2))
    log(line, hours=20, date=day(6))

    first = invoice_create_from_order(order=line.order, up_to=day(2))
    assert first.lines.get().quantity == D("20.00")
    assert first.period_end == day(2)

    second = invoice_create_from_order(order=line.order, up_to=day(6))
    assert second.lines.get().quantity == D("20.00")

    with pytest.raises(ValidationError, match="Nothing to invoice"):
        invoice_create_from_order(order=line.order, up_to=day(30))
    assert refreshed(line).qty_invoiced == refreshed(line).qty_delivered == D("40.00")


def test_example_7_a_period_bills_only_the_entries_inside_it(make_line, log):
    line = make_line(unit="Hours", quantity="40")
    log(line, hours=10, date=day(1))
    inside = log(line, hours=3, date=day(4))
    log(line, hours=20, date=day(6))

    invoice = invoice_create_from_order(order=line.order, period_start=day(3), period_end=day(5))

    invoice_line = invoice.lines.get()
    assert invoice_line.quantity == D("3.00")
    assert list(invoice_line.timesheets.values_list("pk", flat=True)) == [inside.pk]


def test_example_8_tax_is_rounded_per_line(example_8_invoice):
    invoice = example_8_invoice
    assert [line.amount_tax for line in invoice.lines.all()] == [D("0.03")] * 3
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.amount_untaxed == D("0.30")
    assert invoice.amount_tax == D("0.09")
    assert invoice.amount_total == D("0.39")


def test_example_9_no_rounding_drift_across_invoices(make_line, log):
    line = make_line(unit="Days", price="800", quantity="1")
    log(line, hours=1, date=day(1))
    log(line, hours=1, date=day(2))

    first = invoice_create_from_order(order=line.order, up_to=day(1))
    assert first.lines.get().quantity == D("0.13")
    second = invoice_create_from_order(order=line.order)
    assert second.lines.get().quantity == D("0.12")

    line = refreshed(line)
    assert line.qty_invoiced == D("0.25") == line.qty_delivered
    assert line.qty_to_invoice == 0


def test_example_9_billing_in_any_order_of_periods_converges_on_delivered(make_line, log):
    line = make_line(unit="Days", quantity="1")
    for n in range(1, 6):
        log(line, minutes=50, date=day(n))  # 5 x 50 min = 250 min = 0.52 day
    for start, end in [(day(4), day(5)), (day(1), day(1)), (day(2), day(3))]:
        invoice_create_from_order(order=line.order, period_start=start, period_end=end)
    line = refreshed(line)
    assert line.qty_delivered == D("0.52")
    assert line.qty_invoiced == line.qty_delivered
