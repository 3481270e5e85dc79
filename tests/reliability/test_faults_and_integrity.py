"""Faults leave nothing half-written; altered posted invoices are found (issue 8)."""

import datetime
import sys
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection

from core.models import Sequence
from invoicing import services as invoicing_services
from invoicing.models import Invoice
from invoicing.services import posting
from sales.models import SaleOrderLine
from tests.builders import build_order, build_product, build_team, log_time
from tests.factories import StaffUserFactory
from timesheets import services as timesheet_services
from timesheets.models import TimesheetEntry

pytestmark = pytest.mark.django_db


def _invoiceable_order(hours=5, customer=None):
    """A confirmed order of 10 hours with `hours` logged on 2 March."""
    order = build_order(customer=customer, product=build_product(project=build_team().project))
    log_time(employee=StaffUserFactory(), hours=hours, line=order.lines.get())
    return order


def test_a_database_error_during_validation_takes_no_number_and_posts_nothing():
    invoice = invoicing_services.invoice_create_from_order(order=_invoiceable_order())
    with (
        mock.patch.object(posting, "invoice_content_hash", side_effect=DatabaseError("disk full")),
        pytest.raises(DatabaseError),
    ):
        invoicing_services.invoice_validate(invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.state == Invoice.DRAFT and invoice.number is None
    assert not Sequence.objects.filter(code="INV", last_number__gt=0).exists()
    # The next validation gets number 1: no gap.
    invoicing_services.invoice_validate(invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.number.endswith("/00001")


def _fail_on_call(number: int):
    """Patch the invoiced-figure write of the billing run to fail on its `number`th call,
    after that batch's drafts and entry links were written."""
    drafts = sys.modules["invoicing.services.drafts"]
    real = drafts.sale_lines_recompute_invoiced
    calls = []

    def fail(*, line_ids):
        real(line_ids=line_ids)
        calls.append(line_ids)
        if len(calls) == number:
            raise DatabaseError("connection lost")

    return mock.patch.object(drafts, "sale_lines_recompute_invoiced", side_effect=fail)


def _assert_not_invoiced_at_all(order_id):
    assert not Invoice.objects.filter(sale_order_id=order_id).exists()
    assert not TimesheetEntry.objects.filter(
        invoice_line__isnull=False, sale_line__order_id=order_id
    ).exists()
    assert SaleOrderLine.objects.get(order_id=order_id).qty_invoiced == 0


@pytest.mark.django_db(transaction=True)
def test_a_database_error_in_the_second_batch_of_a_billing_run_keeps_the_first():
    orders = {_invoiceable_order().pk, _invoiceable_order().pk}
    with _fail_on_call(2), pytest.raises(DatabaseError):
        invoicing_services.billing_run(up_to=datetime.date(2026, 3, 31), batch_orders=1)
    # The first batch (one order) was invoiced whole, in its own transaction; the other
    # not at all.
    invoiced = list(Invoice.objects.values_list("sale_order_id", flat=True))
    assert len(invoiced) == 1
    (failed,) = orders - set(invoiced)
    _assert_not_invoiced_at_all(failed)
    assert SaleOrderLine.objects.get(order_id=invoiced[0]).qty_invoiced == Decimal("5.00")
    # Run again without the fault: only the failed order gets its draft.
    invoices = invoicing_services.billing_run(up_to=datetime.date(2026, 3, 31))
    assert [i.sale_order_id for i in invoices] == [failed]


@pytest.mark.django_db(transaction=True)
def test_a_database_error_in_a_batch_leaves_none_of_its_orders_half_invoiced():
    orders = sorted({_invoiceable_order().pk, _invoiceable_order().pk})
    with _fail_on_call(1), pytest.raises(DatabaseError):
        invoicing_services.billing_run(up_to=datetime.date(2026, 3, 31))
    for order_id in orders:
        _assert_not_invoiced_at_all(order_id)
    invoices = invoicing_services.billing_run(up_to=datetime.date(2026, 3, 31))
    assert [i.sale_order_id for i in invoices] == orders
    assert all(i.amount_untaxed == invoices[0].amount_untaxed > 0 for i in invoices)


def test_a_database_error_during_the_rollup_leaves_no_entry_behind():
    order = _invoiceable_order(hours=1)
    line = order.lines.get()
    before = TimesheetEntry.objects.count()
    with (
        mock.patch(
            "timesheets.services.SaleOrderLine.objects.bulk_update",
            side_effect=DatabaseError("deadlock"),
        ),
        pytest.raises(DatabaseError),
    ):
        timesheet_services.timesheet_log(
            employee=StaffUserFactory(),
            date=datetime.date(2026, 3, 3),
            minutes=30,
            task=line.tasks.get(),
        )
    assert TimesheetEntry.objects.count() == before
    line.refresh_from_db()
    assert line.delivered_minutes == 60


def test_a_failing_pdf_never_blocks_validation_and_is_rendered_on_retry(
    django_capture_on_commit_callbacks, settings
):
    settings.INVOICE_PDF_ON_VALIDATE = True
    invoice = invoicing_services.invoice_create_from_order(order=_invoiceable_order())
    with (
        mock.patch(
            "invoicing.services.pdf_store.InvoicePdfRenderer.render",
            side_effect=RuntimeError("fonts missing"),
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        invoicing_services.invoice_validate(invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.state == Invoice.POSTED and not invoice.pdf
    content = invoicing_services.invoice_pdf_bytes(invoice=invoice)
    assert content.startswith(b"%PDF")
    invoice.refresh_from_db()
    assert invoice.pdf


def _posted_invoices(count):
    invoices = []
    for _ in range(count):
        invoice = invoicing_services.invoice_create_from_order(order=_invoiceable_order())
        invoices.append(invoicing_services.invoice_validate(invoice=invoice))
    return invoices


def _tamper(sql, params):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The posted-invoice trigger refuses this; an attacker with the database
            # superuser can switch triggers off, which is what the hash chain is for.
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


def test_verify_invoices_passes_on_an_intact_chain(capsys):
    _posted_invoices(3)
    call_command("verify_invoices")
    assert "intact" in capsys.readouterr().out


def test_verify_invoices_names_an_invoice_altered_with_raw_sql(capsys):
    invoices = _posted_invoices(3)
    _tamper(
        "UPDATE invoicing_invoiceline SET price_unit = 1 WHERE invoice_id = %s",
        [invoices[1].pk],
    )
    with pytest.raises(CommandError):
        call_command("verify_invoices")
    out = capsys.readouterr().out
    assert f"{invoices[1].number}: its content was altered" in out
    # (the series line names the first and last numbers with their hashes)
    named = [line for line in out.splitlines() if not line.startswith("series ")]
    assert not [line for line in named if invoices[0].number in line or invoices[2].number in line]


def test_verify_invoices_notices_a_deleted_invoice(capsys):
    invoices = _posted_invoices(3)
    _tamper("DELETE FROM invoicing_invoiceline WHERE invoice_id = %s", [invoices[1].pk])
    _tamper("UPDATE timesheets_timesheetentry SET invoice_line_id = NULL", [])
    _tamper("DELETE FROM invoicing_invoiceemail WHERE invoice_id = %s", [invoices[1].pk])
    _tamper("DELETE FROM invoicing_invoice WHERE id = %s", [invoices[1].pk])
    with pytest.raises(CommandError):
        call_command("verify_invoices")
    out = capsys.readouterr().out
    assert f"{invoices[2].number}: number 2 of the series is missing" in out
    assert f"{invoices[2].number}: the chain to the previous is broken" in out


@pytest.mark.django_db(transaction=True)
def test_the_billing_run_page_commits_each_batch_on_its_own(client):
    from django.urls import reverse

    from tests.factories import ManagerFactory

    orders = {_invoiceable_order().pk, _invoiceable_order().pk}
    client.raise_request_exception = False
    client.force_login(ManagerFactory())
    # One order per batch, so the second batch's fault shows what the first left.
    with (
        mock.patch("invoicing.services.billing_run.BATCH_ORDERS", 1),
        _fail_on_call(2),
    ):
        response = client.post(reverse("invoicing:billing_run"), {"up_to": "2026-03-31"})
    assert response.status_code == 500  # the fault itself; what matters is what stayed
    # Outside the request transaction, the first batch's draft stayed whole.
    invoiced = list(Invoice.objects.values_list("sale_order_id", flat=True))
    assert len(invoiced) == 1 and invoiced[0] in orders


@pytest.mark.django_db(transaction=True)
def test_the_api_billing_run_commits_each_batch_on_its_own(client):
    from tests.factories import ManagerFactory

    orders = {_invoiceable_order().pk, _invoiceable_order().pk}
    client.raise_request_exception = False
    client.force_login(ManagerFactory())
    with (
        mock.patch("invoicing.services.billing_run.BATCH_ORDERS", 1),
        _fail_on_call(2),
    ):
        response = client.post(
            "/api/v1/invoices/invoice-all/",
            {"up_to": "2026-03-31"},
            content_type="application/json",
        )
    assert response.status_code == 500
    invoiced = list(Invoice.objects.values_list("sale_order_id", flat=True))
    assert len(invoiced) == 1 and invoiced[0] in orders
    # And without a fault the API answers with the drafts it created.
    response = client.post(
        "/api/v1/invoices/invoice-all/", {"up_to": "2026-03-31"}, content_type="application/json"
    )
    assert response.status_code == 201
    assert [row["sale_order"] for row in response.json()] == sorted(orders - set(invoiced))
