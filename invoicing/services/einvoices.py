"""The e-invoices of a posted invoice (DOMAIN.md rules 41-45): made once, kept as made.

At validation, inside the posting's transaction, the frozen document is rendered as
UBL 2.1 (Peppol BIS Billing 3.0) and as CII D16B (Factur-X EN 16931); both are stored
on the invoice with their SHA-256 and covered by its content hash, so the PostgreSQL
guard freezes them with the rest. The PDF rendered after commit embeds the stored CII
(Factur-X), and the mail and the Peppol handover send the stored UBL.
"""

import hashlib
import logging

import facturx
from django.core.exceptions import ValidationError

from invoicing.documents import invoice_document
from invoicing.einvoice.cii import cii_xml
from invoicing.einvoice.ubl import ubl_xml
from invoicing.models import Invoice

logger = logging.getLogger(__name__)


def einvoices_freeze(*, invoice: Invoice) -> Invoice:
    """Render and store both XML documents of an invoice being posted (the caller holds
    the transaction and saves the invoice).

    A document that cannot be made, or a CII its schema refuses (the Factur-X PDF
    could not embed it), refuses the validation with a message rather than posting an
    invoice without its e-invoices; the CII's XSD check takes about 2 ms.
    """
    document = invoice_document(invoice=invoice)
    try:
        ubl = ubl_xml(document)
        cii = cii_xml(document)
        facturx.xml_check_xsd(cii, flavor="factur-x", level="en16931")
    except Exception as error:  # the renderers' ValueError, factur-x's plain Exception
        logger.exception("The e-invoice of %s could not be made", invoice)
        raise ValidationError(
            f"The e-invoice of this invoice could not be made ({error}); it was not "
            "validated. Check the company and customer details, or report this error."
        ) from error
    invoice.ubl_xml = ubl.decode()
    invoice.ubl_sha256 = hashlib.sha256(ubl).hexdigest()
    invoice.cii_xml = cii.decode()
    invoice.cii_sha256 = hashlib.sha256(cii).hexdigest()
    return invoice


def invoice_ubl_bytes(*, invoice: Invoice) -> bytes:
    """The stored UBL of a posted invoice ("" for invoices posted before e-invoices)."""
    return invoice.ubl_xml.encode()


def ubl_filename(invoice: Invoice) -> str:
    return f"{invoice.number.replace('/', '-')}.xml"
