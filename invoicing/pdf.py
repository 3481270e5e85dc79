"""Invoice PDFs with WeasyPrint: A4, our own CSS, no external assets.

The renderer formats an `invoicing.documents.InvoiceDocument` and reads nothing else
of the invoice; the stored PDF and its reuse are `invoicing.services.pdf_store`'s.
"""

from django.template.loader import render_to_string

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
        # Not a cycle: WeasyPrint's import parses its C bindings (cffi) and loads Pango,
        # 1 to 4 s (python -X importtime); at module top every process would pay it at
        # startup (manage.py check: 3 s -> 7 s), so only the first render does.
        from weasyprint import HTML  # noqa: PLC0415

        return HTML(string=self.html(invoice), url_fetcher=_refuse_fetch).write_pdf()
