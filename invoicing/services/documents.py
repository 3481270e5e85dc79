"""The invoice PDF: rendered from frozen data, stored once for a posted invoice."""

import logging

from django.core.files.base import ContentFile
from django.utils import timezone

from invoicing.models import Invoice
from invoicing.pdf import InvoicePdfRenderer

logger = logging.getLogger(__name__)


def _stored_pdf(invoice: Invoice) -> bytes | None:
    if not invoice.pdf:
        return None
    try:
        with invoice.pdf.open("rb") as stored:
            return stored.read()
    except OSError:
        logger.warning("The stored PDF of %s is missing; rendering it again.", invoice)
        return None


def invoice_pdf_bytes(*, invoice: Invoice) -> bytes:
    """The PDF of an invoice. A posted invoice's PDF is rendered once, stored in
    `Invoice.pdf` and served as-is afterwards; drafts render fresh, marked DRAFT."""
    invoice = Invoice.objects.select_related("customer").get(pk=invoice.pk)
    stored = _stored_pdf(invoice)
    if stored is not None:
        return stored
    content = InvoicePdfRenderer().render(invoice)
    if invoice.state != Invoice.POSTED:
        return content
    field = invoice.pdf.field
    name = field.generate_filename(invoice, f"{invoice.number.replace('/', '-')}.pdf")
    name = field.storage.save(name, ContentFile(content))
    # Whoever stores first wins; a concurrent renderer keeps the winner's file.
    won = Invoice.objects.filter(pk=invoice.pk, pdf=invoice.pdf.name or "").update(
        pdf=name, pdf_rendered_at=timezone.now()
    )
    if not won:
        field.storage.delete(name)
        invoice.refresh_from_db(fields=["pdf"])
        return _stored_pdf(invoice) or content
    return content
