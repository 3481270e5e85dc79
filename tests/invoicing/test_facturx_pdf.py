"""The Factur-X PDF (DOMAIN.md rule 41): a posted invoice's PDF is PDF/A-3b with the CII
made at posting embedded as factur-x.xml; drafts and invoices posted before e-invoices
are plain PDFs. And what the PDF prints of the structured document: parties, payment
details, the EPC QR code, the VAT categories and the reverse-charge mention."""

import dataclasses
import hashlib
import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import facturx
import pytest
from django.core.files.base import ContentFile
from pypdf import PdfReader
from stdnum.be import ogm_vcs

from core.models import Company
from invoicing.documents import invoice_document
from invoicing.models import Invoice
from invoicing.pdf import FacturXError, InvoicePdfRenderer, epc_transfer, facturx_embed
from invoicing.services import einvoices, invoice_credit, invoice_pdf_bytes, payment_register
from sales.services import order_confirm, order_create
from tests.builders import build_invoice, build_order, build_product, day, log_time
from tests.factories import CustomerFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

SAMPLE_CII = Path(__file__).parent / "data" / "factur-x-en16931.xml"
# A 1x1 transparent PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


def pdf_text(content: bytes) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) missing")
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    )
    return result.stdout.decode()


def xmp(content: bytes) -> str:
    root = PdfReader(io.BytesIO(content)).trailer["/Root"]
    return root["/Metadata"].get_object().get_data().decode()


def posted_invoice(*, customer=None, hours=3, **order) -> Invoice:
    """A posted invoice of `hours` support hours at 100 (21% unless the customer makes
    it reverse charged)."""
    order = build_order(customer=customer or CustomerFactory(), quantity=10, **order)
    line = order.lines.get()
    log_time(employee=StaffUserFactory(), hours=hours, line=line, date=day(1))
    return build_invoice(order=order, validate=True, invoice_date=day(3))


# --- Factur-X -----------------------------------------------------------------------------


