"""A posted invoice is never edited or deleted: services, model, queryset, PostgreSQL trigger."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from core.errors import ConflictError
from invoicing.models import Invoice, InvoiceLine, Payment
from invoicing.services import (
    invoice_cancel,
    invoice_create_from_order,
    invoice_line_delete,
    invoice_line_update,
    invoice_validate,
    payment_register,
)
from tests.builders import day

pytestmark = pytest.mark.django_db


@pytest.fixture
def posted(make_line, log):
    line = make_line(price="100", tax="21")
    log(line, hours=2)
    draft = invoice_create_from_order(order=line.order)
    return invoice_validate(invoice=draft, invoice_date=day(2))


def test_services_refuse_to_edit_a_posted_invoice(posted):
    invoice_line = posted.lines.get()
    with pytest.raises(ConflictError, match="already validated"):
        invoice_line_update(line=invoice_line, quantity="1")
    with pytest.raises(ConflictError, match="already validated"):
        invoice_line_delete(line=invoice_line)
    with pytest.raises(ConflictError, match="already validated"):
        invoice_cancel(invoice=posted)
    assert InvoiceLine.objects.get(pk=invoice_line.pk).quantity == Decimal("2.00")


def test_model_save_and_delete_refuse_a_posted_invoice(posted):
    posted.customer_name = "Someone else"
    with pytest.raises(ConflictError, match="never edited"):
        posted.save()
    posted.state = Invoice.DRAFT  # pretending it is a draft does not help
    with pytest.raises(ConflictError, match="never edited"):
        posted.save()
    with pytest.raises(ConflictError, match="cannot be deleted"):
        posted.delete()
    fresh = Invoice.objects.get(pk=posted.pk)
    assert fresh.customer_name != "Someone else"
    assert fresh.state == Invoice.POSTED


def test_model_save_and_delete_refuse_a_posted_invoice_line(posted):
    invoice_line = posted.lines.get()
    invoice_line.price_unit = Decimal("1")
    with pytest.raises(ConflictError):
        invoice_line.save()
    with pytest.raises(ConflictError):
        invoice_line.delete()
    with pytest.raises(ConflictError):
        InvoiceLine.objects.create(
            invoice=posted,
            description="Sneaked in",
            quantity=1,
            uom=invoice_line.uom,
            price_unit=1,
        )


def test_bulk_queryset_writes_refuse_posted_invoices_and_lines(posted):
    with pytest.raises(ConflictError):
        Invoice.objects.filter(pk=posted.pk).update(amount_total=0)
    with pytest.raises(ConflictError):
        Invoice.objects.filter(pk=posted.pk).delete()
    with pytest.raises(ConflictError):
        InvoiceLine.objects.filter(invoice=posted).update(quantity=0)
    with pytest.raises(ConflictError):
        InvoiceLine.objects.filter(invoice=posted).delete()
    assert Invoice.objects.get(pk=posted.pk).amount_total == Decimal("242.00")


def test_payment_figures_may_still_change_on_a_posted_invoice(posted):
    payment_register(invoice=posted, amount="42", date=day(3))
    posted.refresh_from_db()
    assert posted.amount_due == Decimal("200.00")
    assert posted.payment_state == Invoice.PARTIAL


def _refused_by_database(sql: str, params: list) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as error:
        return "never" in str(error)
    return False


def test_the_postgresql_trigger_refuses_raw_sql_edits_and_deletes(postgres_trigger, posted):
    invoice_line = posted.lines.get()
    assert _refused_by_database(
        "UPDATE invoicing_invoice SET amount_total = 0 WHERE id = %s", [posted.pk]
    )
    assert _refused_by_database(
        "UPDATE invoicing_invoice SET customer_name = 'x' WHERE id = %s", [posted.pk]
    )
    assert _refused_by_database("DELETE FROM invoicing_invoice WHERE id = %s", [posted.pk])
    assert _refused_by_database(
        "UPDATE invoicing_invoiceline SET quantity = 0 WHERE id = %s", [invoice_line.pk]
    )
    assert _refused_by_database(
        "DELETE FROM invoicing_invoiceline WHERE id = %s", [invoice_line.pk]
    )
    # The stored PDF remains writable; payment figures only through the payment services
    # (tests/reliability/test_tamper.py).
    assert not _refused_by_database(
        "UPDATE invoicing_invoice SET pdf = 'x.pdf' WHERE id = %s", [posted.pk]
    )


def test_the_postgresql_trigger_leaves_drafts_editable(postgres_trigger, make_line, log):
    line = make_line()
    log(line, hours=1)
    draft = invoice_create_from_order(order=line.order)
    assert not _refused_by_database(
        "UPDATE invoicing_invoiceline SET description = 'edited' WHERE invoice_id = %s",
        [draft.pk],
    )


def test_the_postgresql_trigger_refuses_edits_of_payments(postgres_trigger, posted):
    payment = payment_register(invoice=posted, amount="10", date=day(3))
    assert _refused_by_database(
        "UPDATE invoicing_payment SET amount = 1 WHERE id = %s", [payment.pk]
    )
    assert _refused_by_database("DELETE FROM invoicing_payment WHERE id = %s", [payment.pk])
    assert Payment.objects.get(pk=payment.pk).amount == Decimal("10.00")
