"""DOMAIN.md rules 41-45 through the services: every posted invoice and credit note is an
EN 16931 e-invoice, in UBL (Peppol BIS 3) and CII (Factur-X), that passes the official
XSD and CEN schematron with no fatal error, its amounts those of the database to the cent.

Each case is built and validated through the services (tests/builders.py); the check is
`invoicing.einvoice.validation.validate_xml`, the same one `manage.py validate_einvoices`
runs, on the XML stored at validation.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from lxml import etree

from core.models import Company
from invoicing.einvoice.validation import validate_xml
from invoicing.models import Invoice
from invoicing.services import einvoices, invoice_credit
from invoicing.services import invoice_validate as invoicing_validate
from sales.models import Product, VatCategory
from tests.builders import build_invoice, build_order, build_product, build_untracked_product, day
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

D = Decimal

NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
}


def fatal_rules(invoice: Invoice) -> dict[str, list[str]]:
    """The fatal rules each stored document of `invoice` breaks, by syntax."""
    ubl_syntax = "ubl-creditnote" if invoice.is_credit_note else "ubl-invoice"
    found = {}
    for syntax, xml in ((ubl_syntax, invoice.ubl_xml), ("cii", invoice.cii_xml)):
        failures = validate_xml(xml.encode(), syntax=syntax)
        found[syntax] = [f"{f.rule_id}: {f.text}" for f in failures if f.flag == "fatal"]
    return found


def assert_valid(invoice: Invoice) -> None:
    assert invoice.ubl_xml and invoice.cii_xml, f"{invoice} has no e-invoice"
    assert fatal_rules(invoice) == {
        ("ubl-creditnote" if invoice.is_credit_note else "ubl-invoice"): [],
        "cii": [],
    }
    assert_amounts_match(invoice)


def _decimals(tree, path: str) -> list[Decimal]:
    return [D(node.text) for node in tree.xpath(path, namespaces=NS)]


def assert_amounts_match(invoice: Invoice) -> None:
    """Rule 44: line net amounts, tax per category and rate, totals, amount due."""
    lines = list(invoice.lines.order_by("sequence", "pk"))
    ubl = etree.fromstring(invoice.ubl_xml.encode())
    line_tag = "cac:CreditNoteLine" if invoice.is_credit_note else "cac:InvoiceLine"
    total = "cac:LegalMonetaryTotal"
    assert _decimals(ubl, f"/*/{line_tag}/cbc:LineExtensionAmount") == [
        line.amount_untaxed for line in lines
    ]
    assert _decimals(ubl, f"/*/{total}/cbc:TaxExclusiveAmount") == [invoice.amount_untaxed]
    assert _decimals(ubl, "/*/cac:TaxTotal/cbc:TaxAmount") == [invoice.amount_tax]
    assert _decimals(ubl, f"/*/{total}/cbc:TaxInclusiveAmount") == [invoice.amount_total]
    assert _decimals(ubl, f"/*/{total}/cbc:PayableAmount") == [invoice.amount_total]
    assert sum(_decimals(ubl, "/*/cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount")) == (
        invoice.amount_tax
    )

    cii = etree.fromstring(invoice.cii_xml.encode())
    summary = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    assert _decimals(cii, "//ram:IncludedSupplyChainTradeLineItem//ram:LineTotalAmount") == [
        line.amount_untaxed for line in lines
    ]
    assert _decimals(cii, f"{summary}/ram:TaxBasisTotalAmount") == [invoice.amount_untaxed]
    assert _decimals(cii, f"{summary}/ram:TaxTotalAmount") == [invoice.amount_tax]
    assert _decimals(cii, f"{summary}/ram:GrandTotalAmount") == [invoice.amount_total]
    assert _decimals(cii, f"{summary}/ram:DuePayableAmount") == [invoice.amount_total]


# --- DOMAIN.md part F ----------------------------------------------------------------------


def test_example_1_days_delivered(make_line, log):
    line = make_line(unit="Days", price="800", quantity="2", tax="21")
    for h in (3, 5, 4):
        log(line, hours=h)
    first = build_invoice(order=line.order, validate=True)
    assert first.amount_untaxed == D("1200.00")
    assert_valid(first)
    log(line, hours=2, date=day(2))
    second = build_invoice(order=line.order, validate=True)
    assert second.amount_untaxed == D("200.00")
    assert_valid(second)
    assert 'unitCode="DAY"' in second.ubl_xml


def test_example_2_over_delivery(make_line, log):
    line = make_line(unit="Days", price="800", quantity="2", tax="21")
    log(line, hours=20)
    invoice = build_invoice(order=line.order, validate=True)
    assert invoice.amount_untaxed == D("2000.00")
    assert_valid(invoice)


def test_example_3_prepaid_ordered_policy(make_line, log):
    line = make_line(unit="Hours", price="90", quantity="10", tax="21", policy=Product.POLICY_ORDER)
    invoice = build_invoice(order=line.order, validate=True)
    assert invoice.amount_untaxed == D("900.00")
    assert_valid(invoice)
    assert 'unitCode="HUR"' in invoice.ubl_xml


def test_example_4_minutes_on_an_hours_line(make_line, log):
    line = make_line(unit="Hours", price="100", quantity="1", tax="21")
    log(line, minutes=20)
    invoice = build_invoice(order=line.order, validate=True)
    assert invoice.lines.get().quantity == D("0.33")
    assert_valid(invoice)


def test_an_invoice_in_minutes(make_line, log):
    line = make_line(unit="Minutes", price="2", quantity="60", tax="21")
    log(line, minutes=45)
    invoice = build_invoice(order=line.order, validate=True)
    assert_valid(invoice)
    assert 'unitCode="MIN"' in invoice.ubl_xml


def test_example_6_full_credit_note_and_the_new_invoice(make_line, log):
    line = make_line(unit="Hours", price="100", quantity="10", tax="21")
    log(line, hours=10)
    invoice = build_invoice(order=line.order, validate=True)
    note = invoice_credit(invoice=invoice)
    assert note.amount_untaxed == D("1000.00")
    assert_valid(note)
    # BT-25: the credit note names the invoice it corrects, in both syntaxes.
    assert invoice.number in note.ubl_xml and invoice.number in note.cii_xml
    again = build_invoice(order=line.order, validate=True)
    assert_valid(again)


def test_a_partial_credit_note(make_line, log):
    hours = build_product(unit="Hours", price="100", tax="21")
    days = build_product(unit="Days", price="800", tax="21")
    order = build_order(lines=[{"product": hours, "quantity": 5}, {"product": days, "quantity": 1}])
    for line in order.lines.all():
        log(line, hours=4)
    invoice = build_invoice(order=order, validate=True)
    first_line = invoice.lines.order_by("sequence").first()
    note = invoice_credit(invoice=invoice, lines=[first_line])
    assert note.lines.count() == 1
    assert note.amount_untaxed == first_line.amount_untaxed
    assert_valid(note)


def test_example_7_up_to_a_date(make_line, log):
    line = make_line(unit="Hours", price="100", quantity="40", tax="21")
    log(line, hours=10, date=day(1))
    log(line, hours=10, date=day(2))
    log(line, hours=20, date=day(6))
    first = build_invoice(order=line.order, up_to=day(2), validate=True)
    assert_valid(first)
    assert "<cac:InvoicePeriod>" in first.ubl_xml


def test_example_8_tax_rounded_per_line(example_8_invoice):
    invoice = example_8_invoice
    assert (invoice.amount_tax, invoice.amount_total) == (D("0.09"), D("0.39"))
    assert_valid(invoice)


def test_example_9_no_rounding_drift(make_line, log):
    line = make_line(unit="Days", price="800", quantity="1", tax="21")
    log(line, hours=1, date=day(1))
    log(line, hours=1, date=day(2))
    first = build_invoice(order=line.order, up_to=day(1), validate=True)
    rest = build_invoice(order=line.order, validate=True)
    assert (first.lines.get().quantity, rest.lines.get().quantity) == (D("0.13"), D("0.12"))
    assert_valid(first)
    assert_valid(rest)


# --- DOMAIN.md part I ----------------------------------------------------------------------


def test_two_vat_rates():
    standard = build_untracked_product(unit="Units", price="100", tax="21")
    reduced = build_untracked_product(unit="Units", price="50", tax="6")
    order = build_order(
        lines=[{"product": standard, "quantity": 2}, {"product": reduced, "quantity": 3}]
    )
    invoice = build_invoice(order=order, validate=True)
    assert invoice.amount_tax == D("42.00") + D("9.00")
    assert_valid(invoice)
    ubl = etree.fromstring(invoice.ubl_xml.encode())
    assert sorted(_decimals(ubl, "//cac:TaxSubtotal/cac:TaxCategory/cbc:Percent")) == [
        D("6"),
        D("21"),
    ]


def test_example_43_reverse_charge_cross_border_b2b(make_line, log):
    company = Company.load()
    assert (str(company.country), company.vat) == ("BE", "BE0123456749")
    buyer = CustomerFactory(vat="NL000099998B57", country="NL", city="Amsterdam", zip="1012 AB")
    line = make_line(unit="Hours", price="100", quantity="5", tax="21", customer=buyer)
    assert (line.vat_category, line.tax_rate) == (VatCategory.REVERSE_CHARGE, D("0"))
    log(line, hours=5)
    invoice = build_invoice(order=line.order, validate=True)
    assert (invoice.amount_untaxed, invoice.amount_tax, invoice.amount_total) == (
        D("500.00"),
        D("0.00"),
        D("500.00"),
    )
    assert invoice.lines.get().vat_category == "AE"
    assert_valid(invoice)
    ubl = etree.fromstring(invoice.ubl_xml.encode())
    assert ubl.xpath("//cac:TaxSubtotal/cac:TaxCategory/cbc:ID/text()", namespaces=NS) == ["AE"]


def test_a_domestic_business_is_not_reverse_charged(make_line):
    line = make_line(unit="Hours", price="100", quantity="5", tax="21")
    assert (line.vat_category, line.tax_rate) == (VatCategory.STANDARD, D("21.00"))


def _exempt_product(reason: str, price: str) -> Product:
    product = build_untracked_product(unit="Units", price=price, tax="0")
    product.vat_category, product.vat_exemption_reason = "E", reason
    product.save()
    return product


def test_exempt_lines_with_two_reasons_and_a_zero_rated_line():
    first = _exempt_product("Article 44 of the Belgian VAT Code", "100")
    second = _exempt_product("Article 135 of Directive 2006/112/EC", "40")
    zero = build_untracked_product(unit="Units", price="10", tax="0")
    order = build_order(
        lines=[
            {"product": first, "quantity": 1},
            {"product": second, "quantity": 1},
            {"product": zero, "quantity": 2},
        ]
    )
    assert sorted(order.lines.values_list("vat_category", flat=True)) == ["E", "E", "Z"]
    invoice = build_invoice(order=order, validate=True)
    assert_valid(invoice)
    # One exempt breakdown (BR-E-01) naming both reasons.
    ubl = etree.fromstring(invoice.ubl_xml.encode())
    reasons = ubl.xpath(
        "//cac:TaxSubtotal/cac:TaxCategory[cbc:ID='E']/cbc:TaxExemptionReason/text()",
        namespaces=NS,
    )
    assert reasons == ["Article 44 of the Belgian VAT Code; Article 135 of Directive 2006/112/EC"]


def test_the_snapshot_is_structured_and_frozen(make_line, log):
    line = make_line(unit="Hours", price="100", quantity="5", tax="21")
    order = line.order
    order.customer_reference = "PO-4711"
    order.save()
    log(line, hours=2)
    invoice = build_invoice(order=order, validate=True)
    customer = order.customer
    assert invoice.buyer_reference == "PO-4711"
    assert invoice.snapshot["buyer"]["street"] == customer.street
    assert invoice.snapshot["buyer"]["country"] == "BE"
    assert invoice.snapshot["seller"]["vat"] == "BE0123456749"
    assert invoice.snapshot["payment"]["iban"] == "BE71096123456769"
    assert invoice.payment_reference.startswith("+++")
    assert "PO-4711" in invoice.ubl_xml and "PO-4711" in invoice.cii_xml

    company = Company.load()
    company.street = "Avenue Nouvelle 9"
    company.save()
    customer.street = "Elsewhere 1"
    customer.save()
    invoice.refresh_from_db()
    assert invoice.snapshot["seller"]["street"] == "Rue du Service 1"
    assert invoice.snapshot["buyer"]["street"] == "12 Client Road"


def test_a_broken_document_reports_br_03(make_line, log):
    line = make_line(unit="Hours", price="100", quantity="5", tax="21")
    log(line, hours=2)
    invoice = build_invoice(order=line.order, validate=True)
    ubl = etree.fromstring(invoice.ubl_xml.encode())
    for node in ubl.xpath("/*/cbc:IssueDate", namespaces=NS):
        node.getparent().remove(node)
    rules = {f.rule_id for f in validate_xml(etree.tostring(ubl), syntax="ubl-invoice")}
    assert "BR-03" in rules


def test_an_e_invoice_that_cannot_be_made_refuses_the_validation(make_line, log, monkeypatch):
    line = make_line(unit="Hours", price="100", quantity="5", tax="21")
    log(line, hours=2)
    draft = build_invoice(order=line.order)
    # A CII its schema refuses: the Factur-X PDF could not carry it.
    monkeypatch.setattr(einvoices, "cii_xml", lambda _document: b"<broken/>")
    with pytest.raises(ValidationError, match="e-invoice of this invoice could not be made"):
        invoicing_validate(invoice=draft)
    draft.refresh_from_db()
    assert (draft.state, draft.number, draft.ubl_xml) == (Invoice.DRAFT, None, "")
