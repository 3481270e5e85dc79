"""DOMAIN.md rule 17: the invoice status of a line and of its order, every combination."""

import pytest

from invoicing.services import invoice_create_from_order
from sales.models import InvoiceStatus, Product
from sales.services import order_cancel, order_line_add
from tests.builders import day, refreshed

pytestmark = pytest.mark.django_db

PREPAID = Product.POLICY_ORDER
DELIVERED = Product.POLICY_DELIVERY
S = InvoiceStatus

# (case, policy, order state, hours logged then, invoiced?, hours logged after, status)
# Every line is ordered 10 Hours.
CASES = [
    ("prepaid-quotation", PREPAID, "draft", 0, False, 0, S.NO),
    ("prepaid-cancelled", PREPAID, "cancel", 0, False, 0, S.NO),
    ("prepaid-to-invoice", PREPAID, "sale", 0, False, 0, S.TO_INVOICE),
    ("prepaid-over-delivered-not-invoiced", PREPAID, "sale", 11, False, 0, S.TO_INVOICE),
    ("prepaid-fully-invoiced-part-delivered", PREPAID, "sale", 0, True, 4, S.INVOICED),
    ("prepaid-fully-invoiced-all-delivered", PREPAID, "sale", 0, True, 10, S.INVOICED),
    ("prepaid-upselling", PREPAID, "sale", 0, True, 11, S.UPSELLING),
    ("delivered-quotation", DELIVERED, "draft", 0, False, 0, S.NO),
    ("delivered-cancelled", DELIVERED, "cancel", 0, False, 0, S.NO),
    ("delivered-nothing-logged", DELIVERED, "sale", 0, False, 0, S.NO),
    ("delivered-to-invoice", DELIVERED, "sale", 3, False, 0, S.TO_INVOICE),
    ("delivered-more-logged-after-invoice", DELIVERED, "sale", 3, True, 1, S.TO_INVOICE),
    ("delivered-part-delivered-all-invoiced", DELIVERED, "sale", 3, True, 0, S.NO),
    ("delivered-fully-invoiced", DELIVERED, "sale", 10, True, 0, S.INVOICED),
    ("delivered-over-delivered-invoiced", DELIVERED, "sale", 12, True, 0, S.INVOICED),
    ("delivered-over-delivered-not-invoiced", DELIVERED, "sale", 12, False, 0, S.TO_INVOICE),
]


@pytest.mark.parametrize(
    ("policy", "state", "before", "invoiced", "after", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_line_invoice_status(make_line, log, policy, state, before, invoiced, after, expected):
    line = make_line(policy=policy, quantity="10", confirm=state != "draft")
    if before:
        log(line, hours=before, date=day(1))
    if invoiced:
        invoice_create_from_order(order=line.order)
    if after:
        log(line, hours=after, date=day(2))
    if state == "cancel":
        order_cancel(order=line.order)

    line = refreshed(line)

    assert line.invoice_status == expected
    assert line.order.invoice_status == expected  # a one-line order shares its status


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
