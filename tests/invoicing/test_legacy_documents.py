"""Invoices posted before structured snapshots (issue 15) print as they were."""

import pytest

from invoicing.documents import invoice_document
from tests.builders import build_invoice

pytestmark = pytest.mark.django_db


def test_an_invoice_without_a_snapshot_prints_its_joined_address_lines(make_line, log):
    line = make_line(unit="Hours", price="100", quantity="5", tax="21")
    log(line, hours=2)
    invoice = build_invoice(order=line.order, validate=True)
    # As posted before e-invoices: the joined-lines copy only (read, never written back).
    invoice.snapshot = {}
    invoice.customer_address = "Old Street 1\n1000 Brussels\nBelgium"
    invoice.seller_address = "1 Service Street, 1000 Brussels, Belgium"

    document = invoice_document(invoice=invoice)

    assert not document.buyer.structured
    assert document.buyer.address_lines == ["Old Street 1", "1000 Brussels", "Belgium"]
    assert document.seller.address_lines == ["1 Service Street, 1000 Brussels, Belgium"]
    assert document.payment is None


def test_a_new_invoice_prints_its_structured_snapshot(make_line, log):
    line = make_line(unit="Hours", price="100", quantity="5", tax="21")
    log(line, hours=2)
    invoice = build_invoice(order=line.order, validate=True)

    document = invoice_document(invoice=invoice)

    assert document.buyer.structured and document.seller.structured
    assert document.buyer.address_lines == ["12 Client Road", "9000 Ghent", "Belgium"]
    assert document.seller.address_lines == ["Rue du Service 1", "1000 Brussels", "Belgium"]
    assert document.payment.reference == invoice.payment_reference
    assert invoice.customer_address == "12 Client Road\n9000 Ghent\nBelgium"
