"""Invoice PDFs with WeasyPrint: A4, our own CSS, no external assets.

The renderer formats an `invoicing.documents.InvoiceDocument` and reads nothing else
of the invoice; the stored PDF and its reuse are `invoicing.services.pdf_store`'s.
"""

from django.template.loader import render_to_string
from weasyprint import HTML

from invoicing.documents import invoice_document
from invoicing.models import Invoice


def _refuse_fetch(url: str, *args, **kwargs):
    raise ValueError(f"Invoice PDFs use no external assets (asked for {url}).")


class InvoicePdfRenderer:
    """Renders `invoicing/pdf/invoice.html` from the invoice's document."""

    template_name = "invoicing/pdf/invoice.html"

    def html(self, invoice: Invoice) -> str:
        return render_to_string(self.template_name, {"document": invoice_document(invoice=invoice)})

    def render(self, invoice: Invoice) -> bytes:
        return HTML(string=self.html(invoice), url_fetcher=_refuse_fetch).write_pdf()
