"""DOMAIN.md rule 17: the invoice status of a line and of its order, every combination."""

import pytest

from invoicing.services import invoice_create_from_order
from sales.models import InvoiceStatus, Product
from sales.services import order_cancel, order_line_add

from .conftest import refreshed

pytestmark = pytest.mark.django_db

PREPAID = Product.POLICY_ORDER
DELIVERED = Product.POLICY_DELIVERY


def _prepaid_not_confirmed(make_line, log):
    return make_line(policy=PREPAID, confirm=False)


def _prepaid_cancelled(make_line, log):
    line = make_line(policy=PREPAID)
    order_cancel(order=line.order)
    return line


def _prepaid_to_invoice(make_line, log):
    return make_line(policy=PREPAID)


def _prepaid_fully(make_line, log):
    line = make_line(policy=PREPAID, quantity="10")
    invoice_create_from_order(order=line.order)
    log(line, hours=4)
    return line


def _prepaid_exactly_delivered(make_line, log):
    line = make_line(policy=PREPAID, quantity="10")
    invoice_create_from_order(order=line.order)
    log(line, hours=10)
    return line


def _prepaid_upselling(make_line, log):
    line = make_line(policy=PREPAID, quantity="10")
    invoice_create_from_order(order=line.order)
    log(line, hours=11)
    return line


def _prepaid_over_delivered_not_invoiced(make_line, log):
    line = make_line(policy=PREPAID, quantity="10")
    log(line, hours=11)
    return line


def _delivered_not_confirmed(make_line, log):
    return make_line(policy=DELIVERED, confirm=False)


def _delivered_nothing_logged(make_line, log):
    return make_line(policy=DELIVERED)


def _delivered_to_invoice(make_line, log):
    line = make_line(policy=DELIVERED, quantity="10")
    log(line, hours=3)
    return line


def _delivered_partly_delivered_and_invoiced(make_line, log):
    line = make_line(policy=DELIVERED, quantity="10")
    log(line, hours=3)
    invoice_create_from_order(order=line.order)
    return line


def _delivered_fully(make_line, log):
    line = make_line(policy=DELIVERED, quantity="10")
    log(line, hours=10)
    invoice_create_from_order(order=line.order)
    return line


def _delivered_over_delivered_and_invoiced(make_line, log):
    line = make_line(policy=DELIVERED, quantity="10")
    log(line, hours=12)
    invoice_create_from_order(order=line.order)
    return line


def _delivered_over_delivered_not_invoiced(make_line, log):
    line = make_line(policy=DELIVERED, quantity="10")
    log(line, hours=12)
    return line


CASES = [
    (_prepaid_not_confirmed, InvoiceStatus.NO),
    (_prepaid_cancelled, InvoiceStatus.NO),
    (_prepaid_to_invoice, InvoiceStatus.TO_INVOICE),
    (_prepaid_fully, InvoiceStatus.INVOICED),
    (_prepaid_exactly_delivered, InvoiceStatus.INVOICED),
    (_prepaid_upselling, InvoiceStatus.UPSELLING),
    (_prepaid_over_delivered_not_invoiced, InvoiceStatus.TO_INVOICE),
    (_delivered_not_confirmed, InvoiceStatus.NO),
    (_delivered_nothing_logged, InvoiceStatus.NO),
    (_delivered_to_invoice, InvoiceStatus.TO_INVOICE),
    (_delivered_partly_delivered_and_invoiced, InvoiceStatus.NO),
    (_delivered_fully, InvoiceStatus.INVOICED),
    (_delivered_over_delivered_and_invoiced, InvoiceStatus.INVOICED),
    (_delivered_over_delivered_not_invoiced, InvoiceStatus.TO_INVOICE),
]


@pytest.mark.parametrize(
    ("build", "expected"), CASES, ids=[build.__name__.strip("_") for build, _ in CASES]
)
def test_line_invoice_status(make_line, log, build, expected):
    line = refreshed(build(make_line, log))
    assert line.invoice_status == expected


def test_a_quotation_has_nothing_to_invoice_whatever_was_logged(make_line, log):
    line = make_line(policy=PREPAID, confirm=False)
    assert refreshed(line).qty_to_invoice == 0
    assert refreshed(line).order.invoice_status == InvoiceStatus.NO


def test_order_status_is_to_invoice_when_any_line_is(make_line, log):
    line = make_line(policy=PREPAID)
    invoice_create_from_order(order=line.order)
    log(line, hours=12)  # upselling
    order_line_add(order=line.order, product=line.product, quantity=1)  # to invoice
    assert refreshed(line).order.invoice_status == InvoiceStatus.TO_INVOICE


def test_order_status_is_upselling_before_fully_invoiced(make_line, log):
    line = make_line(policy=PREPAID)
    order_line_add(order=line.order, product=line.product, quantity=1)
    invoice_create_from_order(order=line.order)
    log(line, hours=12)
    assert refreshed(line).order.invoice_status == InvoiceStatus.UPSELLING


def test_order_status_is_fully_invoiced_only_when_every_line_is(make_line, log):
    line = make_line(policy=DELIVERED, quantity="2")
    log(line, hours=2)
    invoice_create_from_order(order=line.order)
    assert refreshed(line).order.invoice_status == InvoiceStatus.INVOICED

    order_line_add(order=line.order, product=line.product, quantity=5)  # nothing delivered
    assert refreshed(line).order.invoice_status == InvoiceStatus.NO