def test_a_posted_invoice_pdf_is_pdfa3_with_its_stored_cii_embedded():
    invoice = posted_invoice()

    content = invoice_pdf_bytes(invoice=invoice)

    name, xml = facturx.get_xml_from_pdf(content, check_xsd=True)
    assert name == "factur-x.xml"
    assert xml == invoice.cii_xml.encode()
    metadata = xmp(content)
    assert "<pdfaid:part>3</pdfaid:part>" in metadata
    assert "<pdfaid:conformance>B</pdfaid:conformance>" in metadata
    assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in metadata
    root = PdfReader(io.BytesIO(content)).trailer["/Root"]
    assert root["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    (filespec,) = [entry.get_object() for entry in root["/AF"]]
    assert filespec["/F"] == "factur-x.xml"
    assert filespec["/AFRelationship"] == "/Alternative"
    # PDF/A: the Info dictionary agrees with the XMP factur-x writes (Producer pypdf).
    assert "/Producer" not in PdfReader(io.BytesIO(content)).metadata


def test_the_stored_pdf_keeps_its_sha256():
    invoice = posted_invoice()

    content = invoice_pdf_bytes(invoice=invoice)

    invoice.refresh_from_db()
    with invoice.pdf.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == invoice.pdf_sha256
    assert invoice.pdf_sha256 == hashlib.sha256(content).hexdigest()
    assert invoice_pdf_bytes(invoice=invoice) == content  # served as stored


def test_a_credit_note_pdf_embeds_its_own_cii():
    invoice = posted_invoice()
    note = invoice_credit(invoice=invoice)

    _, xml = facturx.get_xml_from_pdf(invoice_pdf_bytes(invoice=note), check_xsd=True)

    assert xml == note.cii_xml.encode()


def test_a_draft_pdf_embeds_no_xml_and_stores_no_hash(make_line, log):
    line = make_line()
    log(line, hours=1)
    draft = build_invoice(order=line.order)

    content = invoice_pdf_bytes(invoice=draft)

    assert PdfReader(io.BytesIO(content)).attachments == {}
    assert "DRAFT" in pdf_text(content)
    draft.refresh_from_db()
    assert not draft.pdf and draft.pdf_sha256 == ""


def test_an_invoice_posted_before_e_invoices_prints_plain_as_before(monkeypatch):
    monkeypatch.setattr("invoicing.services.posting.einvoices_freeze", lambda *, invoice: invoice)
    invoice = posted_invoice()
    assert invoice.cii_xml == ""

    content = invoice_pdf_bytes(invoice=invoice)

    assert PdfReader(io.BytesIO(content)).attachments == {}
    assert invoice.number in pdf_text(content)


def test_a_stored_cii_that_cannot_be_embedded_raises_rather_than_printing_plain(monkeypatch):
    # Posting checks the CII against the XSD; a CII stored before that check (or one an
    # upgraded schema refuses) is what the PDF must still refuse to print plain.
    with monkeypatch.context() as patched:
        patched.setattr(einvoices, "cii_xml", lambda _document: b"<x/>")
        patched.setattr(einvoices.facturx, "xml_check_xsd", lambda *_args, **_kwargs: True)
        invoice = posted_invoice()

    with pytest.raises(FacturXError, match=r"INV/2026/00001: its stored CII cannot be embedded"):
        invoice_pdf_bytes(invoice=invoice)

    invoice.refresh_from_db()
    assert not invoice.pdf and invoice.pdf_sha256 == ""


def plain_pdfa(invoice: Invoice) -> bytes:
    """The invoice's page as PDF/A-3b, nothing embedded yet."""
    from weasyprint import HTML  # noqa: PLC0415 - slow import, as in invoicing.pdf

    return HTML(string=InvoicePdfRenderer().html(invoice)).write_pdf(pdf_variant="pdf/a-3b")


def test_facturx_embed_writes_the_xml_and_the_factur_x_metadata():
    invoice = posted_invoice()
    sample = SAMPLE_CII.read_bytes()  # a hand-written EN 16931 CII, whatever posting made
    pdf = plain_pdfa(invoice)

    content = facturx_embed(pdf, xml=sample, document=invoice_document(invoice=invoice))

    assert facturx.get_xml_from_pdf(content, check_xsd=True) == ("factur-x.xml", sample)
    info = PdfReader(io.BytesIO(content)).metadata
    assert info["/Title"] == "Billable Support Ltd: Invoice INV/2026/00001"


def test_facturx_embed_refuses_an_xml_that_fails_the_xsd():
    invoice = posted_invoice()

    with pytest.raises(FacturXError, match=r"not valid against the official XML Schema"):
        facturx_embed(plain_pdfa(invoice), xml=b"<x/>", document=invoice_document(invoice=invoice))


# --- What the PDF prints --------------------------------------------------------------------


def test_the_pdf_prints_structured_parties_references_and_payment_details():
    customer = CustomerFactory(
        name="Acme SA", street="Rue Haute 5", street2="Box 3", zip="1000", city="Brussels"
    )
    invoice = posted_invoice(customer=customer)
    order = invoice.sale_order
    assert invoice.payment_reference

    text = pdf_text(invoice_pdf_bytes(invoice=invoice))

    assert "Rue du Service 1" in text and "1000 Brussels" in text and "Belgium" in text
    assert "VAT: BE0123456749" in text and "Registration no.: 0123456749" in text
    assert "Rue Haute 5" in text and "Box 3" in text and f"VAT: {customer.vat}" in text
    assert order.name in text
    assert "IBAN" in text and "BE71 0961 2345 6769" in text and "GKCCBEBB" in text
    assert invoice.payment_reference in text
    assert "VAT 21%" in text


def test_the_customer_reference_is_printed():
    order = order_create(
        customer=CustomerFactory(),
        lines=[{"product": build_product(), "quantity": Decimal("10")}],
        customer_reference="PO-4711",
    )
    order_confirm(order=order)
    log_time(employee=StaffUserFactory(), hours=2, line=order.lines.get(), date=day(1))
    invoice = build_invoice(order=order, validate=True, invoice_date=day(3))

    html = InvoicePdfRenderer().html(invoice)

    assert "Your reference" in html and "PO-4711" in html


def test_the_company_logo_is_embedded_as_a_data_uri():
    company = Company.load()
    company.logo.save("logo.png", ContentFile(PNG))
    invoice = posted_invoice()

    html = InvoicePdfRenderer().html(invoice)

    assert 'src="data:image/png;base64,' in html
    assert "http://" not in html and "https://" not in html
    assert invoice_pdf_bytes(invoice=invoice).startswith(b"%PDF-")


def test_a_reverse_charged_invoice_says_so_with_its_reason():
    buyer = CustomerFactory(
        name="Dutch BV", country="NL", vat="NL123456789B01", zip="1011 AB", city="Amsterdam"
    )
    invoice = posted_invoice(customer=buyer, hours=5)
    assert invoice.amount_tax == Decimal("0.00") and invoice.amount_total == Decimal("500.00")

    html = InvoicePdfRenderer().html(invoice)
    text = pdf_text(invoice_pdf_bytes(invoice=invoice))

    assert invoice_document(invoice=invoice).reverse_charge
    assert "Art. 196 Directive 2006/112/EC" in html
    assert "Reverse charge" in text and "VAT 21%" not in text


def test_an_exempt_line_prints_its_reason():
    product = build_product(
        vat_category="E", tax_rate=Decimal("0"), vat_exemption_reason="Article 44 of the VAT Code"
    )
    invoice = posted_invoice(product=product)

    html = InvoicePdfRenderer().html(invoice)

    assert "Exempt: Article 44 of the VAT Code" in html


# --- The EPC QR code -----------------------------------------------------------------------


def test_a_posted_invoice_in_eur_with_an_amount_due_prints_the_epc_qr_code():
    invoice = posted_invoice()

    html = InvoicePdfRenderer().html(invoice)

    assert 'class="epc-qr"' in html and "<svg" in html
    transfer = epc_transfer(invoice_document(invoice=invoice))
    assert transfer["iban"] == "BE71096123456769" and transfer["bic"] == "GKCCBEBB"
    assert transfer["amount"] == invoice.amount_due == Decimal("363.00")
    # A Belgian seller's structured communication, as its 12 digits.
    assert transfer["reference"] == ogm_vcs.compact(invoice.payment_reference)
    assert transfer["name"] == "Billable Support Ltd"


def test_no_epc_qr_code_on_a_draft(make_line, log):
    line = make_line()
    log(line, hours=1)
    draft = build_invoice(order=line.order)

    assert 'class="epc-qr"' not in InvoicePdfRenderer().html(draft)


def test_no_epc_qr_code_on_a_credit_note():
    note = invoice_credit(invoice=posted_invoice())

    assert 'class="epc-qr"' not in InvoicePdfRenderer().html(note)


def test_no_epc_qr_code_once_the_invoice_is_paid():
    invoice = posted_invoice()
    payment_register(invoice=invoice, amount=invoice.amount_due, date=day(4))
    invoice.refresh_from_db()

    assert 'class="epc-qr"' not in InvoicePdfRenderer().html(invoice)


def test_no_epc_qr_code_when_the_seller_has_no_iban():
    company = Company.load()
    company.iban = ""
    company.save()
    invoice = posted_invoice()

    html = InvoicePdfRenderer().html(invoice)

    assert 'class="epc-qr"' not in html and "IBAN" not in html


def test_no_epc_qr_code_in_another_currency_than_eur():
    document = invoice_document(invoice=posted_invoice())

    assert epc_transfer(document) is not None
    assert epc_transfer(dataclasses.replace(document, currency="USD")) is None
