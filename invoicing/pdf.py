"""Invoice PDFs with WeasyPrint: A4, our own CSS, no external assets.

The renderer formats an `invoicing.documents.InvoiceDocument` (plus the seller's
current logo, which is branding, not a frozen business term). A posted invoice with
e-invoices is written as PDF/A-3b with its stored CII embedded as Factur-X EN 16931
(`factur-x.xml`, DOMAIN.md rule 41): the XML is the one made at posting, never a new
one. Drafts and invoices posted before e-invoices are plain PDFs. The stored PDF and
its reuse are `invoicing.services.pdf_store`'s.
"""

import base64
import logging
import mimetypes
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from core.models import Company
from invoicing.documents import InvoiceDocument, invoice_document
from invoicing.models import Invoice
from invoicing.references import epc_reference

logger = logging.getLogger(__name__)

PDF_VARIANT = "pdf/a-3b"
FACTURX_LEVEL = "en16931"
# The PDF shows the same invoice the XML carries, both made from one document.
FACTURX_RELATIONSHIP = "alternative"
LOGO_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/svg+xml"})
EPC_NAME_MAX = 70  # the EPC QR code's beneficiary name (EPC069-12)


class FacturXError(RuntimeError):
    """A posted invoice's stored CII could not be embedded: no PDF rather than a PDF
    that silently lacks its e-invoice."""


def _url_fetcher():
    # Only data: URIs (the logo); anything else stops the rendering: a PDF never
    # depends on the network or on files outside the database and media storage.
    from weasyprint.urls import URLFetcher  # noqa: PLC0415 - see render()

    return URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)


def epc_transfer(document: InvoiceDocument) -> dict | None:
    """The SEPA credit transfer an EPC QR code on the invoice asks for, or None when it
    prints none: only a posted invoice (not a credit note) in EUR with something still
    to pay, from a seller with an IBAN."""
    payment = document.payment
    if (
        payment is None
        or not payment.iban
        or document.is_draft
        or document.is_credit_note
        or document.currency != "EUR"
        or document.totals.due <= Decimal("0")
    ):
        return None
    transfer = {
        "name": (payment.account_name or document.seller.name)[:EPC_NAME_MAX],
        "iban": payment.iban,
        "amount": document.totals.due,
        "bic": payment.bic or None,
    }
    if payment.reference:
        transfer["reference"] = epc_reference(payment.reference)
    else:
        transfer["text"] = document.number
    return transfer


def epc_qr_svg(transfer: dict) -> SafeString:
    """The EPC QR code as inline SVG (drawn by segno from our own figures only)."""
    # segno's import costs ~70 ms; only processes that render a PDF pay it.
    import segno.helpers  # noqa: PLC0415

    qr = segno.helpers.make_epc_qr(**transfer)
    return mark_safe(qr.svg_inline(scale=3, border=0, title="EPC QR code"))  # noqa: S308


def _logo_data_uri(company: Company) -> str:
    if not company.logo:
        return ""
    content_type = mimetypes.guess_type(company.logo.name)[0]
    if content_type not in LOGO_TYPES:
        logger.warning("The company logo %s is not an image the PDF prints.", company.logo.name)
        return ""
    try:
        with company.logo.open("rb") as logo:
            content = logo.read()
    except OSError:
        logger.warning("The company logo %s is missing; the PDF prints none.", company.logo.name)
        return ""
    return f"data:{content_type};base64,{base64.b64encode(content).decode()}"


def _pdf_metadata(document: InvoiceDocument) -> dict[str, str]:
    """The PDF's title, author... (also written to its XMP by factur-x)."""
    issued = f" dated {document.invoice_date:%Y-%m-%d}" if document.invoice_date else ""
    return {
        "author": document.seller.name,
        "title": f"{document.seller.name}: {document.title} {document.number}",
        "subject": f"{document.title} {document.number}{issued} issued by {document.seller.name}",
        "keywords": f"{document.title}, Factur-X",
    }


def facturx_embed(pdf: bytes, *, xml: bytes, document: InvoiceDocument) -> bytes:
    """`pdf` (PDF/A-3b) with `xml` embedded as its Factur-X EN 16931 invoice: the file
    `factur-x.xml`, AFRelationship Alternative, and the Factur-X XMP metadata.

    The XML is checked against the Factur-X EN 16931 XSD first; a failure raises
    FacturXError.
    """
    # factur-x imports pypdf, lxml and requests (~0.35 s): only renders pay for it.
    import facturx  # noqa: PLC0415

    try:
        return facturx.generate_from_binary(
            pdf,
            xml,
            flavor="factur-x",
            level=FACTURX_LEVEL,
            check_xsd=True,
            pdf_metadata=_pdf_metadata(document),
            lang="en",
            afrelationship=FACTURX_RELATIONSHIP,
        )
    except Exception as error:  # factur-x raises bare Exceptions for a bad XML
        raise FacturXError(
            f"{document.number}: its stored CII cannot be embedded as Factur-X: {error}"
        ) from error


def _drop_producer(_document, pdf) -> None:
    # PDF/A wants the Info dictionary to agree with the XMP, and factur-x writes its
    # own XMP (Producer "pypdf"): WeasyPrint's Producer entry would contradict it.
    pdf.info.pop("Producer", None)


class InvoicePdfRenderer:
    """Renders `invoicing/pdf/invoice.html` from the invoice's document."""

    template_name = "invoicing/pdf/invoice.html"

    def context(self, invoice: Invoice) -> dict:
        document = invoice_document(invoice=invoice)
        transfer = epc_transfer(document)
        return {
            "document": document,
            "logo": _logo_data_uri(Company.load()),
            "epc_qr": epc_qr_svg(transfer) if transfer else "",
        }

    def html(self, invoice: Invoice) -> str:
        return render_to_string(self.template_name, self.context(invoice))

    def render(self, invoice: Invoice) -> bytes:
        """The PDF: Factur-X (PDF/A-3b with the stored CII) for a posted invoice that
        has e-invoices, a plain PDF otherwise."""
        # Not a cycle: WeasyPrint's import parses its C bindings (cffi) and loads Pango,
        # 1 to 4 s (python -X importtime); at module top every process would pay it at
        # startup (manage.py check: 3 s -> 7 s), so only the first render does.
        from weasyprint import HTML  # noqa: PLC0415

        context = self.context(invoice)
        html = HTML(
            string=render_to_string(self.template_name, context), url_fetcher=_url_fetcher()
        )
        if invoice.state != Invoice.POSTED or not invoice.cii_xml:
            return html.write_pdf()
        pdf = html.write_pdf(pdf_variant=PDF_VARIANT, finisher=_drop_producer)
        return facturx_embed(pdf, xml=invoice.cii_xml.encode(), document=context["document"])
