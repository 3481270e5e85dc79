"""The month-end billing run: preview, run, run again (issue 4)."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from core.numbers import money
from invoicing.models import Invoice
from invoicing.services import billing_run, billing_run_preview, invoice_create_from_order
from sales.models import Product
from tests.builders import day, refreshed
from tests.factories import ManagerFactory
from timesheets.models import TimesheetEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(make_line, log):
    """Four confirmed orders (two to invoice up to the 5th) and a quotation."""
    hours = make_line(unit="Hours", price="100", tax="21")
    log(hours, hours=2, date=day(1))
    log(hours, hours=1, date=day(9))  # after the run's date
    prepaid = make_line(unit="Days", price="800", quantity="2", policy=Product.POLICY_ORDER)
    later_only = make_line()
    log(later_only, hours=4, date=day(8))
    done = make_line()
    log(done, hours=1, date=day(1))
    invoice_create_from_order(order=done.order)
    quotation = make_line(confirm=False)
    return {"hours": hours, "prepaid": prepaid, "later_only": later_only, "quotation": quotation}


def test_the_preview_lists_what_would_be_invoiced_and_writes_nothing(orders):
    before = Invoice.objects.count()

    rows = billing_run_preview(up_to=day(5))

    assert [row.order_id for row in rows] == [
        orders["hours"].order_id,
        orders["prepaid"].order_id,
    ]
    hours_row, prepaid_row = rows
    assert hours_row.customer_name == orders["hours"].order.customer.name
    assert (hours_row.hours, hours_row.amount_untaxed) == (Decimal("2.00"), Decimal("200.00"))
    assert hours_row.amount_total == Decimal("242.00")
    assert (prepaid_row.hours, prepaid_row.amount_untaxed) == (Decimal("16.00"), Decimal("1600.00"))
    assert Invoice.objects.count() == before


def test_the_run_makes_one_draft_per_order_and_running_it_again_makes_nothing(orders):
    before = Invoice.objects.count()

    invoices = billing_run(up_to=day(5))

    assert sorted(i.sale_order_id for i in invoices) == sorted(
        [orders["hours"].order_id, orders["prepaid"].order_id]
    )
    assert all(i.state == Invoice.DRAFT for i in invoices)
    assert refreshed(orders["hours"]).qty_to_invoice == Decimal("1.00")  # the 9th is left
    assert billing_run(up_to=day(5)) == []
    assert Invoice.objects.count() == before + 2


def test_the_command_previews_then_runs(orders):
    out = StringIO()
    call_command("billing_run", "--up-to", "2026-03-05", "--preview", stdout=out)
    assert "would be invoiced" in out.getvalue()
    assert orders["hours"].order.name in out.getvalue()
    assert not Invoice.objects.filter(sale_order=orders["hours"].order).exists()

    out = StringIO()
    call_command("billing_run", "--up-to", "2026-03-05", stdout=out)
    assert "Created 2 draft invoice(s)" in out.getvalue()
    out = StringIO()
    call_command("billing_run", "--up-to", "2026-03-05", stdout=out)
    assert "Nothing to invoice" in out.getvalue()


def test_the_command_refuses_a_bad_date(db):
    with pytest.raises(CommandError, match="not a date"):
        call_command("billing_run", "--up-to", "March")


def test_the_preview_runs_a_constant_number_of_queries(
    make_line, log, django_assert_max_num_queries
):
    for _ in range(6):
        line = make_line()
        log(line, hours=1, date=day(1))
    with django_assert_max_num_queries(4):
        rows = billing_run_preview(up_to=day(5))
    assert len(rows) == 6


def test_batches_invoice_exactly_what_order_by_order_invoicing_would(make_line, log):
    """Five orders, two per batch: the same drafts, quantities and links as one batch."""
    lines = []
    for index in range(5):
        line = make_line(unit="Days" if index % 2 else "Hours", price=str(100 + index))
        for hours in ("1.25", "0.5", "2"):
            log(line, hours=hours, date=day(1 + index))
        log(line, hours=3, date=day(20))  # after the run's date: stays unbilled
        lines.append(line)
    prepaid = make_line(policy=Product.POLICY_ORDER, quantity="3")

    invoices = billing_run(up_to=day(10), batch_orders=2)

    assert [i.sale_order_id for i in invoices] == sorted(
        line.order_id for line in [*lines, prepaid]
    )
    for line in lines:
        invoice = next(i for i in invoices if i.sale_order_id == line.order_id)
        (invoice_line,) = invoice.lines.all()
        billed = TimesheetEntry.objects.filter(invoice_line=invoice_line)
        assert sorted(e.minutes for e in billed) == [30, 75, 120]
        assert invoice_line.quantity == line.uom.minutes_to_qty(225)
        assert invoice.amount_untaxed == money(invoice_line.quantity * line.price_unit)
        assert refreshed(line).qty_invoiced == invoice_line.quantity
        assert TimesheetEntry.objects.filter(sale_line=line, invoice_line__isnull=True).count() == 1
    assert refreshed(prepaid).qty_invoiced == Decimal("3.00")
    assert billing_run(up_to=day(10), batch_orders=2) == []


def test_drafts_of_a_billing_run_have_their_created_history(make_line, log):
    manager = ManagerFactory()
    line = make_line()
    log(line, hours=1, date=day(1))

    (invoice,) = billing_run(up_to=day(5), actor=manager)

    (record,) = invoice.history.all()
    assert record.history_type == "+" and record.history_user == manager
    assert (record.sale_order_id, record.amount_total) == (line.order_id, invoice.amount_total)


def test_the_run_takes_a_fixed_number_of_queries_per_batch(
    make_line, log, django_assert_max_num_queries
):
    for _ in range(8):
        line = make_line()
        log(line, hours=1, date=day(1))
    # candidates + per batch: lock lines, units, unbilled entries, billed minutes,
    # invoiced, invoice insert, history insert, line insert, link, lock lines,
    # invoiced update (+ savepoints)
    with django_assert_max_num_queries(16):
        invoices = billing_run(up_to=day(5))
    assert len(invoices) == 8
